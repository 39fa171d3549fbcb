"""Calibration: did each seeded defect produce its expected finding? (pure)"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..checkout.defects import Expectation, Finding
from ..checkout.known_bugs import Known
from .known import match
from .model import RunLog, Symbols
from ..console.protocol import Verdict


@dataclass
class Outcome:
    defect: str
    expected: list[Expectation]
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def match(self) -> Finding | None:
        for f in self.findings:
            for e in self.expected:
                if (f.verdict, f.file, f.line) == (e.verdict, e.file, e.line):
                    return f
        return None

    @property
    def detected(self) -> bool:
        return self.match is not None if self.expected else not self.findings


def findings(log: RunLog, symbols: Symbols, leak_addrs: list[int],
             known: tuple[Known, ...] = ()) -> list[Finding]:
    """Every finding of a boot, placed at a target file:line where possible;
    a point a known finding explains (a kernel bug the target runs into) is
    none.

    leak_addrs: return addresses of the target frames of the leaks kmemleak's
    confirmation found (the leaks the precise check cannot see)."""
    out: list[Finding] = []

    def place(verdict: str, addr: int) -> None:
        out.append(Finding(verdict, *(symbols.place(addr) or ("?", 0))))

    for res in log.results:
        if match(known, res):
            continue
        r = res.line
        if r.verdict == Verdict.LEAK:
            for item in r.leaked:
                if "/" in item.file:
                    # the live check's site outside the target (the driver
                    # core's, lib/'s): placed at the target call that failed
                    place("leak", r.addr)
                else:
                    out.append(Finding("leak", item.file, item.line))
        elif r.verdict == Verdict.REPORT:
            place("report", r.report_addr)
        elif r.verdict == Verdict.CRASH:
            # a fault the kernel caught (kunit/kfault/guard.c): the boot went on
            place("crash", r.report_addr)
        elif r.verdict in (Verdict.WRONG_ERRNO, Verdict.BAD_STATE):
            place(str(r.verdict), r.addr)
    for addr in leak_addrs:
        place("leak", addr)
    if log.crash:
        place("crash", log.crash.addr)
    return list(dict.fromkeys(out))


def matrix(outcomes: list[Outcome]) -> list[str]:
    """A Markdown table: defect x detected / verdict / line / seconds."""
    rows = ["| defect | detected | expected | found | seconds |",
            "|---|---|---|---|---|"]
    for o in outcomes:
        exp = ", ".join(f"{e.verdict} {e.where}" for e in o.expected) or "no finding"
        hit = o.match
        found = (f"{hit.verdict} {hit.where}" if hit else
                 ", ".join(f"{f.verdict} {f.where}" for f in o.findings[:3]) or "nothing")
        rows.append(f"| {o.defect} | {'yes' if o.detected else 'NO'} | {exp} | {found} "
                    f"| {o.seconds:.1f} |")
    return rows
