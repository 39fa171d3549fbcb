"""Crash survival and resume for multi-boot sweeps (pure).

Before each point the kernel prints a 'try' line, after it a 'ran' line
(protocol.py).  From a console (complete, crashed, or cut short by a kill)
this module derives one JSON-lines record per finished point, a crash or
hang record for the point that took the boot down, and where the next boot
resumes (kfault.resume=OP:KEY, KEY "7" for pass nth 7 or "f2" for the
second targeted fill-in attempt).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from ..results.model import Result, RunLog
from ..console.oops import Crash
from ..console.protocol import RanLine, ResultLine, TryLine, Verdict, strip_time


@dataclass(frozen=True)
class Record:
    boot: int
    kind: str               # "point", "crash", "kmemleak", "complete", "capped" (a suite, op),
    #                         "halt" (the kernel crashed after the boot's every point)
    op: str = ""
    point: str = ""         # protocol.point_key()
    verdict: str = ""
    site: str = ""
    id: str = ""
    detail: str = ""        # one line: what happened
    file: str = ""          # a crash's place in the target's sources, "" if none
    line: int = 0
    excerpt: str = ""       # the console around a crash
    title: str = ""         # a crash's first line
    left_drivers: int = 0   # a point's: on the KUnit bus after its cleanup, not taken off
    left_devices: int = 0

    def json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @property
    def ok(self) -> bool:
        if self.kind in ("complete", "capped"):
            return True
        try:
            return Verdict(self.verdict).ok
        except ValueError:
            return False


def points(log: RunLog, boot: int) -> list[Record]:
    """A record for each point the console says finished.  An operation's sweep
    ends on a point that did not fire, with no id: no record.  A point with an
    id that did not fire was counted and did not come again: it stays."""
    def record(r: RanLine) -> Record:
        got = log.left.get((r.op, r.nth)) if not r.fill else None
        # what stayed on the bus for later points: kfault took the rest off again
        drivers, devices = got.stayed if got else (0, 0)
        return Record(boot, "point", r.op, r.key, str(r.verdict), r.site, r.id,
                      left_drivers=drivers, left_devices=devices)

    return [record(r) for r in log.ran if r.verdict != Verdict.NOT_FIRED or r.id.strip("0")]


def first_gap(log: RunLog) -> tuple[str, int] | None:
    """(operation, first lost nth) of the earliest gap on the console, or None."""
    lost = log.missing()
    if not lost:
        return None
    where = {op: min((i for i, t in log.tries if t.op == op), default=0) for op in lost}
    op = min(lost, key=lambda o: where[o])
    return op, lost[op][0]


def before_gap(records: list[Record], op: str, nth: int) -> list[Record]:
    """The points a boot finished before its console lost op's point nth: what
    came after is swept again (the next boot resumes at op:nth-1)."""
    out = []
    for rec in records:
        if rec.kind != "point" or (rec.op == op and rec.point.isdigit() and int(rec.point) >= nth):
            break
        out.append(rec)
    return out


def excerpt(lines: list[str], crash: Crash, before: int = 12, after: int = 4) -> str:
    """The console around the crash line: registers/RIP, the panic, first frames."""
    part = lines[max(0, crash.line - before):crash.line + after]
    return "\n".join(strip_time(ln) for ln in part)


def _blamed(crash: Crash) -> str:
    """The crash's frame, and where it faulted when that was elsewhere."""
    inside = f"faulted in {crash.faulted}, called from " if crash.faulted else ""
    return inside + crash.frame


def crash_record(crash: Crash, at: TryLine, place: tuple[str, int] | None, boot: int,
                 context: str = "") -> Record:
    """The point a crash took down, placed at file:line when the symbols know it."""
    where = f" at {place[0]}:{place[1]}" if place else ""
    return Record(boot, "crash", at.op, at.key, str(Verdict.CRASH), crash.frame, at.id,
                  f"{crash.title}; {_blamed(crash)}{where}",
                  place[0] if place else "", place[1] if place else 0, context, crash.title)


