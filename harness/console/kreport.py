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

import re
from dataclasses import dataclass
from typing import Iterable

from .protocol import strip_time

# (kind, header regex, title format); the first match wins
_HEADERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("kasan", re.compile(r"^BUG: KASAN: ([\w-]+) in ([\w.]+)"), "KASAN: {0} in {1}"),
    ("might_sleep", re.compile(r"^BUG: sleeping function called from invalid context at (\S+)"),
     "BUG: sleeping function called from invalid context at {0}"),
    ("lockdep", re.compile(r"^WARNING: (possible circular locking dependency|possible recursive "
                           r"locking|inconsistent lock state|suspicious RCU usage)"),
     "lockdep: {0}"),
    ("warning", re.compile(r"^WARNING: CPU: \d+ PID: \d+ at (\S+) ([\w.]+)"), "WARNING in {1}"),
    ("ubsan", re.compile(r"^UBSAN: ([\w-]+) in (\S+)"), "UBSAN: {0} in {1}"),
    ("hung", re.compile(r"^INFO: task ([\w/.:-]+?):\d+ blocked for more than"),
     "INFO: task hung in {0}"),
    ("bug", re.compile(r"^kernel BUG at (\S+)"), "kernel BUG at {0}"),
    ("bug", re.compile(r"^BUG: (.+?)(?: at | in |$)"), "BUG: {0}"),
)
_FRAME = re.compile(r"^\s*\[<[0-9a-f]+>\] (\? )?([\w.]+)\+")
_MACHINERY = re.compile(r"^(dump_stack|show_stack|print_report|kasan_|__kasan|_printk|printk|"
                        r"__warn|warn_slowpath|report_bug|__might|might_|__schedule|"
                        r"lockdep_|__lock_acquire|lock_acquire|check_|print_|__asan|__ubsan|"
                        r"ubsan_|dump_trace|um_|__read_once)")
ARTEFACTS = ("alloc_tagging_slab_alloc_hook", "__kunit_do_failed_assertion")


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
    frames: list[str] = []
    for ln in lines[start + 1:start + 200]:
        if any(rx.match(ln) for _, rx, _ in _HEADERS):
            break
        f = _FRAME.match(ln)
        if f and not f.group(1):
            frames.append(f.group(2))
    driver = next((f for f in frames if f.startswith(prefix)), None)
    other = next((f for f in frames if not _MACHINERY.match(f)), "-")
    return driver or other


def parse(lines: Iterable[str], driver_prefix: str) -> list[KernelReport]:
    text = [_strip(ln) for ln in lines]
    found = []
    for num, ln in enumerate(text):
        for kind, rx, fmt in _HEADERS:
            m = rx.match(ln)
            if m:
                found.append(KernelReport(kind, fmt.format(*m.groups()), num,
                                          _guilty(text, num, driver_prefix),
                                          any(a in ln for a in ARTEFACTS)))
                break
    return found
