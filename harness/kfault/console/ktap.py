"""What the kernel itself counted, as a cross-check on kunit.py's parse (pure).

kunit.py silently drops a result line it cannot parse (a '#' inside a test
name is read as a directive), so a failed test can vanish from its summary.
KUnit's executor prints its own counts after each suite,
'# Totals: pass:N fail:N skip:N total:N'; the harness compares.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

_TOTALS = re.compile(r"# Totals: pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)")


@dataclass(frozen=True)
class Totals:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    total: int = 0

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(self.passed + other.passed, self.failed + other.failed,
                      self.skipped + other.skipped, self.total + other.total)


def kernel_totals(lines: Iterable[str]) -> Totals:
    """Sum of every '# Totals:' line (6.12 prints one per suite)."""
    total = Totals()
    for line in lines:
        m = _TOTALS.search(line)
        if m:
            total = total + Totals(*(int(g) for g in m.groups()))
    return total
