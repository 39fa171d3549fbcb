"""The run report: a data model built from the kernel console, and its JSON form (pure).

``build()`` reads the console lines of a kunit run (``<build_dir>/test.log``,
or kunit.py's formatted output) plus what the console cannot know
(``RunMeta``) and returns a ``Report``; ``to_dict()`` turns it into the
JSON document below.  Nothing here reads or writes files: ``reports_io``
does that.

Schema ``kfault-report/1`` (docs/report-schema.md holds the same for readers).
``null`` means "not known"; addresses and offsets are hex strings because
kernel addresses do not fit a JSON (double) number::

    schema      "kfault-report/1"
    run         kernel_version   "6.12.117" from the "Linux version" line, or null
                configs          fragment names, as passed in
                git_revision     as passed in, or null
                started, finished  ISO 8601, as passed in, or null
                duration_s       finished - started, or null
                kunit_totals     {pass, fail, skip, total}: sum of the kernel's
                                 "# Totals:" lines
                points_per_s     from "kfault: N points (M runs) in T ms, P points/s"
                sweep_points, sweep_ms   N and T of that line (all sweep passes,
                                 bookkeeping points included), or null
    points      one per fault point result (nth > 0), in the order reported:
                suite "refdev_fault", case "<op>_fault_sweep", operation, nth,
                name (the KUnit case name, "open: fail 1 kmalloc_cache <-
                refdev_open+0x13a"), verdict, ok (handled or absorbed), us,
                failed_site {symbol, offset, file, line, location, allocator,
                             inner, attr, stable_id, addr}
                    file/line: the kernel's "file=F:L" (location "kernel"), else
                    the symbols map passed in (location "symbols"), else null
                evidence {leaked: [...], report, report_site, detail, ret,
                          summary}
                    summary: the one-line evidence points are grouped by
    baselines   the nth=0 result of each operation, same shape as a point
    summary     points, verdicts {verdict: count} (points only), ok, failed,
                baselines_failed, passed (no failure, no failing baseline, no
                missing result, no crash, no KUnit failure, kmemleak clean),
                missing {operation: counted points without a result},
                operations [{operation, counted, bookkeeping, reported, missing,
                             verdicts}],
                failures [{operation, verdict, evidence, count, nths,
                           stable_ids, sites}]  (grouped like sweep.failures(),
                           baselines included)
    kmemleak    {canary_found, driver_leaks, kernel_leaks} or null
    crash       {title, frame, case, last_point} (oops.find_crash) or null
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from . import ktap, oops, sweep
from .coverage import call_site

SCHEMA = "kfault-report/1"
SUITE = "refdev_fault"

Symbols = Mapping[int, tuple[str, int]]     # return address -> (file, line)

_FIELD = re.compile(r"(\w+)=(\[[^\]]*\]|\S+)")
_VERSION = re.compile(r"Linux version (\S+)")
_CASE = re.compile(r"#\s+(\w+): kfault: ")
_VOLATILE = re.compile(r"\b(CPU|PID|pid|task)(:?) \d+")
_KMEMLEAK = re.compile(r"kfault: kmemleak confirmation: canary (\w+), (\d+) \S+ leak\(s\), "
                       r"(\d+) kernel leak\(s\)")


@dataclass(frozen=True)
class RunMeta:
    """What the console cannot say about a run; the caller passes it in."""

    configs: tuple[str, ...] = ()
    git_revision: str | None = None
    started: datetime | None = None     # timezone-aware, preferably
    finished: datetime | None = None


@dataclass(frozen=True)
class RunInfo:
    kernel_version: str | None
    configs: tuple[str, ...]
    git_revision: str | None
    started: str | None
    finished: str | None
    duration_s: float | None
    kunit_totals: ktap.Totals
    points_per_s: int | None
    sweep_points: int | None
    sweep_ms: int | None


@dataclass(frozen=True)
class FailedSite:
    """Where the injected failure hit."""

    symbol: str | None          # innermost driver function
    offset: str | None          # "0x13a"
    file: str | None
    line: int | None
    location: str | None        # "kernel" or "symbols": where file/line came from
    allocator: str | None
    inner: str | None           # what inside the allocator failed
    attr: str | None            # "failslab", "fail_page_alloc"
    stable_id: str | None
    addr: str | None            # return address, "0x608e4024"

    @property
    def caller(self) -> str:
        return f"{self.symbol}+{self.offset}" if self.symbol else "-"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file else ""


@dataclass(frozen=True)
class Evidence:
    leaked: tuple[str, ...]
    report: str | None
    report_site: str | None
    detail: str | None
    ret: int
    summary: str                # the grouping key: same for points that failed alike


@dataclass(frozen=True)
class Point:
    """One result line: a fault point (nth > 0) or an operation's baseline (nth 0)."""

    suite: str
    case: str
    operation: str
    nth: int
    name: str
    verdict: str
    ok: bool
    us: int
    failed_site: FailedSite
    evidence: Evidence


