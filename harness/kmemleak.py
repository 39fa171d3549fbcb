"""kmemleak reports in a console log (pure).

The sweep suite's kmemleak confirmation prints each leak it attributes to
the driver as 'kfault: kmemleak: unreferenced object 0x... (size N):'
followed by kmemleak's own block (comm/pid, hex dump, 'backtrace (crc ..):'
and one '%pS' frame per line).  kmemleak in 6.12 prints no addresses, only
symbol+offset/size; older kernels print '[<hash>] sym+off/size'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

_HEAD = re.compile(r"kfault: kmemleak: unreferenced object (0x[0-9a-f]+) \(size (\d+)\):")
_FRAME = re.compile(r"^\s+(?:\[<[0-9a-f]+>\] )?([A-Za-z_][\w.]*)\+(0x[0-9a-f]+)/(0x[0-9a-f]+)\s*$")
_SUMMARY = re.compile(r"kfault: kmemleak confirmation: canary (\w+), (\d+) refdev leak\(s\), "
                      r"(\d+) kernel leak")


@dataclass(frozen=True)
class Frame:
    function: str
    offset: int
    size: int

    def __str__(self) -> str:
        return f"{self.function}+{self.offset:#x}/{self.size:#x}"


@dataclass
class Leak:
    address: str
    size: int
    frames: list[Frame] = field(default_factory=list)

    def driver_frame(self, prefix: str) -> Frame | None:
        return next((f for f in self.frames if f.function.startswith(prefix)), None)


@dataclass(frozen=True)
class Confirmation:
    canary_found: bool
    driver_leaks: int
    kernel_leaks: int


def driver_leaks(lines: Iterable[str]) -> list[Leak]:
    """The leaks the kmemleak confirmation attributed to the driver."""
    leaks: list[Leak] = []
    current: Leak | None = None
    for line in lines:
        text = re.sub(r"^\[[ 0-9.:]+\] ", "", line)
        head = _HEAD.search(text)
        if head:
            current = Leak(head.group(1), int(head.group(2)))
            leaks.append(current)
            continue
        if current is None:
            continue
        frame = _FRAME.match(text)
        if frame:
            current.frames.append(Frame(frame.group(1), int(frame.group(2), 16),
                                        int(frame.group(3), 16)))
        elif "kfault:" in text or re.match(r"^\s*(not )?ok ", text):
            current = None
    return leaks


def confirmation(lines: Iterable[str]) -> Confirmation | None:
    """The confirmation's summary line, if the run got that far."""
    for line in lines:
        m = _SUMMARY.search(line)
        if m:
            return Confirmation(m.group(1) == "found", int(m.group(2)), int(m.group(3)))
    return None
