"""Kernel crashes in a console log (pure).

On ARCH=um a kernel fault is not a KUnit "try faulted" failure: it panics
the whole UML process.  UML prints the faulting task's registers and stack
first ('RIP: 0033:drv_open+0x2bc/0x730', then the call trace), then
'Kernel panic - not syncing: Segfault with no mm' and the panic's own
stack.  This module finds the crash, the KUnit case and the last sweep
point that was running, and the driver frame to blame: the faulting
instruction when it is the driver's, else the innermost driver frame of the
call trace printed after the panic line (the lines before it may hold an
earlier FAULT_INJECTION stack dump), else one before it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from . import protocol

_CRASH = re.compile(r"Kernel panic - not syncing|BUG: kernel NULL pointer|general protection fault"
                    r"|Oops:|kernel BUG at")
_RIP = re.compile(r"^RIP: [0-9a-f]+:(\S+)\+(0x[0-9a-f]+)/(0x[0-9a-f]+)")
_FRAME = re.compile(r"^\s*\[<([0-9a-f]+)>\] (\? )?(\S+)")
_CASE = re.compile(r"^\s*# Subtest: (\S+)")
_BUG = re.compile(r"^(BUG: failure at |kernel BUG at )")
_LOOKBACK = 80
# With no target prefix (any KUnit suite), the frame to blame is the first
# one that is not the report's or the panic's own machinery.
_MACHINERY = ("show_stack", "dump_stack", "panic", "__warn", "warn_slowpath", "report_bug",
              "die", "__die", "oops_", "make_task_dead", "do_exit", "kasan_", "__kasan",
              "print_report", "end_report", "__asan", "segv", "relay_signal", "sig_handler",
              "unblock_signals", "_printk", "vprintk", "lbug_with_loc")


@dataclass(frozen=True)
class Crash:
    """Where a boot died."""

    title: str          # the first crash line
    line: int           # its index in the log
    frame: str          # driver frame to blame, "sym+off/size", or "-"
    addr: int           # its return address from a call trace, 0 if none
    rip: bool           # frame is the faulting instruction itself (no address)
    case: str           # the KUnit case (or suite) running at the time
    last_point: str     # "op key" of the last point the sweep started, or "-"

    @property
    def function_offset(self) -> tuple[str, int] | None:
        m = re.match(r"([\w.]+)\+(0x[0-9a-f]+)", self.frame)
        return (m.group(1), int(m.group(2), 16)) if m else None


def last_case(lines: Iterable[str]) -> str:
    """The KUnit case whose '# Subtest:' header came last ("-" if none)."""
    case = "-"
    for line in lines:
        m = _CASE.match(_strip(line))
        if m:
            case = m.group(1)
    return case


def _strip(line: str) -> str:
    return protocol.strip_time(line)


def _point(line: str) -> str | None:
    rec = protocol.parse_line(line)
    if isinstance(rec, (protocol.TryLine, protocol.RanLine, protocol.ResultLine)):
        return f"{rec.op} {rec.key}"
    return None


def find_crash(lines: Iterable[str], driver_prefix: str) -> Crash | None:
    """The first crash in the log, or None."""
    text = [_strip(line) for line in lines]
    start = next((i for i, ln in enumerate(text) if _CRASH.search(ln)), None)
    if start is None:
        return None
    case, last = "-", "-"
    for ln in text[:start]:
        m = _CASE.match(ln)
        if m:
            case = m.group(1)
        p = _point(ln)
        if p:
            last = p
    title = text[start].strip()
    if start and _BUG.match(text[start - 1]):
        title = text[start - 1].strip()     # "BUG: failure at net/core/dev.c:11607/..."
    before = text[max(0, start - _LOOKBACK):start]
    for ln in before:
        rip = _RIP.match(ln)
        if rip and rip.group(1).startswith(driver_prefix):
            return Crash(title, start, f"{rip.group(1)}+{rip.group(2)}/{rip.group(3)}", 0, True,
                         case, last)
    for ln in text[start:start + _LOOKBACK] + before:
        f = _FRAME.match(ln)
        if f and not f.group(2) and f.group(3).startswith(driver_prefix) \
                and (driver_prefix or not f.group(3).startswith(_MACHINERY)):
            return Crash(title, start, f.group(3), int(f.group(1), 16), False, case, last)
    return Crash(title, start, "-", 0, False, case, last)


def trace_after(lines: Iterable[str], crash: Crash) -> list[tuple[str, int]]:
    """(function+offset, return address) of the call trace printed after the
    crash line, '?' guesses left out: where to look for the suite's frame."""
    text = [_strip(line) for line in lines][crash.line:crash.line + _LOOKBACK]
    out = []
    for ln in text:
        f = _FRAME.match(ln)
        if f and not f.group(2):
            out.append((f.group(3), int(f.group(1), 16)))
    return out
