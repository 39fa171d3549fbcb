"""'make calibrate': one boot per seeded defect of the target; each must be found at
the line its marker names, and the correct target must have no finding."""
from __future__ import annotations

import shutil
import sys
import time

from .. import calibrate, defects
from ..errors import HarnessError
from .context import Context, analyse, prepare, request


def calibrate_target(ctx: Context, kconfig_add: list[str]) -> int:
    target = ctx.target
    if not target.defect_arg or not target.sweep_suite:
        raise HarnessError(f"target {target.name} has no [defects] or sweep_suite: "
                           "nothing to calibrate")
    expected = defects.expectations(target.source_files(ctx.kdir))
    if not expected:
        raise HarnessError(f"no '/* kfault-defect: NAME VERDICT */' markers in "
                           f"{', '.join(target.srcdirs)}")
    prepare(ctx)
    out = ctx.out / "calibrate"
    out.mkdir(parents=True, exist_ok=True)
    names = ["none"] + sorted(expected)
    test_log = ctx.default_build() / "test.log"
    outcomes = []
    print(f"calibrate: {len(names) - 1} seeded defects of {target.name} and the correct "
          f"target, one boot each; logs in {out}/")
    for num, name in enumerate(names):
        extra = [f"--kconfig_add={kc}" for kc in kconfig_add] if not num else []
        args = [target.defect_arg.format(name=name)] if num else []
        test_log.unlink(missing_ok=True)
        start = time.monotonic()
        kunit_out = out / f"{name}.kunit.txt"
        status = ctx.runner.run_kunit(request(ctx, target.sweep_suite, first=not num,
                                              kernel_args=args, extra=extra), output=kunit_out)
        seconds = time.monotonic() - start
        if not test_log.is_file():
            said = [ln for ln in kunit_out.read_text(errors="replace").splitlines()
                    if "ERROR" in ln or "Missing" in ln or "error:" in ln]
            raise HarnessError(f"kunit.py booted no kernel (status {status}): "
                               + (said[-1].strip() if said else f"see {kunit_out}"))
        shutil.copyfile(test_log, out / f"{name}.log")
        lines = test_log.read_text(errors="replace").splitlines()
        log, symbols = analyse(ctx, lines)
        outcome = calibrate.Outcome(name, expected.get(name, []),
                                    calibrate.findings(log, symbols, list(symbols.leaks)),
                                    seconds)
        if not log.crash and (not log.kmemleak or not log.kmemleak.canary_found):
            # a dead oracle must not pass for a clean run
            outcome.findings.append(calibrate.Finding("kmemleak-canary-missing", name, 0))
        if not num and status and not outcome.findings:
            outcome.findings.append(calibrate.Finding("kunit-failure", f"{name}.log", 0))
        if any("KASAN did not report the canary" in line for line in lines):
            outcome.findings.append(calibrate.Finding("kasan-canary-missing", name, 0))
        outcomes.append(outcome)
        print(f"calibrate: {name}: {'ok' if outcome.detected else 'NOT DETECTED'} "
              f"({seconds:.1f} s)", flush=True)
    table = calibrate.matrix(outcomes)
    (out / "calibration.md").write_text(f"# kfault calibration of {target.name}\n\n"
                                        + "\n".join(table) + "\n")
    print("\n".join(table))
    missed = [o.defect for o in outcomes if not o.detected]
    if missed:
        print(f"kfault: error: calibration failed for: {', '.join(missed)}", file=sys.stderr)
        return 1
    print(f"calibrate: all {len(names) - 1} defects detected at their marked lines; "
          f"the correct {target.name} has no findings")
    return 0
