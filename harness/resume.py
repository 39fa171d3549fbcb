"""Crash survival and resume for multi-boot sweeps (pure).

Every fault point the kernel finishes prints 'kfault: ran op=OP nth=N
verdict=V ...', and before each one 'kfault: try op=OP pass=P nth=N'.
From a console (complete, crashed, or cut short by a kill) this module
derives one JSON-lines record per finished point, a crash record for the
point that took the kernel down, and where the next boot resumes
(kfault.resume=OP:NTH).
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Iterable

from .oops import Crash

_RAN = re.compile(r"kfault: ran op=(\S+) nth=(\d+) verdict=(\S+) nesting=(\d) site=(\S*) id=(\w+)")
_TRY = re.compile(r"kfault: try op=(\S+) pass=\d+ nth=(\d+)")
_DONE = re.compile(r"kfault: done op=(\S+) pass=\d+ nth=(\d+)")


@dataclass(frozen=True)
class Record:
    boot: int
    kind: str               # "point", "crash", "complete"
    op: str = ""
    nth: int = 0
    verdict: str = ""
    site: str = ""
    id: str = ""
    detail: str = ""

    def json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def points(lines: Iterable[str], boot: int) -> list[Record]:
    """Return a record for each point the console says finished."""
    out = []
    for line in lines:
        m = _RAN.search(line)
        if m:
            out.append(Record(boot, "point", m.group(1), int(m.group(2)), m.group(3),
                              m.group(5), m.group(6)))
    return out


def last_started(lines: Iterable[str]) -> tuple[str, int] | None:
    """The point whose 'try' line came last, if no 'ran' (or 'done': it did not
    fire, the pass is over) line for it followed:
    the point that was running when the log ends; None when the log ends
    after a finished point (the kernel was elsewhere)."""
    found = None
    for line in lines:
        m = _TRY.search(line)
        if m:
            found = (m.group(1), int(m.group(2)))
            continue
        r = _RAN.search(line) or _DONE.search(line)
        if r and found == (r.group(1), int(r.group(2))):
            found = None
    return found


def excerpt(lines: list[str], crash: Crash, before: int = 12, after: int = 4) -> str:
    """The console around the crash line: registers/RIP, the panic, first frames."""
    part = lines[max(0, crash.line - before):crash.line + after]
    return "\n".join(re.sub(r"^\[[ 0-9.:]+\] ", "", ln) for ln in part)


def crash_record(crash: Crash, at: tuple[str, int], where: str, boot: int,
                 context: str = "") -> Record:
    detail = f"{crash.title}; {crash.frame} {where}".strip()
    return Record(boot, "crash", at[0], at[1], "crash", crash.frame, "",
                  detail + (f"\n{context}" if context else ""))


def load(text: str) -> list[Record]:
    """Records of earlier boots; a line cut short by a kill is ignored."""
    out = []
    for line in text.splitlines():
        try:
            out.append(Record(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out


def resume_point(records: list[Record]) -> str | None:
    """kfault.resume value for the next boot: after the last crash or finished point."""
    last = next((r for r in reversed(records) if r.kind in ("point", "crash")), None)
    return f"{last.op}:{last.nth}" if last else None
