"""A report rendered for machines and people: JUnit XML, Markdown, HTML (pure).

Each function takes a ``report.Report`` and returns text; ``reports_io``
writes it.  The HTML page is self-contained (inline CSS and JS, no URL)
and built from ``templates/report.html.j2`` with autoescaping on.
"""
from __future__ import annotations

from collections import Counter

import re
import xml.etree.ElementTree as ET
from typing import Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..console.protocol import Verdict
from .report import Point, Report

TEMPLATES = Path(__file__).parent / "templates"

# Best first: protocol.Verdict's order; unknown verdicts sort last.
VERDICTS = tuple(str(v) for v in Verdict)

_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


OK_VERDICTS = {str(v) for v in Verdict if v.ok}     # a suite's passed and test-failed too


def _x(text: str) -> str:
    """Text XML 1.0 can carry (a console line may hold control characters)."""
    return _XML_BAD.sub("?", text)


def verdict_rank(verdict: str) -> int:
    return VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)


def evidence_lines(p: Point) -> list[str]:
    """The evidence of one point, one "key: value" per line."""
    s, e = p.failed_site, p.evidence
    out = [f"verdict: {p.verdict} (ret {e.ret}, {p.us} us)"]
    if p.nth:
        site = f"{s.allocator or '-'} <- {s.caller}"
        if s.inner:
            site += f" (in {s.inner})"
        out.append(f"failed site: {site}")
        if s.where:
            out.append(f"file: {s.where}" + (" (addr2line)" if s.location == "symbols" else ""))
        out.append(f"stable id: {s.stable_id or '-'}   addr: {s.addr or '-'}   "
                   f"attr: {s.attr or '-'}")
    out += [f"leaked: {item}" for item in e.leaked]
    if e.report:
        out.append(f"report: {e.report}")
    if e.report_site:
        out.append(f"report site: {e.report_site}")
    if e.detail:
        out.append(f"detail: {e.detail}")
    if p.reproduce:
        out.append(f"reproduce: {p.reproduce}")
    return out


def _cases(report: Report, op: str) -> list[Point]:
    return [p for p in report.baselines + report.points if p.operation == op]


def _unreached(p: Point) -> bool:
    return Verdict(p.verdict).unreached


def _key(p: Point) -> str:
    """What names a result while the code moves: "baseline", its stable id, or
    "nth N" where the kernel named no site."""
    return "baseline" if not p.nth else p.failed_site.stable_id or f"nth {p.nth}"


