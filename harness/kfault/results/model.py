"""A console parsed once into a run model, and symbolised once (pure).

    console lines --protocol.parse--> records --build--> RunLog
    RunLog + addr2line/nm output --symbols--> Symbols (address -> file:line)

Everything downstream (the summary, reports, baseline, calibration, repro,
multi-boot sweeps, the pytest items) reads a RunLog, never the lines again.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import PurePath
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..console import kmemleak, kreport, ktap, oops, protocol
from ..console.kmemleak import Leak
from ..console.protocol import (CountLine, KmemleakLine, PointLine, ResultLine, StatsLine,
                                TargetLine, Verdict)

_SUBTEST = re.compile(r"^(\s*)# Subtest: (\S+)")
_VERSION = re.compile(r"Linux version (\S+)")
_CASE = re.compile(r"#\s+(\w+): kfault: ")

Chains = Mapping[int, list[tuple[str, str]]]     # addr2line: address -> inline chain


@dataclass(frozen=True)
class Result:
    """One result line, placed: which target, suite and KUnit case printed it."""

    target: str
    suite: str
    case: str
    line: ResultLine
    boot: int = 1

    @property
    def op(self) -> str:
        return self.line.op

    @property
    def key(self) -> str:
        return self.line.key


@dataclass(frozen=True)
class SuiteCap:
    """A suite whose rest a suite sweep did not sweep: its points' time ran out in
    a boot (kfault.suite_ms), or its boots reached the policy's suite_boots."""

    suite: str
    at: str             # "OP:NTH" of the first point not swept, "" if not known
    why: str


@dataclass
class RunLog:
    """Everything one console says."""

    lines: int = 0
    kernel_version: str | None = None
    targets: list[TargetLine] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    counts: dict[str, CountLine] = field(default_factory=dict)
    counted: list[PointLine] = field(default_factory=list)
    ran: list[protocol.RanLine] = field(default_factory=list)     # first of each point
    ran_at: list[tuple[int, protocol.RanLine]] = field(default_factory=list)
    tries: list[tuple[int, protocol.TryLine]] = field(default_factory=list)
    dones: list[tuple[int, protocol.DoneLine]] = field(default_factory=list)
    threads: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid -> (op, nth)
    left: dict[tuple[str, int], protocol.LeftLine] = field(default_factory=dict)  # (op, nth)
    suites: dict[str, protocol.SuiteLine] = field(default_factory=dict)  # a suite sweep's
    capped: list[SuiteCap] = field(default_factory=list)
    # the point after whose result the kernel ended the boot (guard.c)
    unusable: protocol.UnusableLine | None = None
    stats: StatsLine | None = None
    kmemleak: KmemleakLine | None = None
    leaks: list[Leak] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    crash: oops.Crash | None = None
    reports: list[kreport.KernelReport] = field(default_factory=list)
    totals: ktap.Totals = field(default_factory=lambda: ktap.Totals(0, 0, 0, 0))

    @property
    def points(self) -> list[Result]:
        return [r for r in self.results if r.line.nth]

    @property
    def baselines(self) -> list[Result]:
        return [r for r in self.results if not r.line.nth]

    def missing(self) -> dict[str, list[int]]:
        """Points the console should have but lost: for each operation tried,
        the pass points from its first 'try' on with no 'ran' line, up to the
        one before its 'done' line (older consoles end on a 'try' that did not
        fire).  Where the 'done' line was lost too, up to the point the boot
        ended in (the last started), the first point a cap left unswept, or
        else, when the operation has 'ran' lines, the last point tried: a
        later point's 'try' says the earlier ones had ended.  A flooded printk
        ring buffer drops lines without a word (seen with a debug print in the
        allocator: port_add's points 2..119 went missing, and with them their
        results), and so does UML's
        console pipe (slub_test, 2026-12-02: the results of
        test_clobber_redzone_free 12..21 with its 'done' line)."""
        done = {d.op: d.nth for _, d in self.dones}
        capped = {}
        for cap in self.capped:
            op, _, nth = cap.at.rpartition(":")
            if op and nth.isdigit():
                capped[op] = int(nth)
        last = self.last_started()
        ran_of: dict[str, set[int]] = {}
        for _, r in self.ran_at:
            if not r.fill:
                ran_of.setdefault(r.op, set()).add(r.nth)
        tried_of: dict[str, list[int]] = {}
        for _, t in self.tries:
            tried = tried_of.setdefault(t.op, [])
            if not t.fill:
                tried.append(t.nth)
        lost: dict[str, list[int]] = {}
        for op, tried in tried_of.items():
            ran = ran_of.get(op, set())
            # a resumed suite case's counting run prints 'try nth=0' and no 'ran'
            nths = [n for n in tried if n > 0 or 0 in ran]
            if op in done:
                end = done[op]
            elif last and last.op == op:
                end = last.nth
            elif op in capped:
                end = capped[op]
            elif ran:
                end = max(nths + sorted(ran)[-1:])
            else:
                continue        # no 'ran' line at all: a console of another format
            first = min(nths + sorted(ran)[:1], default=1)
            gap = [n for n in range(first, end) if n not in ran]
            if gap:
                lost[op] = gap
        return lost

    def last_started(self) -> protocol.TryLine | None:
        """The point whose 'try' came last with no 'ran' or 'done' after it: the one
        running when the console ends (None: it ended between points)."""
        if not self.tries:
            return None
        pos, last = self.tries[-1]
        if any(num > pos and (r.op, r.key) == (last.op, last.key) for num, r in self.ran_at):
            return None
        if any(num > pos and d.op == last.op for num, d in self.dones):
            return None
        return last


