"""Kernel stack frames and the tables that say which frames are whose (pure).

One line kind, one parser: every form in which 6.12 prints a frame,

    [<60185632>] ? mark_lock+0x112/0x4280        a call trace (show_stack)
    [<600474af>] new_thread_handler+0x1ff/0x370 [mod]
    RIP: 0033:refdev_open+0x2bc/0x730            the faulting instruction (UML)
     => stack_trace_save+0x83/0xa0               an ftrace event's stack
        kfault_kmemleak_leak+0x3a/0x60           kmemleak's backtrace (no address)

is read by parse() into one Frame.  '?' marks a frame found on the stack but
not proven by frame pointers.

Which frames are whose (the reporting, panic and allocator machinery) is
tables.py's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

_FRAME = re.compile(
    r"^\s*(?:\[<(?P<addr>[0-9a-f]+)>\] |(?P<rip>RIP: [0-9a-f]+:)|(?P<ftrace>=> ))?"
    r"(?P<guess>\? )?(?P<fn>[A-Za-z_.$][\w.$]*)\+(?P<off>0x[0-9a-f]+)/(?P<size>0x[0-9a-f]+)"
    r"(?: \[(?P<mod>\w+)\])?\s*$")
_TEXT = re.compile(r"^([A-Za-z_.$][\w.$]*)\+(0x[0-9a-f]+)/(0x[0-9a-f]+)$")

TRACE, RIP, FTRACE, BARE = "trace", "rip", "ftrace", "bare"


@dataclass(frozen=True)
class Frame:
    function: str
    offset: int
    size: int
    module: str = ""            # "" for vmlinux
    address: int = 0            # a call trace's return address, 0 if none printed
    reliable: bool = True       # False for a '?' frame
    kind: str = BARE            # TRACE, RIP, FTRACE or BARE

    @property
    def text(self) -> str:
        """function+off/size, as %pS prints it (without the module)."""
        return f"{self.function}+{self.offset:#x}/{self.size:#x}"

    def __str__(self) -> str:
        return self.text


def parse(line: str) -> Frame | None:
    """The frame a console line holds (its "[ time] " prefix already stripped)."""
    m = _FRAME.match(line)
    if m is None:
        return None
    kind = TRACE if m.group("addr") else RIP if m.group("rip") else \
        FTRACE if m.group("ftrace") else BARE
    if kind == BARE and (not line[:1].isspace() or m.group("guess")):
        return None         # kmemleak indents its frames; a bare word+0x../0x.. is not one
    return Frame(m.group("fn"), int(m.group("off"), 16), int(m.group("size"), 16),
                 m.group("mod") or "", int(m.group("addr"), 16) if m.group("addr") else 0,
                 not m.group("guess"), kind)


def parse_text(text: str, module: str = "") -> Frame | None:
    """A frame given as "function+off/size" (a protocol field), or as %pS
    prints it, "function+off/size [module]"."""
    words = text.split(" ")
    m = _TEXT.match(words[0])
    if m is None:
        return None
    if not module and len(words) > 1 and words[1].startswith("[") and words[1].endswith("]"):
        module = words[1][1:-1]
    return Frame(m.group(1), int(m.group(2), 16), int(m.group(3), 16), module)


def trace(lines: Iterable[str], kinds: tuple[str, ...] = (TRACE,)) -> list[Frame]:
    """The reliable frames of those kinds among lines, in order."""
    out = []
    for line in lines:
        f = parse(line)
        if f is not None and f.reliable and f.kind in kinds:
            out.append(f)
    return out


def starts_with(function: str, prefixes: tuple[str, ...]) -> bool:
    return function.startswith(prefixes)