def _numbered(names: Iterable[str], sep: str) -> list[str]:
    """names, the second and later of a repeated one numbered (one site failed
    twice in a case: its n-th time)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}{sep}{seen[name]}")
    return out


def case_name(p: Point) -> str:
    """A result's JUnit name, stable while the code moves: the operation and the
    point's stable id with the allocator and the function it failed in, no code
    offset ("open: e3e5e880 kvmalloc_node <- refdev_open"); the baseline is
    "OP: baseline", a point the kernel could not name "OP: nth N"."""
    fs = p.failed_site
    where = (f" {fs.allocator or '-'} <- {fs.symbol}"
             if p.nth and fs.stable_id and fs.symbol else "")
    return f"{p.operation}: {_key(p)}{where}"


def junit_xml(report: Report) -> str:
    """One <testsuite> per operation, one <testcase> per result (the baseline and
    each fault point, named by case_name(); the KUnit case's name, with its code
    offset, and nth are properties), a <failure> for each verdict that is not ok;
    an <error> case for counted points without a result and for a crash."""
    root = ET.Element("testsuites", name="kfault")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    seconds = 0.0
    for op in report.operations:
        cases = _cases(report, op)
        missing = report.summary.missing.get(op, 0)
        time = sum(p.us for p in cases) / 1e6
        suite = ET.SubElement(root, "testsuite", name=_x(f"kfault.{op}"),
                              tests=str(len(cases) + bool(missing)),
                              failures=str(sum(not p.ok and not _unreached(p) for p in cases)),
                              errors=str(int(bool(missing))),
                              skipped=str(sum(map(_unreached, cases))), time=f"{time:.6f}")
        for p, name in zip(cases, _numbered(map(case_name, cases), " /")):
            case = ET.SubElement(suite, "testcase", classname=_x(f"kfault.{op}"),
                                 name=_x(name), time=f"{p.us / 1e6:.6f}")
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="kunit_case", value=_x(p.name))
            ET.SubElement(props, "property", name="nth", value=str(p.nth))
            if p.failed_site.file:
                case.set("file", _x(p.failed_site.file))
                case.set("line", str(p.failed_site.line))
            if _unreached(p):
                ET.SubElement(case, "skipped", message=_x(f"not reached: {p.evidence.summary}"))
            elif not p.ok:
                fail = ET.SubElement(case, "failure", type=_x(p.verdict),
                                     message=_x(f"{p.verdict}: {p.evidence.summary}".rstrip(": ")))
                fail.text = _x("\n".join(evidence_lines(p)))
        if missing:
            case = ET.SubElement(suite, "testcase", classname=_x(f"kfault.{op}"),
                                 name=_x(f"{op}: results of all counted points"))
            err = ET.SubElement(case, "error", type="missing",
                                message=f"{missing} counted point(s) have no result")
            err.text = "the log is truncated or the kernel crashed during the sweep"
        totals["tests"] += int(suite.get("tests", "0"))
        totals["failures"] += int(suite.get("failures", "0"))
        totals["errors"] += int(suite.get("errors", "0"))
        seconds += time
    if report.crash:
        c = report.crash
        suite = ET.SubElement(root, "testsuite", name="kfault.crash", tests="1", failures="0",
                              errors="1", skipped="0", time="0")
        case = ET.SubElement(suite, "testcase", classname="kfault.crash", name=_x(c.title))
        err = ET.SubElement(case, "error", type="crash", message=_x(c.title))
        err.text = _x(f"case: {c.case}\nlast point: {c.last_point}\ndriver frame: {c.frame}")
        totals["tests"] += 1
        totals["errors"] += 1
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.6f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _md(text: str) -> str:
    """Text safe in a Markdown table cell or list item."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    text = _md(text)
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if text else "-"


def status(report: Report) -> str:
    return "PASS" if report.summary.passed else "FAIL"


def facts(report: Report) -> list[tuple[str, str]]:
    """The run's facts as (label, text), for both Markdown and HTML."""
    run, t = report.run, report.run.kunit_totals
    rows = [("kernel", run.kernel_version or "unknown"),
            ("kernel tree", run.kernel_revision or "not a git tree"),
            ("kfault revision", run.git_revision or "unknown"),
            ("configs", ", ".join(run.configs) or "unknown")]
    if run.started:
        rows.append(("started", run.started + (f" ({run.duration_s:g} s)"
                                               if run.duration_s is not None else "")))
    rows.append(("KUnit (kernel's count)",
                 f"pass {t.passed}, fail {t.failed}, skip {t.skipped}, total {t.total}"))
    if run.points_per_s is not None:
        rows.append(("sweep speed", f"{run.sweep_points} points (all passes) in "
                                    f"{run.sweep_ms} ms, {run.points_per_s} points/s"))
    if run.not_swept:
        rows.append(("NOT SWEPT", run.not_swept))
    for op, said in run.baselines_alone.items():
        rows.append((f"baseline of {op}", f"failed in the sweep; {said}"))
    k = report.kmemleak
    rows.append(("kmemleak", "no confirmation line in the log" if k is None else
                 f"canary {'found' if k.canary_found else 'MISSING'}, {k.driver_leaks} "
                 f"{', '.join(run.targets) or 'target'} leak(s), {k.kernel_leaks} kernel "
                 f"leak(s) under its calls"))
    return rows


