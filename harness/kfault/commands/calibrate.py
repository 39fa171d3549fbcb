"""'make calibrate': review each seeded defect patch of the target.  The
checkout (the correct driver) is swept once, as the base; each defect patch
is applied to a scratch copy, built and swept, and its findings compared
with the base's.  The defect's finding must be new at the line its
'kfault-defect:' marker names; the same two sweeps read the other way are
the review of the reverse patch, which then reports it fixed.  The correct
driver must have no finding at all."""
from __future__ import annotations

import dataclasses
import shutil
import sys
import time
from pathlib import Path

from ..results import calibration
from ..checkout import defects, tree
from ..errors import HarnessError
from .context import Checkout, Context, Outcome, analyse, prepare, request
from .kunit import known_failures_only
from .review import scratch_copy


def _sweep(ctx: Context, out: Path, name: str
           ) -> tuple[list[defects.Finding], float, int, list[str]]:
    """One build and one boot of the target's sweep: findings, seconds, kunit.py
    status and the console."""
    test_log = ctx.boot.test_log
    test_log.unlink(missing_ok=True)
    prepare(ctx)
    start = time.monotonic()
    kunit_out = out / f"{name}.kunit.txt"
    status = ctx.runner.run_kunit(request(ctx, ctx.target.sweep_suite or ""),
                                  output=kunit_out)
    seconds = time.monotonic() - start
    if not test_log.is_file():
        said = [ln for ln in kunit_out.read_text(errors="replace").splitlines()
                if "ERROR" in ln or "Missing" in ln or "error:" in ln]
        raise HarnessError(f"{name}: kunit.py booted no kernel (status {status}): "
                           + (said[-1].strip() if said else f"see {kunit_out}"))
    shutil.copyfile(test_log, out / f"{name}.log")
    lines = test_log.read_text(errors="replace").splitlines()
    log, symbols = analyse(ctx, lines)
    found = calibration.findings(log, symbols, list(symbols.leaks), ctx.target.known)
    if not log.crash and (not log.kmemleak or not log.kmemleak.canary_found):
        # a dead oracle must not pass for a clean run
        found.append(defects.Finding("kmemleak-canary-missing", name, 0))
    if any("KASAN did not report the canary" in line for line in lines):
        found.append(defects.Finding("kasan-canary-missing", name, 0))
    return found, seconds, status, lines


def calibrate_target(ctx: Context) -> Outcome:
    """Each seeded defect patch swept in a build of its own; ctx.boot.kconfig_add
    (--kconfig_add) goes into every build."""
    target = ctx.target
    if not target.defect_patches or not target.sweep_suite:
        raise HarnessError(f"target {target.name} has no [defects] patches or sweep_suite: "
                           "nothing to calibrate")
    patches = sorted((ctx.checkout.repo / target.defect_patches).glob("*.patch"))
    if not patches:
        raise HarnessError(f"no defect patches in {target.defect_patches}")
    expected = {p.stem: defects.from_patch(p.name, p.read_text()) for p in patches}
    out = (ctx.out / "calibrate").resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"calibrate: the correct {target.name} and {len(patches)} seeded defect patches, "
          f"one build and boot each; logs in {out}/", flush=True)
    base, seconds, status, lines = _sweep(ctx, out, "none")
    outcome = calibration.Outcome("none", [], list(base), seconds)
    if status and not base and not known_failures_only(ctx, lines):
        outcome.findings.append(defects.Finding("kunit-failure", "none.log", 0))
    outcomes = [outcome]
    print(f"calibrate: none: {'ok' if outcome.detected else 'FINDINGS'} ({seconds:.1f} s)",
          flush=True)
    scratch = out / "tree"
    try:
        for patch in patches:
            scratch_copy(ctx, scratch, [patch], f"defect patch {patch.name}")
            found, seconds, _, _ = _sweep(dataclasses.replace(ctx, checkout=Checkout(scratch)), out,
                                          patch.stem)
            new = [f for f in found if f not in base]
            outcome = calibration.Outcome(patch.stem, expected[patch.stem], new, seconds)
            outcomes.append(outcome)
            hit = outcome.match
            print(f"calibrate: {patch.stem}: "
                  + (f"new {hit.verdict} at {hit.where}; its reverse fixes it" if hit
                     else "NOT DETECTED") + f" ({seconds:.1f} s)", flush=True)
    finally:
        tree.link(ctx.boot.kdir, ctx.checkout.repo)
        if scratch.exists():
            shutil.rmtree(scratch)
    table = calibration.matrix(outcomes)
    (out / "calibration.md").write_text(f"# kfault calibration of {target.name}\n\n"
                                        + "\n".join(table) + "\n")
    print("\n".join(table))
    missed = [o.defect for o in outcomes if not o.detected]
    if missed:
        print(f"kfault: error: calibration failed for: {', '.join(missed)}", file=sys.stderr)
        return Outcome(1, out=out)
    print(f"calibrate: all {len(patches)} defect patches reviewed: each a new finding at "
          f"its marked line, fixed by its reverse; the correct {target.name} has no findings")
    return Outcome(0, out=out)
