"""Which allocation call sites of the target the sweep failed (pure)."""
from __future__ import annotations

from dataclasses import dataclass

from .model import Result, RunLog, Symbols
from .sites import Site


@dataclass(frozen=True)
class Coverage:
    failed: list[Site]
    never: list[Site]
    unplaced: list[Result]      # points whose site is in no known call


def compute(sites: list[Site], log: RunLog, symbols: Symbols) -> Coverage:
    """Sites hit by a result's or a counted point's failed call."""
    hit: set[Site] = set()
    unplaced = []
    for p in log.counted:
        where = symbols.place(p.addr)
        hit.update(s for s in sites if where and s.covers(*where))
    for r in log.points:
        if not r.line.addr or r.line.site == "-":
            continue
        where = symbols.place(r.line.addr)
        matches = [s for s in sites if where and s.covers(*where)]
        if matches:
            hit.update(matches)
        else:
            unplaced.append(r)
    return Coverage(failed=[s for s in sites if s in hit],
                    never=[s for s in sites if s not in hit], unplaced=unplaced)
