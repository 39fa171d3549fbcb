"""A review's verdict (pure): whether a sweep reached each allocation call a
patch adds, and the Markdown a reviewer pastes into a reply.

The sweeps and the comparison by stable id (baseline.py) are the review
command's and the baseline module's; this module only reads their results.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Iterable, Mapping

from ..checkout.diff import Added, Hunk, Patch
from ..console import frames
from . import baseline
from .linecov import HunkLines


def reached(site: Added, report: Mapping[str, Any]) -> bool:
    """Did a point of the report fail the allocation at that added line?"""
    name = PurePosixPath(site.path).name
    for item in list(report.get("points", [])):
        fs = item.get("failed_site") or {}
        if fs.get("file") and PurePosixPath(str(fs["file"])).name == name \
                and fs.get("line") == site.line:
            return True
    return False


@dataclass(frozen=True)
class HunkUse:
    """A hunk of the patch: whether the patched side's sweeps executed its
    lines (gcov's counts, when they were measured) and the swept points that
    ran in it (failed an allocation in its function or at its lines, or
    reported from its function)."""

    hunk: Hunk
    functions: tuple[str, ...]      # the functions it changes (none known: ())
    points: tuple[str, ...]         # "operation nth" of each
    lines: HunkLines | None = None  # gcov's word on the hunk; None: not measured
    unmeasured: str = ""            # why it was not

    @property
    def function(self) -> str:
        """Its functions, as review.md names them ("" if none is known)."""
        return ", ".join(self.functions)

    @property
    def exercised(self) -> bool:
        """Executed, by gcov's counts; without them, run in by a point."""
        return self.lines.executed if self.lines is not None else bool(self.points)


def _symbol(site: str | None) -> str:
    """The function of a report's "sym+off/size" site, or of a bare name."""
    frame = frames.parse_text(site or "")
    return frame.function if frame else (site or "")


def hunk_uses(hunks: Iterable[tuple[Hunk, tuple[str, ...]]], patched: Mapping[str, Any],
              lines: Mapping[Hunk, HunkLines | str] = {}) -> list[HunkUse]:
    """For each (hunk, its functions), the patched side's points that ran in it
    and what gcov counted there (lines: by hunk, or why it was not measured)."""
    points = list(patched.get("points", [])) + list(patched.get("baselines", []))
    out = []
    for hunk, functions in hunks:
        name = PurePosixPath(hunk.path).name
        ran = []
        for p in points:
            fs = p.get("failed_site") or {}
            ev = p.get("evidence") or {}
            here = fs.get("file") and PurePosixPath(str(fs["file"])).name == name
            at = here and isinstance(fs.get("line"), int) and hunk.holds(fs["line"])
            inside = bool({_symbol(fs.get("symbol")),
                           _symbol(ev.get("report_site"))} & set(functions))
            # a suite case's own function: its passing baseline ran it to its end
            case = str(p.get("operation", "")).split(".")
            whole = (not p.get("nth") and p.get("verdict") == "passed"
                     and len(case) > 1 and case[1] in functions)
            if at or inside:
                ran.append(f"{p.get('operation')} {p.get('nth')}")
            elif whole:
                ran.append(f"{p.get('operation')} 0 (its baseline passed: the case ran to "
                           "its end)")
        said = lines.get(hunk, "not measured")
        out.append(HunkUse(hunk, functions, tuple(ran), said if isinstance(said, HunkLines)
                           else None, "" if isinstance(said, HunkLines) else said))
    return out


NEW, FIXED, CLEAN, INCONCLUSIVE = "new findings", "fixed", "no new finding", "inconclusive"


def verdict(cmp: baseline.Comparison, uses: list[HunkUse]) -> str:
    """New findings first; else a review whose touched code no point ran in
    proves nothing: inconclusive, never clean; so is one with a finding in a
    suite that one side did not sweep to its end (nothing to compare it with)."""
    if cmp.new:
        return NEW
    if not any(u.exercised for u in uses) or any(not e.ok for e in cmp.unswept):
        return INCONCLUSIVE
    return FIXED if cmp.fixed else CLEAN


def counts(cmp: baseline.Comparison) -> str:
    """The comparison's counts, as review.md's first line and the console say them."""
    other = len(baseline.moved(cmp))
    return (f"{len(cmp.new)} new, {len(cmp.fixed)} fixed, {len(cmp.unchanged)} unchanged"
            + (f" ({other} failing another way)" if other else "")
            + (f", {len(cmp.unseen)} where the base did not look (its baseline failed)"
               if cmp.unseen else "")
            + (f", {len(cmp.unswept)} not compared (a suite one side did not sweep to its "
               "end)" if cmp.unswept else ""))


def _way(verdict: str, evidence: str) -> str:
    return f"{verdict}: {evidence}" if evidence else verdict


def first_line(cmp: baseline.Comparison, uses: list[HunkUse]) -> str:
    ran = sum(u.exercised for u in uses)
    measured = sum(u.lines is not None for u in uses)
    how = ("executed (gcov)" if measured == len(uses) else "run by a swept point"
           if not measured else f"executed or run by a swept point ({measured} measured "
           "by gcov)")
    idle = "" if ran == len(uses) else f", {len(uses) - ran} not exercised"
    return (f"kfault review: {verdict(cmp, uses)}: {counts(cmp)}; {ran} of {len(uses)} "
            f"touched hunk(s) {how}{idle}")


def _lines(ns: Iterable[int]) -> str:
    return ", ".join(str(n) for n in ns)


def hunk_said(u: HunkUse) -> str:
    """One line of review.md on a touched hunk."""
    where = f"`{u.hunk.path}:{u.hunk.start}`" + (f" (`{u.function}`)" if u.function else "")
    named = ", ".join(u.points[:8]) + (" ..." if len(u.points) > 8 else "")
    points = (f"{len(u.points)} point(s) ran in it: {named}" if u.points
              else "no point's failure or report is in it")
    if u.lines is None:
        state = (f"run by {len(u.points)} point(s): {named}" if u.points
                 else "**not exercised** by any swept point")
        return f"- {where}: {state} (line coverage {u.unmeasured})"
    if not u.lines.looked:
        return f"- {where}: **not exercised**: gcov counts no executable line in it; {points}"
    if u.lines.executed:
        return (f"- {where}: executed: line(s) {_lines(u.lines.ran)} of "
                f"{_lines(u.lines.looked)} ran (gcov); {points}")
    return (f"- {where}: **not executed**: none of line(s) {_lines(u.lines.looked)} ran "
            f"(gcov); {points}")


def _short(evidence: str, limit: int = 160) -> str:
    """The evidence's first clause: a crash's title, not its console excerpt."""
    first = evidence.split(";")[0] if evidence.startswith("Kernel panic") else evidence
    first = first.splitlines()[0] if first else ""
    return first if len(first) <= limit else first[:limit - 3] + "..."


@dataclass(frozen=True)
class _Row:
    operation: str
    name: str
    verdict: str
    where: str
    evidence: str
    reproduce: str


def _row(e: baseline.Entry, report: Mapping[str, Any], run_in: str = "") -> _Row:
    where, repro = "-", ""
    for item in list(report.get("points", [])) + list(report.get("baselines", [])):
        if item.get("operation") == e.operation and item.get("nth") == e.nth:
            fs = item.get("failed_site") or {}
            if fs.get("file"):
                where = f"{fs['file']}:{fs.get('line')}"
            repro = item.get("reproduce") or ""
            if repro and run_in and repro.startswith("make "):
                repro = run_in + repro[len("make "):]
            break
    verdict = e.verdict if e.was in (None, e.verdict) else f"{e.was} -> {e.verdict}"
    return _Row(e.operation, e.name, verdict, where, _short(e.evidence), repro)


def _table(rows: list[_Row]) -> list[str]:
    """Rows that failed alike (operation, verdict, evidence) as one line: the
    first point's name and command, how many more, their sites."""
    groups: dict[tuple[str, str, str], list[_Row]] = {}
    for r in rows:
        groups.setdefault((r.operation, r.verdict, r.evidence), []).append(r)
    out = ["| operation | point | verdict | file:line | evidence | reproduce |",
           "|---|---|---|---|---|---|"]
    for (op, verdict, evidence), rs in groups.items():
        name = rs[0].name + (f" (and {len(rs) - 1} more)" if len(rs) > 1 else "")
        sites = list(dict.fromkeys(r.where for r in rs))
        where = ", ".join(sites[:3]) + (f", +{len(sites) - 3}" if len(sites) > 3 else "")
        repro = rs[0].reproduce
        out.append(f"| {_md(op)} | {_md(name)} | {_md(verdict)} | {_md(where)} | "
                   f"{_md(evidence)} | {'`' + repro + '`' if repro else '-'} |")
    return out


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "-"


def markdown(title: str, patch: Patch, cmp: baseline.Comparison,
             base: Mapping[str, Any], patched: Mapping[str, Any],
             checkpatch: Iterable[str], rerun: str = "",
             sparse: list[str] | None = None, uses: list[HunkUse] = [],
             swept: list[str] = []) -> list[str]:
    """The review as Markdown lines; rerun: how a new finding's command starts
    instead of 'make ', to run on the patched copy ("make -C out/review/tree ")."""
    out = [first_line(cmp, uses), "", f"# kfault review: {title}", "",
           f"**{len(cmp.new)} new finding(s), {len(cmp.fixed)} fixed, "
           f"{len(cmp.unchanged)} unchanged.** Touched: "
           + ", ".join(f"`{f}`" for f in patch.files) + ".", ""]
    out += ["## What the sweeps ran", ""] + [f"- {line}" for line in swept] + [""]
    out += ["## Touched hunks", ""]
    out += [hunk_said(u) for u in uses]
    out.append("")
    if cmp.new:
        out += ["## New findings", ""]
        out += _table([_row(e, patched, rerun) for e in cmp.new]) + [""]
    if cmp.fixed:
        out += ["## Fixed", ""] + _table([_row(e, base) for e in cmp.fixed]) + [""]
    if cmp.unseen:
        out += ["## Findings where the base did not look", "",
                "The base's run of these cases failed with nothing injected, so it swept "
                "no point there: nothing to compare with.  The patch made them reachable; "
                "whether it caused them, the base cannot say.", ""]
        out += _table([_row(e, patched, rerun) for e in cmp.unseen]) + [""]
    cut = tuple(e for e in cmp.unswept if not e.ok)
    if cut:
        out += ["## Findings not compared", "",
                "These results lie in suites that the other side's sweep did not sweep to "
                "their end (a time or boot cap, the policy): there is nothing to compare "
                "them with, and the review cannot be clean.", ""]
        out += _table([_row(e, patched, rerun) for e in cut]) + [""]
    if cmp.unchanged:
        out += [f"{len(cmp.unchanged)} finding(s) are there before and after the patch "
                "(unchanged).", ""]
    other = baseline.moved(cmp)
    if other:
        out += ["## Unchanged, but failing another way", "",
                "The same point is a finding on both sides, with another verdict or "
                "another report after the patch: it may have moved a bug, not fixed it.", "",
                "| operation | point | before | after |", "|---|---|---|---|"]
        out += [f"| {_md(e.operation)} | {_md(e.name)} | "
                f"{_md(_way(e.was or '', e.was_evidence))} | "
                f"{_md(_way(e.verdict, e.evidence))} |" for e in other] + [""]
    sites = [a for a in patch.added if a.allocates]
    if sites:
        out += ["## Allocation calls the patch adds", ""]
        for a in sites:
            state = "failed by the sweep" if reached(a, patched) else "**not exercised**"
            out.append(f"- `{a.path}:{a.line}` `{a.text.strip()}`: {state}")
        out.append("")
    lines = [x for x in checkpatch if x.strip()]
    out += ["## checkpatch --strict on the patch", ""]
    out += ["```"] + lines + ["```", ""] if lines else ["clean", ""]
    if sparse is not None:
        out += ["## sparse on the touched C files", ""]
        out += ["```"] + sparse + ["```", ""] if sparse else ["clean", ""]
    return out


def as_json(title: str, patch: Patch, cmp: baseline.Comparison, uses: list[HunkUse],
            swept: list[str], checkpatch: Iterable[str],
            sparse: list[str] | None) -> dict[str, Any]:
    """review.json (schema kfault-review/1): the facts of review.md, typed."""
    def entry(e: baseline.Entry) -> dict[str, Any]:
        return {"operation": e.operation, "key": e.key, "nth": e.nth, "name": e.name,
                "verdict": e.verdict, "was": e.was, "evidence": e.evidence}
    return {
        "schema": "kfault-review/1", "title": title, "verdict": verdict(cmp, uses),
        "files": list(patch.files),
        "new": [entry(e) for e in cmp.new], "fixed": [entry(e) for e in cmp.fixed],
        "unchanged": [entry(e) for e in cmp.unchanged],
        "moved": [dict(entry(e), was_evidence=e.was_evidence) for e in baseline.moved(cmp)],
        "unseen": [entry(e) for e in cmp.unseen],
        "unswept": [entry(e) for e in cmp.unswept],
        "hunks": [{"file": u.hunk.path, "start": u.hunk.start, "length": u.hunk.length,
                   "function": u.function or None, "functions": list(u.functions),
                   "exercised": u.exercised,
                   "points": list(u.points),
                   "lines": None if u.lines is None else {
                       "looked": list(u.lines.looked), "ran": list(u.lines.ran)},
                   "unmeasured": u.unmeasured or None} for u in uses],
        "swept": swept,
        "added_allocations": [{"file": a.path, "line": a.line, "text": a.text.strip()}
                              for a in patch.added if a.allocates],
        "checkpatch": [x for x in checkpatch if x.strip()], "sparse": sparse,
    }
