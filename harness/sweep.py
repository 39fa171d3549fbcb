"""Parsing the kfault sweep's KTAP diagnostic lines (pure functions).

The sweep suite (kunit/refdev_fault_kunit.c) prints, per fault point,

  # kfault: point op=open nth=3 attr=failslab allocator=kmalloc_cache
            site=refdev_open+0x5c/0x120 addr=0x6012abcd id=1a2b3c4d
  # kfault: op=open nth=3 attr=... verdict=handled ret=-12 us=812
            leaked=[] report=[] detail=[]

(one line each), and at the end '# kfault: N points in M ms, P points/s'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

_FIELD = re.compile(r"(\w+)=(\[[^\]]*\]|\S+)")
_STATS = re.compile(r"kfault: (\d+) points (?:\(\d+ runs\) )?in (\d+) ms, (\d+) points/s")


@dataclass(frozen=True)
class PointResult:
    """One fault point's outcome as the kernel reported it."""

    op: str
    nth: int
    verdict: str
    allocator: str
    site: str
    addr: int
    site_id: str
    ret: int
    leaked: str
    report: str
    detail: str
    report_site: str = "-"
    report_addr: int = 0

    @property
    def ok(self) -> bool:
        return self.verdict in ("handled", "absorbed")

    @property
    def why(self) -> str:
        """The evidence, the same for every point that failed the same way."""
        if self.report and self.verdict == "report":
            return re.sub(r"\b(PID:?|pid|task|CPU:?) \S+", r"\1 -", self.report)
        if self.leaked:
            return f"leaked {self.leaked}"
        return self.detail


@dataclass
class SweepLog:
    """Everything the sweep printed."""

    results: list[PointResult] = field(default_factory=list)
    counted_points: list[tuple[str, int, int]] = field(default_factory=list)  # op, nth, addr
    counted: dict[str, int] = field(default_factory=dict)
    points: int = 0
    ms: int = 0
    points_per_s: int = 0


def _fields(text: str) -> dict[str, str]:
    return {k: v[1:-1] if v.startswith("[") else v for k, v in _FIELD.findall(text)}


def parse(lines: Iterable[str]) -> SweepLog:
    """Collect kfault lines from console or KTAP output; other lines are ignored."""
    log = SweepLog()
    for line in lines:
        pos = line.find("kfault: ")
        if pos < 0:
            continue
        text = line[pos + len("kfault: "):].strip()
        stats = _STATS.search(line)
        if stats:
            log.points, log.ms, log.points_per_s = (int(g) for g in stats.groups())
        elif text.startswith("point "):
            f = _fields(text)
            try:
                log.counted_points.append((f["op"], int(f["nth"]), int(f.get("addr", "0"), 16)))
            except (KeyError, ValueError):
                continue
        elif text.startswith("count "):
            f = _fields(text)
            log.counted[f["op"]] = int(f["points"])
        elif text.startswith("op="):
            f = _fields(text)
            try:
                log.results.append(PointResult(
                    op=f["op"], nth=int(f["nth"]), verdict=f["verdict"],
                    allocator=f.get("allocator", "-"), site=f.get("site", "-"),
                    addr=int(f.get("addr", "0"), 16), site_id=f.get("id", ""),
                    ret=int(f.get("ret", "0")), leaked=f.get("leaked", ""),
                    report=f.get("report", ""), detail=f.get("detail", ""),
                    report_site=f.get("report_site", "-"),
                    report_addr=int(f.get("report_addr", "0"), 16)))
            except (KeyError, ValueError):
                continue    # a truncated line: the point is reported missing below
    return log


def failures(log: SweepLog) -> dict[tuple[str, str, str], list[PointResult]]:
    """Failed points grouped by operation, verdict and evidence."""
    groups: dict[tuple[str, str, str], list[PointResult]] = {}
    for r in log.results:
        if not r.ok:
            groups.setdefault((r.op, r.verdict, r.why), []).append(r)
    return groups


def missing_points(log: SweepLog) -> dict[str, int]:
    """Operations whose counted points did not all report a result."""
    seen: dict[str, int] = {}
    for r in log.results:
        if r.nth:
            seen[r.op] = seen.get(r.op, 0) + 1
    return {op: n - seen.get(op, 0) for op, n in log.counted.items() if seen.get(op, 0) < n}
