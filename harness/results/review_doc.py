"""A review's verdict (pure): whether a sweep reached each allocation call a
patch adds, and the Markdown a reviewer pastes into a reply.

The sweeps and the comparison by stable id (baseline.py) are the review
command's and the baseline module's; this module only reads their results.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Iterable, Mapping

from ..checkout.diff import Added, Patch
from . import baseline


def reached(site: Added, report: Mapping[str, Any]) -> bool:
    """Did a point of the report fail the allocation at that added line?"""
    name = PurePosixPath(site.path).name
    for item in list(report.get("points", [])):
        fs = item.get("failed_site") or {}
        if fs.get("file") and PurePosixPath(str(fs["file"])).name == name \
                and fs.get("line") == site.line:
            return True
    return False


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
             sparse: list[str] | None = None) -> list[str]:
    """The review as Markdown lines; rerun: how a new finding's command starts
    instead of 'make ', to run on the patched copy ("make -C out/review/tree ")."""
    out = [f"# kfault review: {title}", "",
           f"**{len(cmp.new)} new finding(s), {len(cmp.fixed)} fixed, "
           f"{len(cmp.unchanged)} unchanged.** Touched: "
           + ", ".join(f"`{f}`" for f in patch.files) + ".", ""]
    if cmp.new:
        out += ["## New findings", ""]
        out += _table([_row(e, patched, rerun) for e in cmp.new]) + [""]
    if cmp.fixed:
        out += ["## Fixed", ""] + _table([_row(e, base) for e in cmp.fixed]) + [""]
    if cmp.unchanged:
        out += [f"{len(cmp.unchanged)} finding(s) are there before and after the patch "
                "(unchanged).", ""]
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