def halt_record(crash: Crash, boot: int, context: str = "") -> Record:
    """A boot whose every point ran before the kernel crashed (KUnit had
    printed its totals): at power-off, on what an earlier point left behind.
    No point is blamed; the sweep is complete and this is its finding."""
    return Record(boot, "halt", verdict=str(Verdict.CRASH), site=crash.frame,
                  detail=f"{crash.title}; after every point of the boot had run; "
                         f"{_blamed(crash)}",
                  excerpt=context, title=crash.title)


KUNIT_PY_CRASHED = "The kernel seems to have crashed"


def hang_record(at: TryLine, boot: int, timeout: int, kunit_output: str = "",
                flood: str = "", idle: str = "") -> Record:
    """The point a boot ended in with no panic line and no KTAP totals: a hang
    that kunit.py's timeout killed, or - when kunit.py saw the kernel die - a
    crash whose last lines the console lost (UML's console drops output), or
    a flood the runner stopped (flood: what it said), or a silence it stopped
    (idle: what it said, KunitRequest.idle)."""
    if flood:
        return Record(boot, "crash", at.op, at.key, str(Verdict.REPORT), "", at.id,
                      f"the point flooded the console: {flood}")
    if KUNIT_PY_CRASHED in kunit_output:
        return Record(boot, "crash", at.op, at.key, str(Verdict.CRASH), "", at.id,
                      "the kernel died during the point and the console lost its last "
                      "lines (no panic line; kunit.py: the kernel seems to have crashed)")
    if idle:
        return Record(boot, "crash", at.op, at.key, str(Verdict.HANG), "", at.id,
                      f"no output after the point started: {idle}")
    return Record(boot, "crash", at.op, at.key, str(Verdict.HANG), "", at.id,
                  f"no output after the point started; killed after {timeout} s "
                  "(kunit.py --timeout)")


def load(text: str) -> list[Record]:
    """Records of earlier boots; a line cut short by a kill, or of an older format,
    is ignored."""
    out = []
    for line in text.splitlines():
        try:
            out.append(Record(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out


def resume_point(records: list[Record]) -> str | None:
    """kfault.resume value for the next boot: after the last crash or finished point."""
    last = next((r for r in reversed(records) if r.kind in ("point", "crash")), None)
    return f"{last.op}:{last.point}" if last else None


def boot_cap(cap: int, records: list[Record], boot: int) -> Record | None:
    """When this boot ended in a suite whose boots have reached cap (a night's
    policy, suite_boots): a "capped" record of that suite, whose rest is not
    swept; None otherwise (cap 0: no cap)."""
    ended = [r.op.split(".")[0] for r in records if r.kind == "crash" and r.boot == boot]
    if not cap or not ended:
        return None
    name = ended[-1]
    boots = {r.boot for r in records if r.kind == "crash" and r.op.split(".")[0] == name}
    if len(boots) < cap or any(r.kind == "capped" and r.op == name for r in records):
        return None
    return Record(boot, "capped", name, detail=f"{len(boots)} boots ended in it (the "
                  f"policy's suite_boots = {cap}); the rest of it was not swept")


def as_result(rec: Record, target: str, suite: str) -> Result:
    """A crash or hang record as a point of the report: its verdict, the target
    frame and file:line it was placed at, the panic and the console excerpt."""
    title, excerpt = rec.detail, rec.excerpt
    fill = int(rec.point[1:]) if rec.point.startswith("f") else 0
    nth = 1 if fill else int(rec.point or 0)
    return Result(target, suite, f"{rec.op}_fault_sweep", ResultLine(
        op=rec.op, nth=nth, fill=fill, attr="-", allocator="-", inner="-",
        site=rec.site or "-", file=rec.file or None, line=rec.line, addr=0, id=rec.id,
        verdict=Verdict(rec.verdict), ret=0, us=0, leaked=(),
        report=rec.title or title.split(";")[0], report_site=rec.site or "-",
        report_addr=0, detail=(title + ("\n" + excerpt if excerpt else ""))), rec.boot)
