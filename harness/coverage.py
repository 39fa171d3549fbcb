"""Which allocation call sites of the driver the sweep failed (pure)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from .sites import Site
from .sweep import PointResult


@dataclass(frozen=True)
class Coverage:
    failed: list[Site]
    never: list[Site]
    unplaced: list[PointResult]     # points whose site is in no known call


def call_site(chain: list[tuple[str, str]], files: set[str]) -> tuple[str, int] | None:
    """The innermost frame of an inline chain that lies in one of the driver's files."""
    for _func, where in chain:
        path, _, line = where.rpartition(":")
        name = PurePath(path).name
        line = line.split(" ")[0]
        if name in files and line.isdigit():
            return name, int(line)
    return None


def compute(sites: list[Site], results: list[PointResult],
            chains: dict[int, list[tuple[str, str]]], counted: list[int] = []) -> Coverage:
    """chains: addr2line output for (return address - 1) of each result.

    counted: return addresses of the counting pass's failed sites (also failed)."""
    files = {s.file for s in sites}
    hit: set[Site] = set()
    unplaced = []
    for addr in counted:
        where = call_site(chains.get(addr - 1, []), files)
        hit.update(s for s in sites if where and s.covers(*where))
    for r in results:
        if not r.addr or r.site == "-":
            continue
        where = call_site(chains.get(r.addr - 1, []), files)
        matches = [s for s in sites if where and s.covers(*where)]
        if matches:
            hit.update(matches)
        else:
            unplaced.append(r)
    return Coverage(failed=[s for s in sites if s in hit],
                    never=[s for s in sites if s not in hit], unplaced=unplaced)
