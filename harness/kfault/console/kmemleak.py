"""kmemleak's leak blocks in a console log (pure).

The kmemleak confirmation (kunit/kfault/kunit.c) prints each leak it
attributes to the target as 'kfault: kmemleak: unreferenced object 0x...
(size N):' (the head is a protocol line) followed by kmemleak's own block:
comm/pid, hex dump, 'backtrace (crc ..):' and one '%pS' frame per line.
kmemleak in 6.12 prints no addresses, only symbol+offset/size; older
kernels print '[<hash>] sym+off/size'.  The modules boot reads kmemleak's
debugfs report directly: blocks start with 'unreferenced object'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from . import protocol
from .frames import BARE, TRACE, Frame, parse as parse_frame
from .tables import allocator_frame

_COMM = re.compile(r'^\s+comm "([^"]*)", pid (\d+), jiffies (\d+)')
_RAW_HEAD = re.compile(r"unreferenced object (0x[0-9a-f]+) \(size (\d+)\):")


@dataclass
class Leak:
    address: str
    size: int
    kernel: bool = False        # the kernel's own, under a target call
    frames: list[Frame] = field(default_factory=list)
    comm: str = ""
    pid: int = 0                # the allocating thread's ("comm ..., pid N")
    jiffies: int = 0            # when it was allocated ("..., jiffies N")

    def driver_frame(self, prefix: str) -> Frame | None:
        return next((f for f in self.frames if f.function.startswith(prefix)), None)

    def callers(self) -> list[Frame]:
        """The backtrace from the allocator's caller out: without kmemleak's and
        the allocator's own frames (6.12 saves the stack inside kmemleak)."""
        out = list(self.frames)
        while out and allocator_frame(out[0].function):
            out.pop(0)
        return out


def _blocks(lines: Iterable[str], raw: bool) -> list[Leak]:
    leaks: list[Leak] = []
    current: Leak | None = None
    for line in lines:
        text = protocol.strip_time(line)
        rec = protocol.parse_line(text)
        if isinstance(rec, protocol.LeakHeadLine):
            current = Leak(rec.address, rec.size, rec.kernel,
                           [Frame(f, 0, 0) for f in rec.frames])
            leaks.append(current)
            continue
        head = _RAW_HEAD.search(text) if raw and rec is None else None
        if head:
            current = Leak(head.group(1), int(head.group(2)))
            leaks.append(current)
            continue
        if current is None:
            continue
        comm = _COMM.match(text)
        if comm and not current.frames:
            current.comm, current.pid = comm.group(1), int(comm.group(2))
            current.jiffies = int(comm.group(3))
            continue
        frame = parse_frame(text)
        if frame is not None and frame.kind in (BARE, TRACE) and frame.reliable:
            current.frames.append(frame)
        elif rec is not None or re.match(r"^\s*(not )?ok ", text):
            current = None
    return leaks


def by_thread(leaks: Iterable[Leak], threads: Mapping[int, tuple[str, int]]
              ) -> dict[tuple[str, int], list[Leak]]:
    """The leaks each point's thread allocated: threads maps a pid to the
    (operation, nth) whose attempt ran in it; leaks of other threads are left out."""
    out: dict[tuple[str, int], list[Leak]] = {}
    for leak in leaks:
        point = threads.get(leak.pid) if leak.pid else None
        if point:
            out.setdefault(point, []).append(leak)
    return out


def leaks(lines: Iterable[str]) -> list[Leak]:
    """The leaks the kmemleak confirmation printed (target's and the first kernel one)."""
    return _blocks(lines, raw=False)


def raw_leaks(lines: Iterable[str]) -> list[Leak]:
    """Every block of a raw kmemleak report (the modules boot cats the debugfs file)."""
    return _blocks(lines, raw=True)
