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
                targets          the targets the kernel announced ("kfault: target")
                configs          fragment names, as passed in
                git_revision     kfault's checkout, as passed in, or null
                kernel_revision  the kernel tree's git commit, or null (no git)
                started, finished  ISO 8601, as passed in, or null
                duration_s       finished - started, or null
                kunit_totals     {pass, fail, skip, total}: sum of the kernel's
                                 "# Totals:" lines
                points_per_s     from "kfault: N points (M runs) in T ms, P points/s"
                sweep_points, sweep_ms   N and T of that line (all sweep passes,
                                 bookkeeping points included), or null
                live_untracked   "..., U objects not followed by the live check"
                                 of that line: what the live leak check did not
                                 see (no allocation tag, or past its table)
    points      one per fault point result (nth > 0), in the order reported:
                suite (the fault suite), case "<op>_fault_sweep", operation, nth,
                name (the KUnit case name, "open: fail 1 kmalloc_cache <-
                drv_open+0x13a"), verdict, ok (handled or absorbed), us,
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
    kmemleak    {canary_found, driver_leaks, kernel_leaks, known_bugs {id: objects}}
                or null; known_bugs: the kernel leaks that are known kernel bugs
                (configs/known-bugs.toml), out of kernel_leaks
    crash       {title, frame, case, last_point, faulted} (oops.find_crash) or null
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from ..console import frames, ktap, oops
from ..console.protocol import Verdict
from . import model
from ..checkout.known_bugs import KernelBug, Known
from .known import kernel_leaks, match
from .model import Symbols
from ..console.protocol import ResultLine

SCHEMA = "kfault-report/1"


@dataclass(frozen=True)
class RunMeta:
    """What the console cannot say about a run; the caller passes it in."""

    configs: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    git_revision: str | None = None     # kfault's checkout
    kernel_revision: str | None = None  # the kernel tree's commit, when it is a git tree
    started: datetime | None = None     # timezone-aware, preferably
    finished: datetime | None = None
    # the command that reruns one point: {op}, {nth}, {point} (its stable id,
    # else its nth) and {resume} ("kfault.resume=OP:NTH-1 " when nth > 1)
    reproduce: str = ""
    # findings counted apart (a target's [[known]], upstream suites' bugs)
    known: tuple[Known, ...] = ()
    # what a multi-boot sweep left unswept (its boot cap), said in the report
    not_swept: str | None = None
    # a failing suite baseline run again alone in a fresh boot: what it did there
    baselines_alone: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # a suite sweep's suites left out by its policy: why, by suite
    excluded: Mapping[str, str] = dataclasses.field(default_factory=dict)


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
    targets: tuple[str, ...] = ()
    live_untracked: int | None = None   # objects the live leak check did not follow
    not_swept: str | None = None        # what the sweep did not reach (RunMeta)
    baselines_alone: Mapping[str, str] = dataclasses.field(default_factory=dict)
    kernel_revision: str | None = None  # RunMeta


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
        if not self.symbol:
            return "-"
        return f"{self.symbol}+{self.offset}" if self.offset else self.symbol

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
    reports: int = 0            # memory-safety reports the point's code made
    flooded: bool = False       # ... the rest silenced after the first ones
    printed: int | None = None  # console bytes of its guarded calls (None: not said)
    muted: bool = False         # ... the console silenced past the bound


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
    reproduce: str | None = None    # for a failed point: the command that reruns it
    known: str | None = None        # a known finding's why: counted apart


@dataclass(frozen=True)
class FailureGroup:
    """The failed points of one operation with one verdict and one evidence
    summary: one finding, reproduced by its first point."""

    points: tuple[Point, ...]

    @property
    def operation(self) -> str:
        return self.points[0].operation

    @property
    def verdict(self) -> str:
        return self.points[0].verdict

    @property
    def evidence(self) -> str:
        return self.points[0].evidence.summary

    @property
    def nths(self) -> tuple[int, ...]:
        return tuple(p.nth for p in self.points)

    @property
    def stable_ids(self) -> tuple[str, ...]:
        return tuple(p.failed_site.stable_id or "-" for p in self.points)

    @property
    def sites(self) -> tuple[str, ...]:
        """Distinct "allocator <- sym+off (file:line)", file:line from any
        point at the same call when some lack it."""
        where: dict[tuple[str, str], str] = {}
        for p in self.points:
            s = p.failed_site
            if p.nth and s.symbol:
                key = (s.allocator or "-", s.caller)
                if not where.get(key):
                    where[key] = s.where
        return tuple(f"{a} <- {c}" + (f" ({w})" if w else "") for (a, c), w in where.items())

    @property
    def reproduce(self) -> str | None:
        return self.points[0].reproduce

    @property
    def known(self) -> str | None:
        """A known finding's why."""
        return self.points[0].known

    @property
    def count(self) -> int:
        return len(self.points)


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
    known: int = 0              # failed points and baselines that are known findings
    unreached: tuple[tuple[str, int], ...] = ()   # (operation, nth) not reached: not looked at
    # suite cases whose baseline fails: their points looked at nothing
    failing_cases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kmemleak:
    canary_found: bool
    driver_leaks: int
    kernel_leaks: int
    known_bugs: Mapping[str, int] = dataclasses.field(default_factory=dict)  # id -> objects

    @property
    def clean(self) -> bool:
        return self.canary_found and not self.driver_leaks


# the SuiteStatus.status of a suite a sweep did not sweep to its end
CUT_SHORT = ("capped", "not reached", "excluded")


@dataclass(frozen=True)
class SuiteStatus:
    """What a suite sweep did with one suite of the kernel: swept, capped (the
    rest not swept: where, and why), excluded (why), or not reached (the boot
    cap ended the sweep first)."""

    name: str
    status: str                 # "swept", "capped", "excluded", "no cases", "not reached"
    points: int                 # fault points with a result
    findings: int               # ... and baselines, that are findings
    why: str = ""
    at: str = ""                # capped: the first point not swept
    verdicts: Mapping[str, int] = dataclasses.field(default_factory=dict)  # of its points
    seconds: float = 0.0        # its points' and baselines' time (the kernel's count)
    boots: int = 0              # boots that ran any of it


@dataclass(frozen=True)
class Report:
    run: RunInfo
    points: tuple[Point, ...]
    baselines: tuple[Point, ...]
    summary: Summary
    kmemleak: Kmemleak | None
    crash: oops.Crash | None
    suites: tuple[SuiteStatus, ...] = ()    # a suite sweep's every suite
    schema: str = SCHEMA

    @property
    def operations(self) -> list[str]:
        return [o.operation for o in self.summary.operations]


point_name = model.point_name


def _opt(value: str | None) -> str | None:
    return None if value in (None, "", "-") else value


def _site(r: ResultLine, symbols: Symbols | None) -> FailedSite:
    symbol, offset = None, None
    if r.site not in ("", "-"):
        # an op's site is a %pS frame; a suite's, its allocation tag's function
        frame = frames.parse_text(r.site)
        symbol, offset = (frame.function, f"{frame.offset:#x}") if frame else (r.site, None)
    file: str | None = None
    line: int | None = None
    location: str | None = None
    placed = symbols.place(r.addr) if symbols else None
    if r.file:
        file, line, location = r.file, r.line, "kernel"
    elif placed:
        file, line = placed
        location = "symbols"
    stable = r.id if r.id and r.id.strip("0") else None
    return FailedSite(symbol=symbol, offset=offset, file=file, line=line, location=location,
                      allocator=_opt(r.allocator), inner=_opt(r.inner), attr=_opt(r.attr),
                      stable_id=stable, addr=hex(r.addr) if r.addr else None)


def reproduce(template: str, op: str, nth: int, ident: str, fill: int = 0) -> str | None:
    """The command that reruns one point, from the run's template (pure)."""
    if not template:
        return None
    point = ident if ident.strip("0") else (f"f{fill}" if fill else str(nth))
    resume = f"--kernel-arg kfault.resume={op}:{nth - 1} " if nth > 1 else ""
    return template.format(op=op, nth=nth, point=point, resume=resume)


def _point(res: model.Result, symbols: Symbols | None, meta: RunMeta) -> Point:
    r = res.line
    ev = Evidence(leaked=tuple(map(str, r.leaked)), report=r.report or None,
                  report_site=_opt(r.report_site), detail=r.detail or None, ret=r.ret,
                  summary=model.evidence(r), reports=r.reports, flooded=r.flooded,
                  printed=r.printed if r.printed >= 0 else None, muted=r.muted)
    return Point(suite=res.suite, case=res.case, operation=r.op, nth=r.nth,
                 name=point_name(r.op, r.nth, r.fill, r.allocator, r.site, r.inner),
                 verdict=str(r.verdict), ok=r.verdict.ok, us=r.us,
                 failed_site=_site(r, symbols), evidence=ev,
                 reproduce=None if r.verdict.ok else
                 reproduce(meta.reproduce, r.op, r.nth, r.id, r.fill),
                 known=None if r.verdict.ok else
                 getattr(match(meta.known, res), "why", None))


def _count(items: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return dict(sorted(counts.items()))


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def _duration(meta: RunMeta) -> float | None:
    if not meta.started or not meta.finished:
        return None
    try:
        return round((meta.finished - meta.started).total_seconds(), 3)
    except TypeError:           # naive and aware datetimes
        return None


def build(log: model.RunLog, meta: RunMeta, symbols: Symbols | None = None,
          bugs: tuple[KernelBug, ...] = ()) -> Report:
    """The report of one run, from its parsed console and its symbols; bugs: the
    known kernel bugs its kernel leaks are counted against."""
    results = [_point(r, symbols, meta) for r in log.results]
    order: dict[str, None] = {}
    for r in log.results:
        order.setdefault(r.op)
    for op in log.counts:
        order.setdefault(op)
    points = tuple(p for p in results if p.nth)
    # a suite case that fails its own expectations with nothing injected: its
    # baseline is a failure, and its points looked at nothing
    failing = frozenset(p.operation for p in results
                        if not p.nth and p.ok and not Verdict(p.verdict).baseline_ok)
    baselines = tuple(dataclasses.replace(p, ok=False) if p.operation in failing else p
                      for p in results if not p.nth)
    stats = log.stats
    run = RunInfo(kernel_version=log.kernel_version, configs=tuple(meta.configs),
                  git_revision=meta.git_revision, kernel_revision=meta.kernel_revision,
                  started=_iso(meta.started),
                  finished=_iso(meta.finished), duration_s=_duration(meta),
                  kunit_totals=log.totals, points_per_s=stats.per_s if stats else None,
                  sweep_points=stats.points if stats else None,
                  sweep_ms=stats.ms if stats else None,
                  live_untracked=stats.untracked if stats else None,
                  targets=tuple(t.name for t in log.targets) or tuple(meta.targets),
                  not_swept=meta.not_swept, baselines_alone=meta.baselines_alone)
    leak = (Kmemleak(log.kmemleak.canary_found, log.kmemleak.target_leaks,
                     log.kmemleak.kernel_leaks, kernel_leaks(log.leaks, bugs)[0])
            if log.kmemleak else None)
    return Report(run=run, points=points, baselines=baselines,
                  summary=_summary(log, list(order), points, baselines, run, leak, failing),
                  kmemleak=leak, crash=log.crash,
                  suites=suite_statuses(log, points + baselines, meta.excluded))


def suite_statuses(log: model.RunLog, results: tuple[Point, ...],
                   excluded: Mapping[str, str]) -> tuple[SuiteStatus, ...]:
    """Every suite the kernel listed (kfault: suite) and every suite with a
    result, each once, in the kernel's order.  excluded: why, by suite.  None
    for an op sweep, or a console from before suites.c listed its suites."""
    if not log.suites:
        return ()
    names = list(dict.fromkeys(list(log.suites) + [p.operation.split(".")[0]
                                                   for p in results]))
    caps = {c.suite: c for c in reversed(log.capped)}
    out = []
    for name in names:
        mine = [p for p in results if p.operation.split(".")[0] == name]
        points = sum(1 for p in mine if p.nth)
        findings = sum(1 for p in mine if not p.ok and not p.known
                       and not Verdict(p.verdict).unreached)
        cap = caps.get(name)
        listed = log.suites.get(name)
        if listed is not None and listed.excluded:
            status, why, at = "excluded", excluded.get(name, "kfault.exclude names it"), ""
        elif cap is not None:
            status, why, at = "capped", cap.why, cap.at
        elif mine:
            status, why, at = "swept", "", ""
        elif listed is not None and listed.cases == 0:
            status, why, at = "no cases", "it has no case to run in this kernel", ""
        else:
            status, why, at = "not reached", ("no result: the sweep ended before it, or "
                                              "(a shard) none of its cases are this shard's"), ""
        out.append(SuiteStatus(
            name, status, points, findings, why, at,
            _count(p.verdict for p in mine if p.nth), sum(p.us for p in mine) / 1e6,
            len({r.boot for r in log.results if r.op.split(".")[0] == name})))
    return tuple(out)


def _not_looked(p: Point, failing: frozenset[str]) -> bool:
    """Nothing was looked at: the allocation did not come, or an ok point of a
    case that fails with nothing injected (only its own assertions ran)."""
    return Verdict(p.verdict).unreached or (p.ok and p.operation in failing)


def _summary(log: model.RunLog, order: list[str], points: tuple[Point, ...],
             baselines: tuple[Point, ...], run: RunInfo, leak: Kmemleak | None,
             failing: frozenset[str] = frozenset()) -> Summary:
    missing = model.missing(log)
    ops = []
    for op in order:
        mine = [p for p in points if p.operation == op]
        count = log.counts.get(op)
        ops.append(OperationSummary(op, count.points if count else None,
                                    count.bookkeeping if count else None, len(mine),
                                    missing.get(op, 0), _count(p.verdict for p in mine)))
    groups: dict[tuple[str, str, str], list[Point]] = {}
    unreached = tuple((p.operation, p.nth) for p in points if _not_looked(p, failing))
    for p in sorted(baselines + points, key=lambda p: order.index(p.operation)):
        if not p.ok and not Verdict(p.verdict).unreached:
            groups.setdefault((p.operation, p.verdict, p.evidence.summary), []).append(p)
    failures = tuple(FailureGroup(tuple(ps)) for ps in groups.values())
    failed = sum(not p.ok and not p.known and not Verdict(p.verdict).unreached for p in points)
    baselines_failed = sum(not p.ok and not p.known for p in baselines)
    known = sum(not p.ok and bool(p.known) for p in points + baselines)
    # a known finding's point fails its KUnit case too
    passed = (not failed and not baselines_failed and not missing and log.crash is None
              and run.not_swept is None
              and run.kunit_totals.failed <= known and (leak is None or leak.clean))
    return Summary(points=len(points), verdicts=_count(p.verdict for p in points),
                   ok=len(points) - failed - len(unreached), failed=failed,
                   baselines_failed=baselines_failed, passed=passed, missing=missing,
                   operations=tuple(ops), failures=failures, known=known, unreached=unreached,
                   failing_cases=tuple(sorted(failing)))


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
                         "summary": e.summary, "reports": e.reports, "flooded": e.flooded,
                         "printed": e.printed, "muted": e.muted},
            "reproduce": p.reproduce, "known": p.known}