@dataclass(frozen=True)
class FailureGroup:
    operation: str
    verdict: str
    evidence: str
    nths: tuple[int, ...]
    stable_ids: tuple[str, ...]
    sites: tuple[str, ...]      # distinct "allocator <- sym+off (file:line)"

    @property
    def count(self) -> int:
        return len(self.nths)


@dataclass(frozen=True)
class OperationSummary:
    operation: str
    counted: int | None         # points the counting pass found
    bookkeeping: int | None     # allocations never visible to the driver
    reported: int               # fault point results in the log
    missing: int
    verdicts: Mapping[str, int]


@dataclass(frozen=True)
class Summary:
    points: int
    verdicts: Mapping[str, int]
    ok: int
    failed: int
    baselines_failed: int
    passed: bool
    missing: Mapping[str, int]
    operations: tuple[OperationSummary, ...]
    failures: tuple[FailureGroup, ...]


@dataclass(frozen=True)
class Kmemleak:
    canary_found: bool
    driver_leaks: int
    kernel_leaks: int

    @property
    def clean(self) -> bool:
        return self.canary_found and not self.driver_leaks


@dataclass(frozen=True)
class Report:
    run: RunInfo
    points: tuple[Point, ...]
    baselines: tuple[Point, ...]
    summary: Summary
    kmemleak: Kmemleak | None
    crash: oops.Crash | None
    schema: str = SCHEMA

    @property
    def operations(self) -> list[str]:
        return [o.operation for o in self.summary.operations]


def point_name(op: str, nth: int, allocator: str, site: str, inner: str) -> str:
    """The KUnit case name the sweep gives a point (kfault_point_desc())."""
    if not nth:
        return f"{op}: no fault (baseline)"
    if site in ("", "-"):
        return f"{op}: fail {nth} (silent)"
    name = f"{op}: fail {nth} {allocator} <- {site.split('/')[0]}"
    return name + (f" (in {inner})" if inner not in ("", "-") else "")


def why(r: sweep.PointResult) -> str:
    """sweep's evidence key with CPU and PID numbers also removed, so that the same
    WARNING from different points groups (and compares across runs) as one."""
    return _VOLATILE.sub(r"\1\2 -", r.why)


def _opt(value: str | None) -> str | None:
    return None if value in (None, "", "-") else value


def _site(r: sweep.PointResult, f: Mapping[str, str], symbols: Symbols) -> FailedSite:
    symbol, offset = None, None
    if r.site not in ("", "-"):
        symbol, _, rest = r.site.partition("+")
        offset = rest.split("/")[0] or None
    path, _, num = f.get("file", "-:0").rpartition(":")
    file: str | None = None
    line: int | None = None
    location: str | None = None
    if _opt(path) and num.isdigit() and int(num):
        file, line, location = path, int(num), "kernel"
    elif r.addr in symbols:
        file, line = symbols[r.addr]
        location = "symbols"
    stable = r.site_id if r.site_id and r.site_id.strip("0") else None
    return FailedSite(symbol=symbol, offset=offset, file=file, line=line, location=location,
                      allocator=_opt(r.allocator), inner=_opt(f.get("inner")),
                      attr=_opt(f.get("attr")), stable_id=stable,
                      addr=hex(r.addr) if r.addr else None)


def _point(r: sweep.PointResult, f: Mapping[str, str], case: str, suite: str,
           symbols: Symbols) -> Point:
    leaked = tuple(s.strip() for s in r.leaked.split(",") if s.strip())
    ev = Evidence(leaked=leaked, report=r.report or None, report_site=_opt(r.report_site),
                  detail=r.detail or None, ret=r.ret, summary=why(r))
    return Point(suite=suite, case=case, operation=r.op, nth=r.nth,
                 name=point_name(r.op, r.nth, r.allocator, r.site, f.get("inner", "-")),
                 verdict=r.verdict, ok=r.ok, us=int(f.get("us", "0") or 0),
                 failed_site=_site(r, f, symbols), evidence=ev)


