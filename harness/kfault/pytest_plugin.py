"""kfault's pytest plugin: each KUnit case and fault point of a kernel run's
console log as a pytest item, so that -k, -x and --junitxml work as pytest
users expect.

    pytest -p kfault.pytest_plugin [--kfault-kdir KDIR] [--kfault-target T] BUILD/test.log

(installed, the `pytest11` entry point loads it: `pytest BUILD/test.log`).
It claims only a file named on the command line that ends in `.log`, or the
one `--kfault-log` names; in any other pytest run it collects nothing, checks
nothing and fails nothing.  kunit.py's own parser (from the kernel tree)
reads the log.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from . import paths
from .checkout import targets
from .checkout.known_bugs import Known
from .console import protocol
from .console.kunit_results import KunitResult, results
from .errors import HarnessError
from .results import known as known_mod
from .results import model


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kfault", "kfault: KUnit results of a kernel run as items")
    group.addoption("--kfault-log", default=os.environ.get("KFAULT_LOG") or None,
                    help="console log of a kernel run (kunit.py's test.log) to collect; "
                    "or name it, ending in .log, as an argument")
    group.addoption("--kfault-kdir", default=None,
                    help="kernel tree whose kunit_parser reads the log "
                    "(default: $KDIR or kfault's cached linux-source-6.12)")
    group.addoption("--kfault-target", default=os.environ.get("KFAULT_TARGET") or None,
                    help="target (name or file) whose known findings are expected failures")


CLAIMED = pytest.StashKey[frozenset[Path]]()


def pytest_configure(config: pytest.Config) -> None:
    """What the plugin collects, decided once: the --kfault-log file and the
    .log files named as arguments.  A --kfault-log that is not there ends the
    run here, in one line."""
    named = config.getoption("--kfault-log")
    if named and not Path(named).is_file():
        raise pytest.UsageError(f"--kfault-log {named}: no such file (run 'make kunit' first)")
    logs = [Path(a.split("::")[0]) for a in config.args] + ([Path(named)] if named else [])
    config.stash[CLAIMED] = frozenset(p.resolve() for p in logs if p.suffix == ".log"
                                      or str(p) == named)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    claimed = parent.config.stash[CLAIMED]
    if not claimed or file_path.resolve() not in claimed:
        return None
    log: KunitLog = KunitLog.from_parent(parent, path=file_path)
    return log


class KunitLogError(Exception):
    """A log that cannot be read as a kernel run's results: one line."""


class KunitLog(pytest.File):
    """One console log: its KTAP results, read by kunit.py's parser."""

    def collect(self) -> Iterator[pytest.Item]:
        kdir = Path(self.config.getoption("--kfault-kdir") or paths.default_kdir())
        try:
            found = results(kdir, self.path.read_text(errors="replace").splitlines())
            known = targets.resolve(paths.checkout() / "configs",
                                    self.config.getoption("--kfault-target")).known
        except HarnessError as err:
            raise KunitLogError(str(err)) from None
        if not found:
            raise KunitLogError(f"{self.path} holds no KTAP results")
        for result in found:
            yield KunitItem.from_parent(self, name=result.ident, result=result, known=known)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: object = None) -> str:
        if isinstance(excinfo.value, KunitLogError):
            return f"kfault: {excinfo.value}"
        return str(super().repr_failure(excinfo))


class KunitFailed(Exception):
    """A case or point that did not pass in the kernel; its text is the report."""


class KunitItem(pytest.Item):
    """One KUnit case or fault point: it passed in the kernel.  A fault point's
    failure leads with its verdict and evidence, read from its own result
    line; a known finding of the target is an expected failure."""

    def __init__(self, *, result: KunitResult, known: tuple[Known, ...], **kwargs: object):
        super().__init__(**kwargs)      # type: ignore[arg-type]
        self.result = result
        self.known = known

    def runtest(self) -> None:
        res = self.result
        if res.status == "SKIPPED":
            pytest.skip(" ".join(res.log[-1:]) or "skipped in the kernel")
        rec = next((r for r in map(protocol.parse_line, res.log)
                    if isinstance(r, protocol.ResultLine)), None)
        path = res.path
        hit = known_mod.match(self.known, model.Result(
            "-", path[0], path[-2] if len(path) > 1 else "-", rec)) if rec else None
        if hit and res.status != "SUCCESS":
            pytest.xfail(f"known: {hit.why}")
        if res.status != "SUCCESS":
            head = ([f"kfault: {rec.verdict}: {model.evidence(rec)} (failed {rec.allocator} "
                     f"<- {rec.site}, id {rec.id})"] if rec else [])
            raise KunitFailed("\n".join(head + [f"KUnit: {res.status}"] + list(res.log)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: object = None) -> str:
        if isinstance(excinfo.value, KunitFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.result.name
