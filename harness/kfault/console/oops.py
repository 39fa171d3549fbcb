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

from . import frames, protocol
from .tables import report_machinery

_CRASH = re.compile(r"Kernel panic - not syncing|BUG: kernel NULL pointer|general protection fault"
                    r"|Oops:|kernel BUG at")
_CASE = re.compile(r"^\s*# Subtest: (\S+)")
_BUG = re.compile(r"^(BUG: failure at |kernel BUG at )")
_CAUGHT = re.compile(r"^BUG: kfault: (kernel mode fault at addr \S+, ip \S+)")
# guard.c's panic after a caught fault that left a lock held, a count raised ...
_UNUSABLE = "left the kernel unusable"
_UNUSABLE_BACK = 400    # lines between the caught oops and that panic, at most
_LOOKBACK = 80


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
    module: str = ""    # the frame's module, "" for vmlinux
    faulted: str = ""   # where it faulted when not in the driver: the RIP, "kfree+0x5f/0x540"

    @property
    def function_offset(self) -> tuple[str, int] | None:
        f = frames.parse_text(self.frame)
        return (f.function, f.offset) if f else None


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
    if _UNUSABLE in text[start]:
        # guard.c caught a fault and then found the kernel unusable: the crash
        # is that fault, placed by its oops, not by the panic's own stack
        at = next((i for i in range(start - 1, max(-1, start - _UNUSABLE_BACK), -1)
                   if _CAUGHT.match(text[i])), None)
        m = _CAUGHT.match(text[at]) if at is not None else None
        if at is not None and m:
            after = text[at:start]
            return _placed(f"{m.group(1)}; it left the kernel unusable", at, after, after,
                           driver_prefix, case, last)
    title = text[start].strip()
    if start and _BUG.match(text[start - 1]):
        title = text[start - 1].strip()     # "BUG: failure at net/core/dev.c:11607/..."
    before = text[max(0, start - _LOOKBACK):start]
    return _placed(title, start, before, text[start:start + _LOOKBACK] + before,
                   driver_prefix, case, last)


def _placed(title: str, start: int, regs: list[str], trace: list[str], driver_prefix: str,
            case: str, last: str) -> Crash:
    """The crash at line start, blamed on the faulting instruction (the RIP line
    of regs) when it is the driver's, else on the innermost driver frame of
    trace, with where it faulted beside it."""
    rips = list(frames.trace(regs, (frames.RIP,)))
    for rip in rips:
        if rip.function.startswith(driver_prefix):
            return Crash(title, start, rip.text, 0, True, case, last, rip.module)
    # the fault was in code the driver called: it is named beside the driver's frame
    faulted = rips[-1].text if rips and driver_prefix else ""
    for f in frames.trace(trace):
        if f.function.startswith(driver_prefix) \
                and (driver_prefix or not report_machinery(f.function)):
            return Crash(title, start, f.text, f.address, False, case, last, f.module, faulted)
    return Crash(title, start, "-", 0, False, case, last, faulted=faulted)


def caught(lines: Iterable[str], driver_prefix: str) -> Crash | None:
    """The first kernel-mode fault kfault's guard caught, or None.  The guard
    (kunit/kfault/guard.c) prints it as an oops - 'BUG: kfault: kernel mode
    fault at addr A, ip F', the registers, the call trace - and the kernel
    goes on: a crash of the call it guarded, not of the boot."""
    text = [_strip(line) for line in lines]
    start = next((i for i, ln in enumerate(text) if _CAUGHT.match(ln)), None)
    if start is None:
        return None
    m = _CAUGHT.match(text[start])
    assert m is not None
    after = text[start:start + _LOOKBACK]
    return _placed(m.group(1), start, after, after, driver_prefix, "-", "-")


def trace_after(lines: Iterable[str], crash: Crash) -> list[tuple[str, int]]:
    """(function+offset, return address) of the call trace printed after the
    crash line, '?' guesses left out: where to look for the suite's frame."""
    text = [_strip(line) for line in lines][crash.line:crash.line + _LOOKBACK]
    return [(f.text, f.address) for f in frames.trace(text)]