def headline(report: Report) -> str:
    s = report.summary
    ops = len(s.operations)
    text = (f"{s.points} fault point{'s' * (s.points != 1)} in {ops} "
            f"operation{'s' * (ops != 1)}: {s.ok} ok, {s.failed} failed")
    if s.baselines_failed:
        text += f", {s.baselines_failed} baseline(s) failed"
    if s.unreached:
        text += f", {len(s.unreached)} not reached (not looked at)"
    if s.failing_cases:
        text += (f"; {len(s.failing_cases)} case(s) fail with nothing injected, "
                 "their points looked at nothing")
    if s.missing:
        text += f", {sum(s.missing.values())} point(s) without a result"
    if report.crash:
        text += ", the kernel crashed"
    if report.run.not_swept:
        text += f"; INCOMPLETE: {report.run.not_swept}"
    if report.suites:
        counts = Counter(x.status for x in report.suites)
        text += "; suites: " + ", ".join(f"{counts[k]} {k}" for k in SUITE_STATUSES
                                         if counts[k])
    return text


SUITE_STATUSES = ("swept", "capped", "excluded", "no cases", "not reached")


def suites_table(report: Report) -> list[str]:
    """Every suite of a suite sweep, the ones not swept whole first."""
    if not report.suites:
        return []
    out = ["", "## Suites", "",
           "Every suite the kernel has that the sweep's glob names: swept, capped (the "
           "rest of it not swept, from the point named), excluded by the policy, or not "
           "reached.", "",
           "| suite | status | points | findings | verdicts | boots | seconds | why |",
           "|---|---|---:|---:|---|---:|---:|---|"]
    order = sorted(report.suites, key=lambda x: (x.status == "swept", x.name))
    for x in order:
        why = x.why + (f" (from {x.at})" if x.at else "")
        verdicts = ", ".join(f"{v} {n}" for v, n in sorted(
            x.verdicts.items(), key=lambda kv: verdict_rank(kv[0])))
        out.append(f"| {_md(x.name)} | {x.status} | {x.points} | {x.findings} | "
                   f"{_md(verdicts)} | {x.boots} | {x.seconds:.1f} | {_md(why)} |")
    return out


def markdown(report: Report) -> str:
    """The summary people read first: verdicts, failures with file:line, kmemleak, speed."""
    s = report.summary
    out = [f"# kfault report: {status(report)}", "", f"**{headline(report)}.**", "",
           "| | |", "|---|---|"]
    out += [f"| {label} | {_md(text)} |" for label, text in facts(report)]
    out += ["", "| verdict | points |", "|---|---:|"]
    for verdict, n in sorted(s.verdicts.items(), key=lambda kv: verdict_rank(kv[0])):
        out.append(f"| {_md(verdict)} | {n} |")
    out += suites_table(report)
    out += ["", "## Operations", "",
            "| operation | points | ok | failed | missing | bookkeeping | baseline |",
            "|---|---:|---:|---:|---:|---:|---|"]
    base = {p.operation: p.verdict for p in report.baselines}
    for o in s.operations:
        ok = sum(n for v, n in o.verdicts.items() if v in OK_VERDICTS)
        unreached = o.verdicts.get(str(Verdict.NOT_FIRED), 0)
        out.append(f"| {_md(o.operation)} | {o.reported} | {ok} | {o.reported - ok - unreached} | "
                   f"{o.missing} | {'-' if o.bookkeeping is None else o.bookkeeping} | "
                   f"{_md(base.get(o.operation, 'no result'))} |")
    out += ["", "## Failures", ""]
    if not s.failures:
        out.append("None: every fault point was handled or absorbed.")
    for g in s.failures:
        nths = ", ".join(str(n) for n in g.nths[:40]) + (" ..." if g.count > 40 else "")
        out += [f"### {_md(g.operation)}: {_md(g.verdict)}, {g.count} point(s)", "",
                f"- evidence: {_code(g.evidence)}"]
        out += [f"- site: {_code(site)}" for site in g.sites]
        if g.reproduce:
            out.append(f"- reproduce (nth {g.nths[0]}): {_code(g.reproduce)}")
        out += [f"- nth: {nths}" + (" (0 is the baseline)" if 0 in g.nths else ""), ""]
    if s.unreached:
        out += ["## Not reached", "",
                "The counting run had these allocations; when each was to fail, the case "
                "took another path and never made it, or the case fails its own "
                "expectations with nothing injected (below): nothing was looked at there.", ""]
        if s.failing_cases:
            out += [f"- {_md(op)}: fails with nothing injected (its baseline)"
                    for op in s.failing_cases]
        by_op: dict[str, list[int]] = {}
        for op, nth in s.unreached:
            by_op.setdefault(op, []).append(nth)
        out += [f"- {_md(op)}: nth {', '.join(map(str, nths))}" for op, nths in by_op.items()]
        out.append("")
    for op, n in s.missing.items():
        out.append(f"- {_md(op)}: {n} counted point(s) have no result "
                   f"(truncated log or crash)")
    if report.crash:
        c = report.crash
        out += ["", "## Crash", "", f"- {_code(c.title)}", f"- case: {_code(c.case)}",
                f"- last point: {_code(c.last_point)}", f"- driver frame: {_code(c.frame)}"]
    return "\n".join(out).rstrip("\n") + "\n"