def _count(items: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return dict(sorted(counts.items()))


def _site_labels(points: list[Point]) -> tuple[str, ...]:
    """Distinct "allocator <- sym+off (file:line)" of the points, file:line from any
    point at the same call when some lack it."""
    where: dict[tuple[str, str], str] = {}
    for p in points:
        s = p.failed_site
        if p.nth and s.symbol:
            key = (s.allocator or "-", s.caller)
            if not where.get(key):
                where[key] = s.where
    return tuple(f"{a} <- {c}" + (f" ({w})" if w else "") for (a, c), w in where.items())


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def _duration(meta: RunMeta) -> float | None:
    if not meta.started or not meta.finished:
        return None
    try:
        return round((meta.finished - meta.started).total_seconds(), 3)
    except TypeError:           # naive and aware datetimes
        return None


def build(lines: list[str], meta: RunMeta, symbols: Symbols | None = None,
          suite: str = SUITE) -> Report:
    """The report of one run.  symbols: return address -> (file, line), for the
    points whose file:line the kernel did not know (see symbol_map())."""
    symbols = symbols or {}
    log = sweep.parse(lines)
    results: list[Point] = []
    bookkeeping: dict[str, int] = {}
    order: dict[str, None] = {}
    version: str | None = None
    leak: Kmemleak | None = None
    for line in lines:
        if version is None:
            v = _VERSION.search(line)
            if v:
                version = v.group(1)
        pos = line.find("kfault: ")
        if pos < 0:
            continue
        text = line[pos + len("kfault: "):].strip()
        fields = {k: v[1:-1] if v.startswith("[") else v for k, v in _FIELD.findall(text)}
        if text.startswith("count ") and "op" in fields:
            order.setdefault(fields["op"])
            if fields.get("bookkeeping", "").isdigit():
                bookkeeping[fields["op"]] = int(fields["bookkeeping"])
        elif text.startswith("op="):
            parsed = sweep.parse([line]).results
            if parsed:
                r = parsed[0]
                case = _CASE.search(line)
                order.setdefault(r.op)
                results.append(_point(r, fields, case.group(1) if case else f"{r.op}_fault_sweep",
                                      suite, symbols))
        else:
            k = _KMEMLEAK.search(line)
            if k:
                leak = Kmemleak(k.group(1) == "found", int(k.group(2)), int(k.group(3)))
    points = tuple(p for p in results if p.nth)
    baselines = tuple(p for p in results if not p.nth)
    stats = bool(log.points or log.ms)
    run = RunInfo(kernel_version=version, configs=tuple(meta.configs),
                  git_revision=meta.git_revision, started=_iso(meta.started),
                  finished=_iso(meta.finished), duration_s=_duration(meta),
                  kunit_totals=ktap.kernel_totals(lines),
                  points_per_s=log.points_per_s if stats else None,
                  sweep_points=log.points if stats else None, sweep_ms=log.ms if stats else None)
    crash = oops.find_crash(lines)
    return Report(run=run, points=points, baselines=baselines,
                  summary=_summary(log, list(order), points, baselines, bookkeeping, run,
                                   leak, crash),
                  kmemleak=leak, crash=crash)


def _summary(log: sweep.SweepLog, order: list[str], points: tuple[Point, ...],
             baselines: tuple[Point, ...], bookkeeping: Mapping[str, int], run: RunInfo,
             leak: Kmemleak | None, crash: oops.Crash | None) -> Summary:
    missing = sweep.missing_points(log)
    ops = []
    for op in order:
        mine = [p for p in points if p.operation == op]
        ops.append(OperationSummary(op, log.counted.get(op), bookkeeping.get(op), len(mine),
                                    missing.get(op, 0), _count(p.verdict for p in mine)))
    groups: dict[tuple[str, str, str], list[Point]] = {}
    for p in sorted(baselines + points, key=lambda p: order.index(p.operation)):
        if not p.ok:
            groups.setdefault((p.operation, p.verdict, p.evidence.summary), []).append(p)
    failures = tuple(
        FailureGroup(op, verdict, why, tuple(p.nth for p in ps),
                     tuple(p.failed_site.stable_id or "-" for p in ps),
                     _site_labels(ps))
        for (op, verdict, why), ps in groups.items())
    failed = sum(not p.ok for p in points)
    baselines_failed = sum(not p.ok for p in baselines)
    passed = (not failed and not baselines_failed and not missing and crash is None
              and not run.kunit_totals.failed and (leak is None or leak.clean))
    return Summary(points=len(points), verdicts=_count(p.verdict for p in points),
                   ok=len(points) - failed, failed=failed, baselines_failed=baselines_failed,
                   passed=passed, missing=missing, operations=tuple(ops), failures=failures)


def addresses(lines: list[str]) -> list[int]:
    """Return addresses of the points whose file:line the kernel did not print:
    symbolise (address - 1) with addr2line and pass symbol_map() to build()."""
    found: set[int] = set()
    for line in lines:
        if "kfault: op=" not in line:
            continue
        for r in sweep.parse([line]).results:
            where = dict(_FIELD.findall(line)).get("file", "-:0")
            if r.addr and where.rpartition(":")[2] in ("", "0"):
                found.add(r.addr)
    return sorted(found)


def symbol_map(chains: Mapping[int, list[tuple[str, str]]],
               files: set[str]) -> dict[int, tuple[str, int]]:
    """runner.addr2line() output for (address - 1) -> {address: (file, line)} of the
    innermost frame in one of the driver's files (basenames)."""
    out: dict[int, tuple[str, int]] = {}
    for addr, chain in chains.items():
        where = call_site(chain, files)
        if where:
            out[addr + 1] = where
    return out


def _site_dict(s: FailedSite) -> dict[str, Any]:
    return {"symbol": s.symbol, "offset": s.offset, "file": s.file, "line": s.line,
            "location": s.location, "allocator": s.allocator, "inner": s.inner,
            "attr": s.attr, "stable_id": s.stable_id, "addr": s.addr}


def point_dict(p: Point) -> dict[str, Any]:
    e = p.evidence
    return {"suite": p.suite, "case": p.case, "operation": p.operation, "nth": p.nth,
            "name": p.name, "verdict": p.verdict, "ok": p.ok, "us": p.us,
            "failed_site": _site_dict(p.failed_site),
            "evidence": {"leaked": list(e.leaked), "report": e.report,
                         "report_site": e.report_site, "detail": e.detail, "ret": e.ret,
                         "summary": e.summary}}


def to_dict(report: Report) -> dict[str, Any]:
    """The JSON document (schema kfault-report/1)."""
    run, s, t = report.run, report.summary, report.run.kunit_totals
    crash = report.crash
    return {
        "schema": report.schema,
        "run": {"kernel_version": run.kernel_version, "configs": list(run.configs),
                "git_revision": run.git_revision, "started": run.started,
                "finished": run.finished, "duration_s": run.duration_s,
                "kunit_totals": {"pass": t.passed, "fail": t.failed, "skip": t.skipped,
                                 "total": t.total},
                "points_per_s": run.points_per_s, "sweep_points": run.sweep_points,
                "sweep_ms": run.sweep_ms},
        "points": [point_dict(p) for p in report.points],
        "baselines": [point_dict(p) for p in report.baselines],
        "summary": {
            "points": s.points, "verdicts": dict(s.verdicts), "ok": s.ok, "failed": s.failed,
            "baselines_failed": s.baselines_failed, "passed": s.passed,
            "missing": dict(s.missing),
            "operations": [{"operation": o.operation, "counted": o.counted,
                            "bookkeeping": o.bookkeeping, "reported": o.reported,
                            "missing": o.missing, "verdicts": dict(o.verdicts)}
                           for o in s.operations],
            "failures": [{"operation": g.operation, "verdict": g.verdict,
                          "evidence": g.evidence, "count": g.count, "nths": list(g.nths),
                          "stable_ids": list(g.stable_ids), "sites": list(g.sites)}
                         for g in s.failures]},
        "kmemleak": None if report.kmemleak is None else {
            "canary_found": report.kmemleak.canary_found,
            "driver_leaks": report.kmemleak.driver_leaks,
            "kernel_leaks": report.kmemleak.kernel_leaks},
        "crash": None if crash is None else {
            "title": crash.title, "frame": _opt(crash.frame), "case": _opt(crash.case),
            "last_point": _opt(crash.last_point)},
    }