def to_dict(report: Report) -> dict[str, Any]:
    """The JSON document (schema kfault-report/1)."""
    run, s, t = report.run, report.summary, report.run.kunit_totals
    crash = report.crash
    return {
        "schema": report.schema,
        "run": {"kernel_version": run.kernel_version, "targets": list(run.targets),
                "configs": list(run.configs),
                "git_revision": run.git_revision, "kernel_revision": run.kernel_revision,
                "started": run.started,
                "finished": run.finished, "duration_s": run.duration_s,
                "kunit_totals": {"pass": t.passed, "fail": t.failed, "skip": t.skipped,
                                 "total": t.total},
                "points_per_s": run.points_per_s, "sweep_points": run.sweep_points,
                "live_untracked": run.live_untracked, "not_swept": run.not_swept,
                "baselines_alone": dict(run.baselines_alone),
                "sweep_ms": run.sweep_ms},
        "points": [point_dict(p) for p in report.points],
        "baselines": [point_dict(p) for p in report.baselines],
        "summary": {
            "points": s.points, "verdicts": dict(s.verdicts), "ok": s.ok, "failed": s.failed,
            "baselines_failed": s.baselines_failed, "passed": s.passed,
            "known": s.known, "missing": dict(s.missing),
            "unreached": [{"operation": op, "nth": nth} for op, nth in s.unreached],
            "failing_cases": list(s.failing_cases),
            "operations": [{"operation": o.operation, "counted": o.counted,
                            "bookkeeping": o.bookkeeping, "reported": o.reported,
                            "missing": o.missing, "verdicts": dict(o.verdicts)}
                           for o in s.operations],
            "failures": [{"operation": g.operation, "verdict": g.verdict,
                          "evidence": g.evidence, "count": g.count, "nths": list(g.nths),
                          "stable_ids": list(g.stable_ids), "sites": list(g.sites),
                          "reproduce": g.reproduce, "known": g.known}
                         for g in s.failures]},
        "kmemleak": None if report.kmemleak is None else {
            "canary_found": report.kmemleak.canary_found,
            "driver_leaks": report.kmemleak.driver_leaks,
            "kernel_leaks": report.kmemleak.kernel_leaks,
            "known_bugs": dict(report.kmemleak.known_bugs)},
        "crash": None if crash is None else {
            "title": crash.title, "frame": _opt(crash.frame), "case": _opt(crash.case),
            "last_point": _opt(crash.last_point), "faulted": crash.faulted or None},
        "suites": [{"name": x.name, "status": x.status, "points": x.points,
                    "findings": x.findings, "why": x.why or None, "at": x.at or None,
                    "verdicts": dict(x.verdicts), "seconds": round(x.seconds, 3),
                    "boots": x.boots}
                   for x in report.suites],
    }
