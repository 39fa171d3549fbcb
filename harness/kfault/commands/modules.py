"""'make modules-test': the target's modules in a UML boot on the host's root:
insmod, the test modules' suites run on load, rmmod in reverse, kmemleak."""
from __future__ import annotations

import time

from ..console import kmemleak, kreport, kunit_results, oops
from ..errors import HarnessError
from ..proc.runner import KunitRequest
from .context import Context, Outcome, modules_kunitconfig, prepare


def modules_test(ctx: Context) -> Outcome:
    mods = ctx.target.modules
    if mods is None:
        raise HarnessError(f"target {ctx.target.name} has no [modules] in its target file")
    build_dir = ctx.boot.default_build(".kunit-kfault-modules")
    prepare(ctx, build_dir, modules=True)
    out = ctx.out / "modules"
    out.mkdir(parents=True, exist_ok=True)
    req = KunitRequest(kdir=ctx.boot.srctree, build_dir=build_dir,
                       kunitconfig_dir=modules_kunitconfig(ctx), command="build",
                       ccache_dir=ctx.boot.ccache_dir)
    print(f"modules: building {build_dir} ({modules_kunitconfig(ctx)})", flush=True)
    if ctx.runner.run_kunit(req, output=out / "build.txt"):
        said = [ln for ln in (out / "build.txt").read_text(errors="replace").splitlines()
                if "error" in ln.lower() or "Missing" in ln]
        raise HarnessError("the module build failed: " + (said[-1].strip() if said
                                                          else f"see {out}/build.txt"))
    kos = [build_dir / ko for ko in mods.load + mods.tests]
    boot_args = ["mem=1G", "console=tty", "rootfstype=hostfs", "rootflags=/", "ro",
                 f"init={ctx.checkout.user_dir / 'modules-init.sh'}", "kasan_multi_shot",
                 "KFAULT_MODULES=" + ":".join(str(k) for k in kos)]
    print("modules: booting UML on the host's root: insmod, suites, rmmod, kmemleak", flush=True)
    start = time.monotonic()
    status = ctx.runner.boot_uml(build_dir / "linux", boot_args, out / "console.log",
                                 ctx.boot.timeout)
    lines = (out / "console.log").read_text(errors="replace").splitlines()
    problems = [ln.split("kfault-init: ", 1)[1] for ln in lines if "kfault-init: FAILED" in ln]
    if status is None:
        problems.append(f"the boot hung: killed after {ctx.boot.timeout} s")
    elif not any("kfault-init: done" in ln for ln in lines):
        crash = oops.find_crash(lines, ctx.target.prefix)
        problems.append(f"the boot ended early: {crash.title if crash else 'no crash line'}")
    # the built-in executor prints an empty KTAP document at boot: read the
    # test modules', which start after the first test module's insmod
    first_test = str(kos[len(mods.load)]) if mods.tests else None
    loaded = next((i for i, ln in enumerate(lines)
                   if first_test and "kfault-init: insmod" in ln and first_test in ln),
                  len(lines))
    found = (kunit_results.results(ctx.boot.kdir, lines[loaded:])
             if any("KTAP" in ln for ln in lines[loaded:]) else [])
    bad = [r for r in found if r.status not in ("SUCCESS", "SKIPPED")]
    problems += [f"KUnit {r.name}: {r.status}" for r in bad]
    # reports from the boot before the first insmod are not the modules'
    first_mod = next((i for i, ln in enumerate(lines) if "kfault-init: insmod" in ln), len(lines))
    reports = [r for r in kreport.parse(lines[first_mod:], ctx.target.prefix) if not r.artefact]
    problems += [f"kernel report: {r.title} (guilty: {r.frame})" for r in reports]
    begin = next((i for i, ln in enumerate(lines) if "kmemleak report begin" in ln), len(lines))
    leaks = kmemleak.raw_leaks(lines[begin:])
    mine = [lk for lk in leaks if lk.driver_frame(ctx.target.prefix)]
    if mine:
        problems.append(f"kmemleak: {len(mine)} leak(s) with {ctx.target.name} frames")
    print(f"modules: {len(found)} KUnit results from the loaded modules "
          f"({len(found) - len(bad)} passed), {len(reports)} kernel reports, "
          f"kmemleak {len(leaks)} object(s) ({len(mine)} {ctx.target.name}), "
          f"{time.monotonic() - start:.1f} s; console in {out}/console.log")
    if mods.tests and not found:
        problems.append("no KTAP output: the test modules did not run")
    for problem in problems:
        print(f"kfault: FAIL modules: {problem}")
    return Outcome(1 if problems else 0, out=out)
