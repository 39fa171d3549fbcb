"""A run's report as KCIDB I/O data, schema v5.3 (pure): what KernelCI's
results database ingests (kernelci/kcidb-io, kcidb_io/schema/v05_03.py).

One checkout (the kernel tree's version), one build (its configuration
fragments, ARCH=um), one test per result: each fault point and each
baseline, at path ``kfault.<suite>.<case>.<point>``, and the run's own
crash, if it had one outside every point, at ``kfault.crash``.  A point's status is
PASS when its verdict is ok, SKIP when it was not reached (nothing was
looked at), FAIL otherwise (known findings too: misc.known says why they
are counted apart).  Its evidence goes to log_excerpt and misc.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import report
from .ids import stable_id

ORIGIN = "kfault"
VERSION = {"major": 5, "minor": 3}
MAX_EXCERPT = 16384         # the schema's maxLength of log_excerpt
_SEGMENT = re.compile(r"[^a-zA-Z0-9_-]+")


@dataclass(frozen=True)
class Source:
    """What the report cannot say about where it ran (the caller's)."""

    tree_name: str = "linux"        # e.g. "stable", "mainline"
    architecture: str = "um"
    log_url: str | None = None      # the console, where CI keeps it


def segment(text: str) -> str:
    """One segment of a KCIDB test path: runs of other characters become '_'."""
    return _SEGMENT.sub("_", text).strip("_") or "_"


def test_path(p: report.Point) -> str:
    """kfault.<suite>.<case>.<point>: a suite sweep's operation is "suite.case";
    an operation sweep's suite is its KUnit suite, its case the operation.  The
    point is its stable id, else its nth; a baseline's is "baseline"."""
    suite, case = p.operation.split(".", 1) if "." in p.operation else (p.suite, p.operation)
    ident = p.failed_site.stable_id
    point = "baseline" if not p.nth else ident if ident else f"nth{p.nth}"
    return ".".join([ORIGIN, segment(suite), segment(case), segment(point)])


def status(p: report.Point, unreached: set[tuple[str, int]]) -> str:
    if (p.operation, p.nth) in unreached:
        return "SKIP"
    return "PASS" if p.ok else "FAIL"


def _excerpt(p: report.Point) -> str | None:
    e = p.evidence
    text = "\n".join(x for x in (e.report, e.detail, *e.leaked) if x)
    return text[:MAX_EXCERPT] or None


def _misc(p: report.Point) -> dict[str, Any]:
    s = p.failed_site
    misc: dict[str, Any] = {"verdict": p.verdict, "nth": p.nth, "name": p.name,
                            "summary": p.evidence.summary}
    where = {"allocator": s.allocator, "symbol": s.symbol, "file": s.file, "line": s.line,
             "stable_id": s.stable_id}
    misc["failed_site"] = {k: v for k, v in where.items() if v is not None}
    if p.evidence.reports:
        misc["memory_safety_reports"] = p.evidence.reports
        misc["flooded"] = p.evidence.flooded
    if p.evidence.printed is not None:
        misc["console_bytes"] = p.evidence.printed
        misc["console_muted"] = p.evidence.muted
    if p.reproduce:
        misc["reproduce"] = p.reproduce
    if p.known:
        misc["known"] = p.known
    return misc


def to_kcidb(rep: report.Report, source: Source = Source()) -> dict[str, Any]:
    """The KCIDB v5.3 document of one run."""
    run = rep.run
    version = run.kernel_version or "unknown"
    checkout_id = f"{ORIGIN}:{stable_id('checkout', version, run.kernel_revision or '')}"
    build_id = f"{ORIGIN}:{stable_id('build', checkout_id, source.architecture, *run.configs)}"
    started = {"start_time": run.started} if run.started else {}
    checkout: dict[str, Any] = {
        "id": checkout_id, "origin": ORIGIN, "tree_name": source.tree_name, "valid": True,
        "misc": {"kernel_version": version, "kfault_revision": run.git_revision}, **started}
    if run.kernel_revision and not run.kernel_revision.endswith("-dirty"):
        checkout["git_commit_hash"] = run.kernel_revision
    build: dict[str, Any] = {
        "id": build_id, "checkout_id": checkout_id, "origin": ORIGIN,
        "architecture": source.architecture, "config_name": "+".join(run.configs) or "kfault",
        "status": "PASS", **started}
    unreached = set(rep.summary.unreached)
    run_key = run.started or ""
    tests = []
    for num, p in enumerate((*rep.baselines, *rep.points)):
        path = test_path(p)
        test: dict[str, Any] = {
            "id": f"{ORIGIN}:{stable_id('test', build_id, run_key, path, str(p.nth), str(num))}",
            "build_id": build_id, "origin": ORIGIN, "path": path,
            "status": status(p, unreached), "duration": p.us / 1e6, "misc": _misc(p),
            **started}
        excerpt = _excerpt(p)
        if excerpt:
            test["log_excerpt"] = excerpt
        if source.log_url:
            test["log_url"] = source.log_url
        tests.append(test)
    if rep.crash is not None:
        # the run's own crash, no point's: a boot that died after its every point
        c = rep.crash
        path = f"{ORIGIN}.crash"
        tests.append({
            "id": f"{ORIGIN}:{stable_id('test', build_id, run_key, path)}",
            "build_id": build_id, "origin": ORIGIN, "path": path, "status": "FAIL",
            "log_excerpt": "\n".join(x for x in (c.title, c.frame, c.faulted) if x and x != "-"),
            "misc": {"title": c.title, "frame": c.frame, "case": c.case,
                     "last_point": c.last_point}, **started})
    return {"version": VERSION, "checkouts": [checkout], "builds": [build], "tests": tests}