@dataclass(frozen=True)
class Cell:
    """One heatmap cell: a result, or a counted point without one."""

    index: int                  # unique in the page; -1 for a missing result
    label: str                  # nth, shown in the cell
    verdict: str
    css: str
    title: str
    point: Point | None
    anchor: str = ""            # the result's id in the page: by stable id (anchor())


@dataclass(frozen=True)
class Row:
    operation: str
    cells: tuple[Cell, ...]
    failed: int
    points: int


def css_class(verdict: str) -> str:
    return "v-" + (verdict if verdict in VERDICTS else "unknown")


_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


def anchor(p: Point) -> str:
    """A result's anchor, stable while the code moves and across runs:
    "p-OP-ID", "p-OP-baseline", or "p-OP-nthN" where the kernel named no site."""
    return "p-" + _SLUG.sub("_", f"{p.operation}-{_key(p).replace(' ', '')}")


def heatmap(report: Report) -> list[Row]:
    """Rows = operations, cells = the baseline then the fault points in reported order."""
    rows = []
    index = 0
    anchors = iter(_numbered((anchor(p) for op in report.operations
                              for p in _cases(report, op)), "-"))
    for op in report.operations:
        cells = []
        for p in _cases(report, op):
            title = f"{p.name}: {p.verdict}" + (" (known)" if p.known else "")
            if p.failed_site.where:
                title += f" ({p.failed_site.where})"
            cells.append(Cell(index, "B" if not p.nth else str(p.nth), p.verdict,
                              css_class(p.verdict) + (" base" if not p.nth else "")
                              + (" known" if p.known else ""), title, p, next(anchors)))
            index += 1
        for _ in range(report.summary.missing.get(op, 0)):
            cells.append(Cell(-1, "?", "missing", "v-missing",
                              f"{op}: a counted point without a result", None))
        points = [c.point for c in cells if c.point and c.point.nth]
        rows.append(Row(op, tuple(cells), sum(not p.ok for p in points), len(points)))
    return rows


def html(report: Report) -> str:
    """The self-contained HTML page with the verdict heatmap."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    template = env.get_template("report.html.j2")
    verdicts = sorted(report.summary.verdicts.items(), key=lambda kv: verdict_rank(kv[0]))
    return template.render(report=report, status=status(report), headline=headline(report),
                           facts=facts(report), rows=heatmap(report), verdicts=verdicts,
                           legend=VERDICTS, css_class=css_class, evidence=evidence_lines)
