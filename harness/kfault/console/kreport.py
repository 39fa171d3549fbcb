"""Kernel reports in a console log: KASAN, WARN, BUG, lockdep, sleeping in
atomic context, UBSAN, hung tasks (pure).

Table-driven, like syzkaller's pkg/report: a header regex names the kind
and gives a title with addresses, offsets, CPUs and pids left out, so that
a title is a stable dedup key; the guilty frame is the first reliable
driver frame of the report's call trace, else its first frame outside the
reporting machinery.  Reports that fault injection itself causes in the
kernel (kfault.c's artefact list) are marked, not dropped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from . import frames
from .protocol import strip_time
from .tables import ARTEFACTS, KASAN_ACCESS, REPORT_HEADERS, report_machinery


@dataclass(frozen=True)
class KernelReport:
    kind: str
    title: str
    line: int           # index of the header line
    frame: str          # guilty function, or "-"
    artefact: bool      # caused by fault injection inside the kernel itself


def _strip(line: str) -> str:
    return strip_time(line).rstrip()


def _guilty(lines: list[str], start: int, prefix: str) -> str:
    names: list[str] = []
    for ln in lines[start + 1:start + 200]:
        if any(rx.match(ln) for _, _, rx, _ in REPORT_HEADERS):
            break
        f = frames.parse(ln)
        if f is not None and f.reliable and f.kind == frames.TRACE:
            names.append(f.function)
    driver = next((f for f in names if f.startswith(prefix)), None)
    other = next((f for f in names if not report_machinery(f)), "-")
    return driver or other


def _access(lines: list[str], start: int) -> str:
    """KASAN's access line after its header: "Read" or "Write" ("" if none)."""
    for ln in lines[start + 1:start + 4]:
        m = KASAN_ACCESS.match(ln)
        if m:
            return m.group(1)
    return ""


def _title(kind: str, fmt: str, groups: tuple[str, ...], lines: list[str], num: int) -> str:
    """The title; a KASAN report's says Read or Write, as syzkaller's do
    ("KASAN: slab-use-after-free Read in strcmp")."""
    access = _access(lines, num) if kind == "kasan" else ""
    if access:
        return f"KASAN: {groups[0]} {access} in {groups[1]}"
    return fmt.format(*groups)


def parse(lines: Iterable[str], driver_prefix: str) -> list[KernelReport]:
    text = [_strip(ln) for ln in lines]
    found = []
    for num, ln in enumerate(text):
        for kind, _, rx, fmt in REPORT_HEADERS:
            m = rx.match(ln)
            if m:
                found.append(KernelReport(kind, _title(kind, fmt, m.groups(), text, num), num,
                                          _guilty(text, num, driver_prefix),
                                          any(a in ln for a in ARTEFACTS)))
                break
    return found
