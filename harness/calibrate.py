"""Calibration: did each seeded defect produce its expected finding? (pure)"""
from __future__ import annotations

from dataclasses import dataclass, field

from .coverage import call_site
from .defects import Expectation
from .oops import Crash
from .sweep import SweepLog

Chains = dict[int, list[tuple[str, str]]]


@dataclass(frozen=True)
class Finding:
    verdict: str
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


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


def addresses(log: SweepLog, crash: Crash | None, leak_addrs: list[int] = []) -> set[int]:
    """Return addresses to symbolise (each minus one: the call, not the return)."""
    addrs = {r.report_addr - 1 for r in log.results if r.report_addr}
    addrs |= {a - 1 for a in leak_addrs}
    addrs |= {r.addr - 1 for r in log.results
              if r.addr and r.verdict in ("wrong-errno", "bad-state")}
    if crash and crash.addr:
        addrs.add(crash.addr - 1)
    return addrs


def findings(log: SweepLog, crash: Crash | None, chains: Chains,
             files: set[str], leak_addrs: list[int] = []) -> list[Finding]:
    """Every finding of a boot, placed at a driver file:line where possible.

    leak_addrs: return addresses of the driver frames of the leaks kmemleak's
    confirmation found (the leaks the precise check cannot see)."""
    out: list[Finding] = []

    def place(verdict: str, addr: int) -> None:
        where = call_site(chains.get(addr - 1, []), files) if addr else None
        out.append(Finding(verdict, *(where or ("?", 0))))

    for r in log.results:
        if r.verdict == "leak":
            for item in filter(None, r.leaked.split(",")):
                fileline = item.split()[0]
                name, _, num = fileline.rpartition(":")
                out.append(Finding("leak", name, int(num) if num.isdigit() else 0))
        elif r.verdict == "report":
            place("report", r.report_addr)
        elif r.verdict in ("wrong-errno", "bad-state"):
            place(r.verdict, r.addr)
    for addr in leak_addrs:
        place("leak", addr)
    if crash:
        place("crash", crash.addr)
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
