"""Seeded defects and what calibration expects of them (pure).

The expectation lives beside the defect, in the target's source: the line
the harness must point at ends with '/* kfault-defect: NAME VERDICT */'
(several: 'a leak, b report').
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import diff
from ..errors import HarnessError

VERDICTS = ("leak", "report", "wrong-errno", "bad-state", "crash")
_MARK = re.compile(r"/\*\s*kfault-defect:\s*(.*?)\s*\*/")


@dataclass(frozen=True)
class Finding:
    """A verdict at a file:line: what a sweep found, or what a defect must give."""

    verdict: str
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Expectation(Finding):
    """The finding a seeded defect's marker names."""

    defect: str = ""


def parse_markers(name: str, text: str) -> list[Expectation]:
    found = []
    for num, line in enumerate(text.splitlines(), 1):
        m = _MARK.search(line)
        if not m:
            continue
        for item in m.group(1).split(","):
            parts = item.split()
            if len(parts) != 2 or parts[1] not in VERDICTS:
                raise HarnessError(f"{name}:{num}: bad kfault-defect marker {item.strip()!r}: "
                                   f"want 'NAME VERDICT', VERDICT one of {', '.join(VERDICTS)}")
            found.append(Expectation(parts[1], name, num, parts[0]))
    return found


def from_patch(name: str, text: str) -> list[Expectation]:
    """The expectations a defect patch carries: the markers on the lines it adds,
    at their line numbers in the patched file."""
    found = []
    for added in diff.parse(text).added:
        if _MARK.search(added.text):
            for exp in parse_markers(PurePosixPath(added.path).name, added.text):
                found.append(Expectation(exp.verdict, exp.file, added.line, exp.defect))
    if not found:
        raise HarnessError(f"{name}: no '/* kfault-defect: NAME VERDICT */' marker on a "
                           "line it adds")
    return found


def expectations(files: list[Path]) -> dict[str, list[Expectation]]:
    """Defect name -> where and how it must be detected (any one suffices)."""
    by_defect: dict[str, list[Expectation]] = {}
    for path in files:
        for exp in parse_markers(path.name, path.read_text()):
            by_defect.setdefault(exp.defect, []).append(exp)
    return by_defect
