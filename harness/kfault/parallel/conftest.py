"""The shards of a suite sweep as pytest items, which pytest-xdist runs in
parallel, one UML instance a worker, on a kernel built before:

    python3 -m pytest -p xdist -n 2 harness/kfault/parallel --shards 2 \\
        --sweep "--kdir KDIR sweep --suite GLOB --kunitconfig K --out OUT ..."

(what 'make nightly' runs).  Each item is one 'sweep --shard I/N --prebuilt';
'merge' makes one report of them afterwards.
"""
from __future__ import annotations

import shlex

import pytest

from kfault.errors import HarnessError


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kfault")
    group.addoption("--shards", type=int, default=0, help="how many shards (N of --shard I/N)")
    group.addoption("--sweep", default="", help="the harness's sweep command line, without "
                    "--shard and --prebuilt")


def sweep_argv(config: pytest.Config) -> list[str]:
    """The sweep's argv; HarnessError (one line) when the options are off."""
    argv = shlex.split(config.getoption("--sweep"))
    if "sweep" not in argv or "--suite" not in argv:
        raise HarnessError("--sweep: want the harness's 'sweep --suite GLOB ...' command line")
    if "--shard" in argv or "--prebuilt" in argv:
        raise HarnessError("--sweep: each item adds --shard I/N and --prebuilt itself")
    return argv


def pytest_configure(config: pytest.Config) -> None:
    """Bad options end here with one line, before any collection."""
    if config.getoption("--shards") < 1:
        raise pytest.UsageError("--shards N: want a number of shards, 1 or more")
    try:
        sweep_argv(config)
    except HarnessError as err:
        raise pytest.UsageError(str(err)) from None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "shard" in metafunc.fixturenames:
        count = metafunc.config.getoption("--shards")
        metafunc.parametrize("shard", [f"{i}/{count}" for i in range(count)])