def build(lines: list[str], prefix: str) -> RunLog:
    """Parse a console once.  prefix: the target's symbol prefix, for crash and
    report frames (a console may hold several targets; their TargetLines say)."""
    log = RunLog(lines=len(lines))
    suite, target = "-", "-"
    ran_keys: set[tuple[str, str]] = set()
    for num, line in enumerate(lines):
        text = protocol.strip_time(line)
        if log.kernel_version is None:
            v = _VERSION.search(text)
            if v:
                log.kernel_version = v.group(1)
        sub = _SUBTEST.match(text)
        if sub and len(sub.group(1)) <= 4:
            suite = sub.group(2)
        rec = protocol.parse_line(text)
        if rec is None:
            continue
        if isinstance(rec, TargetLine):
            log.targets.append(rec)
            target = rec.name
        elif isinstance(rec, ResultLine):
            case = _CASE.search(text)
            log.results.append(Result(target, suite, case.group(1) if case else
                                      f"{rec.op}_fault_sweep", rec))
        elif isinstance(rec, CountLine):
            log.counts[rec.op] = rec
        elif isinstance(rec, PointLine):
            log.counted.append(rec)
        elif isinstance(rec, protocol.RanLine):
            log.ran_at.append((num, rec))
            if (rec.op, rec.key) not in ran_keys:
                ran_keys.add((rec.op, rec.key))
                log.ran.append(rec)
        elif isinstance(rec, protocol.TryLine):
            log.tries.append((num, rec))
        elif isinstance(rec, protocol.DoneLine):
            log.dones.append((num, rec))
        elif isinstance(rec, protocol.ThreadLine):
            log.threads[rec.pid] = (rec.op, rec.nth)
        elif isinstance(rec, protocol.LeftLine):
            log.left[rec.op, rec.nth] = rec
        elif isinstance(rec, protocol.SuiteLine):
            log.suites[rec.name] = rec
        elif isinstance(rec, protocol.UnusableLine):
            log.unusable = rec
        elif isinstance(rec, protocol.CappedLine):
            log.capped.append(SuiteCap(rec.suite, f"{rec.op}:{rec.nth}",
                                       f"its points took {rec.ms} ms in one boot "
                                       "(the policy's suite_seconds, kfault.suite_ms)"))
        elif isinstance(rec, StatsLine):
            log.stats = rec
        elif isinstance(rec, KmemleakLine):
            log.kmemleak = rec
        elif isinstance(rec, protocol.MessageLine):
            log.messages.append(rec.text)
    log.leaks = kmemleak.leaks(lines)
    log.crash = oops.find_crash(lines, prefix)
    log.reports = kreport.parse(lines, prefix)
    log.totals = ktap.kernel_totals(lines)
    return log


def point_name(op: str, nth: int, fill: int, allocator: str, site: str, inner: str) -> str:
    """The KUnit case name the sweep gives a point (kfault_point_desc())."""
    if not nth:
        return f"{op}: no fault (baseline)"
    if site in ("", "-"):
        return f"{op}: fail {nth} (silent)"
    if fill:
        return f"{op}: fail {allocator} <- {site.split('/')[0]} (targeted {fill})"
    name = f"{op}: fail {nth} {allocator} <- {site.split('/')[0]}"
    return name + (f" (in {inner})" if inner not in ("", "-") else "")


def merge(logs: list[RunLog], renumber: bool = True) -> RunLog:
    """The boots of one multi-boot sweep as one run: results of every boot (each
    with its boot number: its log's place, or with renumber False the one it
    has), totals, counts and speed summed, the last kmemleak verdict.  Crashes
    and hangs are added by the caller as results of their own."""
    out = RunLog()
    for boot, log in enumerate(logs, 1):
        out.lines += log.lines
        out.kernel_version = out.kernel_version or log.kernel_version
        out.targets += [t for t in log.targets if t.name not in {x.name for x in out.targets}]
        out.results += [dataclasses.replace(r, boot=boot) if renumber else r
                        for r in log.results]
        for op, c in log.counts.items():
            old = out.counts.get(op)
            out.counts[op] = c if old is None else CountLine(
                op, old.points + c.points, old.bookkeeping + c.bookkeeping)
        out.counted += log.counted
        out.ran += log.ran
        out.suites.update(log.suites)
        out.capped += log.capped
        if log.stats:
            s = out.stats or StatsLine(0, 0, 0, 0)
            points, runs, ms = s.points + log.stats.points, s.runs + log.stats.runs, \
                s.ms + log.stats.ms
            out.stats = StatsLine(points, runs, ms, points * 1000 // ms if ms else 0,
                                  s.untracked + log.stats.untracked)
        out.kmemleak = log.kmemleak or out.kmemleak
        out.crash = out.crash or log.crash  # a sweep's union keeps only a halted boot's
        out.leaks += log.leaks
        out.messages += log.messages
        out.reports += log.reports
        out.totals = out.totals + log.totals
    if any(log.stats is None for log in logs):
        # a crashed boot prints no statistics: add up its points' own times
        ms = sum(r.line.us for r in out.points) // 1000
        out.stats = StatsLine(len(out.points), len(out.ran), ms,
                              len(out.points) * 1000 // ms if ms else 0,
                              out.stats.untracked if out.stats else 0)
    return out


