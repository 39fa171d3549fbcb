"""Known findings matched against a run's results (pure): a failing point
that a target's [[known]] finding explains, the kernel's own leaks that a
known kernel bug explains (the data: checkout/known_bugs.py)."""
from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Iterable

from ..checkout.known_bugs import KernelBug, Known
from ..console import protocol
from ..console.kmemleak import Leak
from .model import Result, evidence


def matches(k: Known, r: Result) -> bool:
    return (fnmatchcase(r.op, k.op) and r.line.verdict == k.verdict
            and re.search(k.evidence, evidence(r.line)) is not None)


def match(known: Iterable[Known], r: Result) -> Known | None:
    return next((k for k in known if matches(k, r)), None)


def kernel_leaks(leaks: Iterable[Leak], bugs: tuple[KernelBug, ...]
                 ) -> tuple[dict[str, int], list[Leak]]:
    """Counts per known bug of the leaks it explains (the kernel's own, or a
    suite's that a kernel bug made), and the kernel's own leaks no bug explains."""
    counts: dict[str, int] = {}
    other = []
    for leak in leaks:
        bug = next((b for b in bugs if b.matches_leak(leak)), None)
        if bug:
            counts[bug.id] = counts.get(bug.id, 0) + 1
        elif leak.kernel:
            other.append(leak)
    return counts, other


def unexplained(failed: Iterable[tuple[tuple[str, ...], tuple[str, ...]]],
                known: tuple[Known, ...]) -> list[str]:
    """The failed KUnit leaf results (kunit.py's path and the log lines it kept for
    that result) that are not a known finding's point: a point's own log holds
    its result line."""
    bad = []
    for path, log in failed:
        rec = next((r for r in map(protocol.parse_line, log)
                    if isinstance(r, protocol.ResultLine)), None)
        point = Result("-", path[0], path[-2] if len(path) > 1 else "-", rec) if rec else None
        if point is None or match(known, point) is None:
            bad.append(" / ".join(path))
    return bad
