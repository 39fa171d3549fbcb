"""Each KUnit case and fault point of a kernel run as a pytest item.

    python3 -m pytest harness/kernel_tests --kfault-log BUILD/test.log [--kdir KDIR]

so that -k, -x and --junitxml work as pytest users expect ('make
pytest-kernel' after 'make kunit').
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from kfault.checkout import targets
from kfault.errors import HarnessError
from kfault.checkout.known_bugs import Known
from kfault.console.kunit_results import KunitResult, results

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kfault")
    group.addoption("--kfault-log", default=os.environ.get("KFAULT_LOG"),
                    help="console log of a kernel run (kunit.py's test.log)")
    group.addoption("--kdir", default=os.environ.get("KDIR"),
                    help="kernel tree whose kunit_parser reads the log")
    group.addoption("--kfault-target", default=os.environ.get("KFAULT_TARGET") or None,
                    help="target whose known findings are expected failures (xfail)")


def _load(config: pytest.Config) -> list[KunitResult]:
    log, kdir = config.getoption("--kfault-log"), config.getoption("--kdir")
    if not log or not kdir:
        raise pytest.UsageError("give --kfault-log BUILD/test.log and --kdir KDIR "
                                "(or KFAULT_LOG and KDIR)")
    path = Path(log)
    if not path.is_file():
        raise pytest.UsageError(f"--kfault-log {path}: no such file (run 'make kunit' first)")
    try:
        found = results(Path(kdir), path.read_text(errors="replace").splitlines())
    except HarnessError as err:
        raise pytest.UsageError(str(err)) from None
    if not found:
        raise pytest.UsageError(f"{path} holds no KTAP results")
    return found


RESULTS = pytest.StashKey[list[KunitResult]]()
KNOWN = pytest.StashKey[tuple[Known, ...]]()


def pytest_configure(config: pytest.Config) -> None:
    """Bad options end here with one line, before any collection."""
    config.stash[RESULTS] = _load(config)
    try:
        config.stash[KNOWN] = targets.load(CONFIGS, config.getoption("--kfault-target")).known
    except HarnessError as err:
        raise pytest.UsageError(str(err)) from None


@pytest.fixture
def known(request: pytest.FixtureRequest) -> tuple[Known, ...]:
    """The target's known findings: their points are expected to fail."""
    return request.config.stash[KNOWN]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "kunit_result" in metafunc.fixturenames:
        found = metafunc.config.stash[RESULTS]
        metafunc.parametrize("kunit_result", found, ids=[r.ident for r in found])