def failures(results: Iterable[Result]) -> dict[tuple[str, str, str], list[Result]]:
    """Failed results grouped by operation, verdict and evidence."""
    groups: dict[tuple[str, str, str], list[Result]] = {}
    for r in results:
        if not r.line.verdict.ok:
            groups.setdefault((r.op, r.line.verdict, evidence(r.line)), []).append(r)
    return groups


_VOLATILE = re.compile(r"\b(CPU|PID|pid|task)(:?) \S+")


def evidence(r: ResultLine) -> str:
    """The one-line evidence, the same for every point that failed the same way
    (CPU and PID numbers left out, so that it also compares across runs)."""
    if r.report and r.verdict in (Verdict.REPORT, Verdict.CRASH):
        return _VOLATILE.sub(r"\1\2 -", r.report)
    if r.leaked:
        return "leaked " + ",".join(map(str, r.leaked))
    return r.detail


def missing(log: RunLog) -> dict[str, int]:
    """Operations whose counted points did not all report a result."""
    seen: dict[str, int] = {}
    for r in log.points:
        seen[r.op] = seen.get(r.op, 0) + 1
    return {op: c.points - seen.get(op, 0) for op, c in log.counts.items()
            if seen.get(op, 0) < c.points}


# ---- symbolisation: once per run -------------------------------------------

def call_site(chain: list[tuple[str, str]], files: set[str]) -> tuple[str, int] | None:
    """The innermost frame of an addr2line inline chain that lies in one of files
    (any file, when files is empty: a sweep of suites the target does not name)."""
    for _func, where in chain:
        path, _, line = where.rpartition(":")
        line = line.split(" ")[0]
        if (not files or PurePath(path).name in files) and line.isdigit():
            return PurePath(path).name, int(line)
    return None


@dataclass(frozen=True)
class Symbols:
    """addr2line's answer for every address a run needs placed."""

    chains: Chains                      # keyed by (return address - 1)
    files: frozenset[str]               # the target's C file basenames
    leaks: tuple[int, ...] = ()         # return addresses of kmemleak's target frames

    def place(self, addr: int) -> tuple[str, int] | None:
        """file:line in the target of the call whose return address is addr."""
        return call_site(list(self.chains.get(addr - 1, [])), set(self.files)) if addr else None


def addresses(log: RunLog, functions: Mapping[str, int]) -> set[int]:
    """Every return address to symbolise (the caller passes each minus one):
    failed sites without a tag's file:line, report and crash frames, kmemleak's
    target frames (by function address + offset, from nm)."""
    found = {r.line.addr for r in log.results if r.line.addr}
    found |= {p.addr for p in log.counted if p.addr}
    found |= {r.line.report_addr for r in log.results if r.line.report_addr}
    if log.crash and log.crash.addr:
        found.add(log.crash.addr)
    found |= set(leak_addresses(log, functions))
    return found


def functions(log: RunLog, prefix: str) -> set[str]:
    """Functions whose addresses (nm) placing needs: kmemleak's target frames and
    the function a crash's RIP names."""
    names = {f.function for leak in log.leaks if not leak.kernel
             if (f := leak.driver_frame(prefix)) is not None}
    if log.crash and log.crash.rip and log.crash.function_offset:
        names.add(log.crash.function_offset[0])
    return names


def place_crash(log: RunLog, functions: Mapping[str, int]) -> None:
    """A RIP-only crash gets addr = function + offset + 1, like a call trace's."""
    crash = log.crash
    if crash and crash.rip and crash.function_offset:
        fn, off = crash.function_offset
        if fn in functions:
            log.crash = dataclasses.replace(crash, addr=functions[fn] + off + 1)


def leak_addresses(log: RunLog, functions: Mapping[str, int]) -> list[int]:
    """Return addresses (+1, like a call trace's) of kmemleak's target frames."""
    out = []
    for leak in log.leaks:
        if leak.kernel:
            continue
        for f in leak.frames:
            if f.function in functions:
                out.append(functions[f.function] + f.offset)
                break
    return out
