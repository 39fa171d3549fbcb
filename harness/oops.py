"""Kernel crashes in a console log (pure).

On ARCH=um a kernel fault is not a KUnit "try faulted" failure: it panics
the whole UML process.  What is left is the console up to the panic; this
module finds the crash, the operation that was being swept and the first
driver frame of the crash's stack.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

_CRASH = re.compile(r"Kernel panic - not syncing|Segfault with no mm|BUG: kernel NULL pointer"
                    r"|general protection fault|Oops|kernel BUG at")
_FRAME = re.compile(r"^\s*\[<([0-9a-f]+)>\] (\? )?(\S+)")
_CASE = re.compile(r"^\s*# Subtest: (\S+)")
_POINT = re.compile(r"kfault: (?:op|point op)=(\S+) nth=(\d+)")


@dataclass(frozen=True)
class Crash:
    """Where a boot died."""

    title: str          # the first crash line
    line: int           # its index in the log
    frame: str          # first driver frame, "sym+off/size", or "-"
    addr: int           # its return address, 0 if none
    case: str           # the KUnit case (or suite) running at the time
    last_point: str     # "op nth" of the last point the sweep reported, or "-"


def find_crash(lines: Iterable[str], driver_prefix: str = "refdev_") -> Crash | None:
    """The first crash in the log, or None."""
    case, last = "-", "-"
    crash: tuple[str, int] | None = None
    for num, line in enumerate(lines):
        text = re.sub(r"^\[[ 0-9.:]+\] ", "", line)
        if crash is None:
            m = _CASE.match(text)
            if m:
                case = m.group(1)
            p = _POINT.search(text)
            if p:
                last = f"{p.group(1)} {p.group(2)}"
            if _CRASH.search(text):
                crash = (text.strip(), num)
            continue
        f = _FRAME.match(text)
        if f and not f.group(2) and f.group(3).startswith(driver_prefix):
            return Crash(crash[0], crash[1], f.group(3), int(f.group(1), 16), case, last)
    if crash is None:
        return None
    return Crash(crash[0], crash[1], "-", 0, case, last)
