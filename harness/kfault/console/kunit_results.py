"""Every KTAP result of a console log, flattened, through kunit.py's own parser.

kunit_tool's kunit_parser keeps each test's log lines, which its --json
output drops; importing it (from the kernel tree being used) keeps one KTAP
grammar for the whole project.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import HarnessError


@dataclass(frozen=True)
class KunitResult:
    path: tuple[str, ...]       # suite, case[, parameter]
    status: str                 # SUCCESS, FAILURE, SKIPPED, TEST_CRASHED, ...
    log: tuple[str, ...]

    @property
    def name(self) -> str:
        return " / ".join(self.path)

    @property
    def ident(self) -> str:
        """The name with only characters pytest's -k accepts: suite.case.param."""
        return ".".join(re.sub(r"[^A-Za-z0-9_+]+", "_", p).strip("_") for p in self.path)


def load_parser(kdir: Path) -> ModuleType:
    tool = kdir / "tools/testing/kunit"
    if not (tool / "kunit_parser.py").is_file():
        raise HarnessError(f"no kunit_parser.py in {tool}: pass KDIR=/path/to/linux")
    sys.path.insert(0, str(tool))
    old, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        return importlib.import_module("kunit_parser")
    finally:
        sys.dont_write_bytecode = old
        sys.path.remove(str(tool))


def _walk(test: Any, path: tuple[str, ...], out: list[KunitResult]) -> None:
    for sub in test.subtests:
        here = path + (sub.name,)
        if sub.subtests:
            _walk(sub, here, out)
        else:
            out.append(KunitResult(here, sub.status.name, tuple(sub.log)))


def results(kdir: Path, lines: list[str]) -> list[KunitResult]:
    """Leaf results (cases and parameters), in the order the kernel ran them."""
    parser = load_parser(kdir)
    # kunit_printer's Printer keeps the sys.stdout it was created with
    printer = getattr(parser, "stdout", None)
    saved = getattr(printer, "_output", None)
    if printer is not None and saved is not None:
        printer._output = io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            root = parser.parse_run_tests(lines)
    finally:
        if printer is not None and saved is not None:
            printer._output = saved
    out: list[KunitResult] = []
    _walk(root, (), out)
    return out
