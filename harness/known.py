"""Findings a target file says are known: counted apart, with why, never dropped (pure).

A target file lists them as [[known]] tables:

    [[known]]
    op = "new_device"              # operation (fnmatch glob)
    verdict = "report"
    evidence = "refcount_warn_saturate"   # regex searched in the point's evidence
    why = "what it is, where it was seen, its upstream status"

A failing point that matches one is reported as KNOWN with that text, and
does not fail the run; every other failing point does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Iterable

from .errors import HarnessError
from . import protocol
from .model import Result, evidence
from .protocol import Verdict


@dataclass(frozen=True)
class Known:
    op: str
    verdict: Verdict
    evidence: str
    why: str

    def matches(self, r: Result) -> bool:
        return (fnmatchcase(r.op, self.op) and r.line.verdict == self.verdict
                and re.search(self.evidence, evidence(r.line)) is not None)


def parse(items: Any, origin: str) -> tuple[Known, ...]:
    if not isinstance(items, list):
        raise HarnessError(f"{origin}: 'known' must be a list of tables ([[known]])")
    out = []
    for num, item in enumerate(items, 1):
        if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) and item.get(k)
                for k in ("op", "verdict", "evidence", "why")):
            raise HarnessError(f"{origin}: known entry {num} needs op, verdict, evidence, why")
        try:
            verdict = Verdict(item["verdict"])
            re.compile(item["evidence"])
        except (ValueError, re.error) as err:
            raise HarnessError(f"{origin}: known entry {num}: {err}") from None
        out.append(Known(item["op"], verdict, item["evidence"], item["why"]))
    return tuple(out)


def match(known: Iterable[Known], r: Result) -> Known | None:
    return next((k for k in known if k.matches(r)), None)


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
