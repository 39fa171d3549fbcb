"""'make determinism': the fault suite N times on one build; the share of
(operation, stable id, verdict) that every run agrees on."""
from __future__ import annotations

import shutil

from ..errors import HarnessError
from .context import Context, analyse, lost_points, prepare, request

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


def determinism(ctx: Context, runs: int) -> int:
    suite = ctx.target.sweep_suite
    if not suite:
        raise HarnessError(f"target {ctx.target.name} has no sweep_suite in its target file")
    if runs < 2:
        raise HarnessError(f"--runs {runs}: need at least 2 runs to compare")
    prepare(ctx)
    out = ctx.out / "determinism"
    out.mkdir(parents=True, exist_ok=True)
    test_log = ctx.boot.default_build() / "test.log"
    found: list[set[Triple]] = []
    for num in range(runs):
        test_log.unlink(missing_ok=True)
        ctx.runner.run_kunit(request(ctx, suite, first=not num),
                             output=out / f"run-{num + 1}.kunit.txt")
        if not test_log.is_file():
            raise HarnessError(f"run {num + 1} did not boot: see {out}/run-{num + 1}.kunit.txt")
        shutil.copyfile(test_log, out / f"run-{num + 1}.log")
        log, _ = analyse(ctx, test_log.read_text(errors="replace").splitlines())
        if log.crash:
            raise HarnessError(f"run {num + 1} crashed ({log.crash.title}): compare with "
                               f"'make sweep' first; see {out}/run-{num + 1}.log")
        lost = lost_points(log, out / f"run-{num + 1}.log")
        if lost:
            raise HarnessError(f"run {num + 1}: {lost}")
        triples = {(r.op, r.line.id, str(r.line.verdict)) for r in log.points}
        found.append(triples)
        print(f"determinism: run {num + 1}: {len(triples)} points", flush=True)
    same, total = agreement(found)
    common = set(found[0]).intersection(*found[1:])
    share = 100.0 * same / total if total else 100.0
    print(f"determinism: {same} of {total} (operation, id, verdict) agree in all {runs} runs "
          f"of {ctx.target.name}: {share:.1f} %")
    for num, triples in enumerate(found):
        for op, ident, verdict in sorted(triples - common)[:10]:
            print(f"determinism:   only in some runs (run {num + 1} has it): {op} {ident} "
                  f"{verdict}")
    return 0 if same == total else 1
