"""Compare a run's report with an earlier one: new, fixed and unchanged findings (pure).

Both sides are report dicts (the JSON of schema kfault-report/1, see report.py).
Results are matched by (operation, key): the key is the point's stable id,
which survives unrelated code moving, else "nth=N" (a point the kernel
could not name), and "baseline" for an operation's nth=0 run.  A finding
is a result whose verdict is not ok (handled, absorbed).  kmemleak's scan
of a whole sweep is a result too (operation "kmemleak"): a leak only it
saw is not lost between two runs that agree point by point.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import HarnessError
from .report import CUT_SHORT, SCHEMA


@dataclass(frozen=True)
class Entry:
    """A result on one side, as the comparison lists it."""

    operation: str
    key: str
    nth: int
    name: str
    verdict: str                # this run's (for disappeared: the baseline's)
    evidence: str               # of the finding (for fixed: the baseline's)
    was: str | None = None      # the baseline's verdict, when both sides have it
    ok: bool = True             # the verdict is not a finding (handled, absorbed, passed, ...)
    was_evidence: str = ""      # unchanged: the baseline's evidence


@dataclass(frozen=True)
class Comparison:
    new: tuple[Entry, ...]          # findings now, absent or ok in the baseline
    fixed: tuple[Entry, ...]        # findings in the baseline, ok now
    unchanged: tuple[Entry, ...]    # findings on both sides (the verdict may differ)
    appeared: tuple[Entry, ...]     # results now that the baseline does not have
    disappeared: tuple[Entry, ...]  # results of the baseline this run does not have
    # findings at points the baseline never looked at: its run of the case
    # failed with nothing injected, so it has no point there to compare with
    unseen: tuple[Entry, ...] = ()
    # results one side has in a suite that the other did not sweep to its end
    # (capped, not reached, excluded): not new, not gone, not compared
    unswept: tuple[Entry, ...] = ()

    @property
    def regressed(self) -> bool:
        return bool(self.new)


_VOLATILE = re.compile(r"0x[0-9a-f]+|\b\d+\b")
TITLED = ("crash", "report")     # verdicts whose evidence is the kernel's report title


def moved(cmp: Comparison) -> tuple[Entry, ...]:
    """The unchanged findings that fail another way on the patched side: another
    verdict (a leak that now crashes), or a crash or report whose evidence is
    another report (addresses and numbers aside).  The same point fails both
    times, but not the same way: a fix that moves a bug elsewhere."""
    return tuple(e for e in cmp.unchanged if (e.was is not None and e.verdict != e.was) or (
        e.verdict in TITLED and _VOLATILE.sub("N", e.evidence)
        != _VOLATILE.sub("N", e.was_evidence)))


def validate(data: object, source: str) -> dict[str, Any]:
    """data if it is a kfault-report/1 document, else HarnessError (one line)."""
    if not isinstance(data, dict):
        raise HarnessError(f"{source}: not a kfault report (a JSON {type(data).__name__}, "
                           f"expected an object with schema {SCHEMA!r})")
    if data.get("schema") != SCHEMA:
        raise HarnessError(f"{source}: schema is {data.get('schema')!r}, expected {SCHEMA!r}")
    for part in ("points", "baselines"):
        items = data.get(part)
        if not isinstance(items, list):
            raise HarnessError(f"{source}: {part!r} is not a list")
        for num, item in enumerate(items):
            if not (isinstance(item, dict) and isinstance(item.get("operation"), str)
                    and isinstance(item.get("nth"), int) and isinstance(item.get("verdict"), str)
                    and isinstance(item.get("ok"), bool)):
                raise HarnessError(f"{source}: {part}[{num}] lacks operation, nth, verdict "
                                   f"or ok")
    return data


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


KMEMLEAK = "kmemleak"


def kmemleak_results(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """kmemleak's word on each whole sweep of doc, as one result per sweep: a
    leak when it found objects of the swept code (driver_leaks, known kernel
    bugs among them), else passed.  doc's "kmemleak" (one sweep's report) and
    "kmemleaks" (a review's sweeps, each with its "sweep" name)."""
    one, many = doc.get("kmemleak"), doc.get("kmemleaks")
    runs = [("", one)] if isinstance(one, dict) else []
    runs += [(_text(r.get("sweep")), r) for r in many if isinstance(r, dict)] \
        if isinstance(many, list) else []
    out = []
    for label, km in runs:
        n = km.get("driver_leaks")
        if not isinstance(n, int) or isinstance(n, bool):
            continue
        known = km.get("known_bugs")
        names = sorted(k for k in known if isinstance(k, str)) if isinstance(known, dict) else []
        other = km.get("kernel_leaks")
        said = f"kmemleak: {n} object(s) in the swept code's directories" + (
            f"; known kernel bug(s) seen: {', '.join(names)}" if names else "") + (
            f"; {other} elsewhere in the kernel (not compared)"
            if isinstance(other, int) and other else "")
        op = f"{KMEMLEAK}:{label}" if label else KMEMLEAK
        out.append({"operation": op, "nth": 0, "name": f"{op}: the sweep's scan",
                    "verdict": "leak" if n else "passed", "ok": not n,
                    "evidence": {"summary": said}})
    return out


def _entries(doc: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    keyed: dict[tuple[str, str], dict[str, Any]] = {}
    for item in list(doc["baselines"]) + list(doc["points"]) + kmemleak_results(doc):
        site = item.get("failed_site") or {}
        stable = _text(site.get("stable_id")) if isinstance(site, dict) else ""
        key = "baseline" if not item["nth"] else stable or f"nth={item['nth']}"
        unique, num = key, 2
        while (item["operation"], unique) in keyed:
            unique, num = f"{key}/{num}", num + 1
        keyed[(item["operation"], unique)] = item
    return keyed


def _align(side: dict[tuple[str, str], dict[str, Any]],
           other: Mapping[tuple[str, str], Mapping[str, Any]]
           ) -> dict[tuple[str, str], dict[str, Any]]:
    """side with each point it could not name (key "nth=N": a crash or hang took
    its boot down before the kernel printed the point's id) keyed as other's
    point N, when other names its point N, has no point of that name itself,
    and both sides' points before N are the same (the sweep armed the same
    points up to it, so it armed the same one at N).  A use-after-free that
    one night crashes on and the next only reports is then one point failing
    another way, not one gone and one new."""
    def by_op(doc: Mapping[tuple[str, str], Mapping[str, Any]]
              ) -> dict[str, dict[int, str]]:
        index: dict[str, dict[int, str]] = {}
        for (op, key), item in doc.items():
            index.setdefault(op, {})[item["nth"]] = key
        return index

    mine_all, theirs_all = by_op(side), by_op(other)
    out = dict(side)
    for (op, key), item in side.items():
        if not key.startswith("nth=") or (op, key) in other:
            continue
        nth, mine, theirs = item["nth"], mine_all[op], theirs_all.get(op, {})
        named = theirs.get(nth)
        if named is None or named.startswith("nth=") or (op, named) in side:
            continue
        if {n: k for n, k in mine.items() if n < nth} == \
                {n: k for n, k in theirs.items() if n < nth}:
            out[(op, named)] = out.pop((op, key))
    return out


def _evidence(item: Mapping[str, Any]) -> str:
    ev = item.get("evidence")
    return _text(ev.get("summary")) if isinstance(ev, dict) else ""


def _entry(key: tuple[str, str], item: Mapping[str, Any], evidence_from: Mapping[str, Any],
           was: Mapping[str, Any] | None = None) -> Entry:
    return Entry(operation=key[0], key=key[1], nth=item["nth"],
                 name=_text(item.get("name")) or f"{key[0]}: nth {item['nth']}",
                 verdict=item["verdict"], evidence=_evidence(evidence_from),
                 was=was["verdict"] if was is not None else None, ok=item["ok"])


def _cut_short(doc: Mapping[str, Any]) -> tuple[str, ...]:
    """The suites that doc's sweep did not sweep to their end."""
    suites = doc.get("suites")
    return tuple(s["name"] for s in suites if isinstance(s, dict) and isinstance(
        s.get("name"), str) and s.get("status") in CUT_SHORT) if isinstance(
        suites, list) else ()


def _in(op: str, suites: tuple[str, ...]) -> bool:
    """op ("suite.case") is a case of one of suites."""
    return any(op.startswith(name + ".") for name in suites)


def compare(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> Comparison:
    """What changed from baseline to current (both validated report dicts).  A
    result only one side has, in a suite the other side's sweep cut short (a
    cap, the boot cap, the policy), is unswept there: not compared."""
    now, before = _entries(current), _entries(baseline)
    now = _align(now, before)
    before = _align(before, now)
    short_now, short_before = _cut_short(current), _cut_short(baseline)
    blind = {op for (op, key), item in before.items() if key == "baseline" and not item["ok"]}
    new, fixed, unchanged, appeared, unseen, unswept = [], [], [], [], [], []
    for key, item in now.items():
        old = before.get(key)
        if old is None and _in(key[0], short_before):
            unswept.append(_entry(key, item, item))
            continue
        if old is None:
            appeared.append(_entry(key, item, item))
        if not item["ok"]:
            if old is None and item["nth"] and key[0] in blind:
                unseen.append(_entry(key, item, item))
            elif old is None or old["ok"]:
                new.append(_entry(key, item, item, old))
            else:
                unchanged.append(dataclasses.replace(_entry(key, item, item, old),
                                                     was_evidence=_evidence(old)))
        elif old is not None and not old["ok"]:
            fixed.append(_entry(key, item, old, old))
    gone = [key for key in before if key not in now]
    unswept += [_entry(key, before[key], before[key]) for key in gone
                if _in(key[0], short_now)]
    disappeared = [_entry(key, before[key], before[key]) for key in gone
                   if not _in(key[0], short_now)]
    return Comparison(tuple(new), tuple(fixed), tuple(unchanged), tuple(appeared),
                      tuple(disappeared), tuple(unseen), tuple(unswept))


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") or "-"


def _table(entries: tuple[Entry, ...], limit: int) -> list[str]:
    out = ["| operation | result | verdict | evidence |", "|---|---|---|---|"]
    for e in entries[:limit]:
        verdict = e.verdict if e.was in (None, e.verdict) else f"{e.was} -> {e.verdict}"
        out.append(f"| {_md(e.operation)} | {_md(e.name)} ({_md(e.key)}) | {_md(verdict)} | "
                   f"{_md(e.evidence)} |")
    if len(entries) > limit:
        out.append(f"| ... | {len(entries) - limit} more | | |")
    return out


def markdown(cmp: Comparison, baseline_name: str = "the baseline", limit: int = 50) -> list[str]:
    """The comparison as Markdown lines."""
    lost = sum(not e.ok for e in cmp.disappeared)
    out = [f"## Compared with {baseline_name}", "",
           f"**{len(cmp.new)} new finding(s), {len(cmp.fixed)} fixed, {len(cmp.unchanged)} "
           f"unchanged" + (f", {len(cmp.unseen)} where {baseline_name} did not look"
                           if cmp.unseen else "")
           + f"; {len(cmp.appeared)} result(s) appeared, {len(cmp.disappeared)} "
           f"disappeared" + (f" ({lost} of them findings)" if lost else "")
           + (f"; {len(cmp.unswept)} in suites one side did not sweep to the end, "
              "not compared" if cmp.unswept else "") + ".**"]
    for title, entries in (("New findings", cmp.new), ("Fixed", cmp.fixed),
                           ("Findings where the baseline did not look (its run of the case "
                            "failed with nothing injected)", cmp.unseen),
                           ("Unchanged findings", cmp.unchanged),
                           ("Results that appeared", cmp.appeared),
                           ("Results that disappeared", cmp.disappeared),
                           ("Not compared: in a suite the other side did not sweep to "
                            "its end (capped, not reached, excluded)", cmp.unswept)):
        if entries:
            out += ["", f"### {title}", ""] + _table(entries, limit)
    return out
