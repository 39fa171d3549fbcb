"""One shard of a suite sweep per item (conftest.py)."""
from __future__ import annotations

from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from kfault import cli
from kfault.commands.context import EXIT_FINDING
from kfault.parallel.conftest import sweep_argv


def test_shard_swept_to_its_end(shard: str, request: pytest.FixtureRequest) -> None:
    """The shard went to its end: exit 0, or 1 with findings (the merge reports
    them); a boot cap hit (3) or bad input (2) fails the item.  What it prints
    goes to OUT/shard-I-of-N.txt as it comes (tail -f it)."""
    argv = sweep_argv(request.config)
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else Path("out")
    out.mkdir(parents=True, exist_ok=True)
    log = out / f"shard-{shard.replace('/', '-of-')}.txt"
    with log.open("w", buffering=1) as said, redirect_stdout(said), redirect_stderr(said):
        code = cli.main(argv + ["--shard", shard, "--prebuilt"])
    lines = log.read_text().splitlines()
    print("\n".join(lines[-12:]))
    assert code in (0, EXIT_FINDING), f"shard {shard}: " + " | ".join(lines[-3:])
