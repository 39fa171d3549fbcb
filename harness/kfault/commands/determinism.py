"""'make determinism': a target swept N times on one build; the share of
(operation, stable id, verdict) that every run agrees on.  A target with
KUnit suites is booted N times (its op sweep or, with SUITE=, the any-suite
sweep); a target swept from user space is swept N times from user space.
Both have the engine's ids: a site's hash and its occurrence."""
from __future__ import annotations

import dataclasses

from ..errors import HarnessError
from ..results import model
from . import usersweep
from .context import Context, Outcome, analyse, boot_once, lost_points, prepare, sweep_suite

Triple = tuple[str, str, str]


def agreement(runs: list[set[Triple]]) -> tuple[int, int]:
    """(points every run has, points any run has) (pure)."""
    if not runs:
        return 0, 0
    every, union = set(runs[0]), set(runs[0])
    for triples in runs[1:]:
        every &= triples
        union |= triples
    return len(every), len(union)


def triples(log: model.RunLog) -> set[Triple]:
    """(operation, stable id, verdict) of each point; "-" for a point with no id."""
    return {(r.op, r.line.id if r.line.id.strip("0") else "-", str(r.line.verdict))
            for r in log.points}


def determinism(ctx: Context, runs: int, max_boots: int = 30) -> Outcome:
    if runs < 2:
        raise HarnessError(f"--runs {runs}: need at least 2 runs to compare")
    found = _user_runs(ctx, runs, max_boots) if ctx.target.user else _kunit_runs(ctx, runs)
    return Outcome(compare(ctx.target.name, found))


def compare(name: str, found: list[set[Triple]]) -> int:
    """Print how far the runs agree; 0 when they all have the same triples."""
    same, total = agreement(found)
    common = set(found[0]).intersection(*found[1:])
    share = 100.0 * same / total if total else 100.0
    print(f"determinism: {same} of {total} (operation, id, verdict) agree in all "
          f"{len(found)} runs of {name}: {share:.1f} %")
    for num, run in enumerate(found, 1):
        for op, ident, verdict in sorted(run - common)[:10]:
            print(f"determinism:   only in some runs (run {num} has it): {op} {ident} "
                  f"{verdict}")
    return 0 if same == total else 1


def _kunit_runs(ctx: Context, runs: int) -> list[set[Triple]]:
    suite = sweep_suite(ctx)
    prepare(ctx)
    out = ctx.out / "determinism"
    out.mkdir(parents=True, exist_ok=True)
    found: list[set[Triple]] = []
    for num in range(1, runs + 1):
        log, _ = analyse(ctx, boot_once(ctx, suite, out, f"run-{num}", num == 1))
        if log.crash:
            raise HarnessError(f"run {num} crashed ({log.crash.title}): compare with "
                               f"'make sweep' first; see {out}/run-{num}.log")
        lost = lost_points(log, out / f"run-{num}.log")
        if lost:
            raise HarnessError(f"run {num}: {lost}")
        found.append(triples(log))
        print(f"determinism: run {num}: {len(found[-1])} points", flush=True)
    return found


def _user_runs(ctx: Context, runs: int, max_boots: int) -> list[set[Triple]]:
    found: list[set[Triple]] = []
    for num in range(1, runs + 1):
        run_ctx = dataclasses.replace(ctx, out=ctx.out / "determinism" / f"run-{num}")
        swept = usersweep.user_sweep(run_ctx, fresh=True, max_boots=max_boots)
        assert swept.log is not None
        found.append(triples(swept.log))
        print(f"determinism: run {num}: {len(found[-1])} points", flush=True)
    return found
