"""Command line: python3 -m harness <command>.  The only module that exits."""
from __future__ import annotations

import argparse
import dataclasses
import os
from datetime import datetime, timezone
import shutil
import sys
import time
from pathlib import Path

from . import (calibrate, configs, coverage, defects, kmemleak, kreport, ktap, kunit_results,
               oops, report, reports_io, resume, runner, sites, sweep, tree)
from .errors import HarnessError

REPO = Path(__file__).resolve().parent.parent


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("KFAULT_CACHE", str(Path(base) / "kfault")))


def default_kdir() -> Path:
    return Path(os.environ.get("KDIR") or default_cache() / "linux-source-6.12")


def cmd_link(args: argparse.Namespace) -> int:
    for change in tree.link(args.kdir, REPO):
        print(f"link: {change}")
    return 0


def cmd_unlink(args: argparse.Namespace) -> int:
    for change in tree.unlink(args.kdir):
        print(f"unlink: {change}")
    return 0


def cmd_configs(args: argparse.Namespace) -> int:
    for fragments, target in ((configs.DEFAULT_FRAGMENTS, REPO / "configs/.kunitconfig"),
                              (configs.MODULE_FRAGMENTS, REPO / "configs/modules/.kunitconfig")):
        text = configs.compose(REPO / "configs", fragments)
        if args.check:
            if not target.is_file() or target.read_text() != text:
                raise HarnessError(f"{target.relative_to(REPO)} is stale: run 'make configs' "
                                   "and commit it")
            continue
        if not target.is_file() or target.read_text() != text:
            target.parent.mkdir(exist_ok=True)
            target.write_text(text)
            print(f"configs: wrote {target}")
    return 0


def prepare(args: argparse.Namespace, default_build: str = ".kunit-kfault") -> Path:
    """Link the tree and refresh the kunitconfigs; return the build directory to use."""
    tree.link(args.kdir, REPO)
    cmd_configs(argparse.Namespace(check=False))
    return Path(args.build_dir or args.kdir / default_build)


def sweep_request(args: argparse.Namespace, build_dir: Path, first: bool,
                  kernel_args: list[str], extra: list[str] = []) -> runner.KunitRequest:
    """One boot of the sweep suite: 'run' (config and build) first, 'exec' after."""
    return runner.KunitRequest(
        kdir=args.kdir, build_dir=build_dir, kunitconfig_dir=REPO / "configs",
        filter_glob="refdev_fault", timeout=args.timeout,
        ccache_dir=default_cache() / "ccache", command="run" if first else "exec",
        kernel_args=["kasan_multi_shot"] + kernel_args + args.kernel_arg, extra=extra)


def cmd_kunit(args: argparse.Namespace) -> int:
    build_dir = prepare(args)
    req = runner.KunitRequest(kdir=args.kdir, build_dir=build_dir,
                              kunitconfig_dir=REPO / "configs", filter_glob=args.filter,
                              timeout=args.timeout, ccache_dir=default_cache() / "ccache")
    log_path = build_dir / "test.log"
    log_path.unlink(missing_ok=True)        # never summarise a stale log
    if args.baseline:
        reports_io.load_baseline(args.baseline)     # a bad baseline fails before the build
    started = datetime.now(timezone.utc)
    status = runner.run_kunit(req)
    if not log_path.is_file():
        raise HarnessError("kunit.py did not boot a kernel: the config or the build failed "
                           "(its output above says why)", exit_code=status or 2)
    lines = log_path.read_text(errors="replace").splitlines()
    totals = ktap.kernel_totals(lines)
    if not totals.total and oops.find_crash(lines) is None:
        raise HarnessError(f"no test ran: FILTER={args.filter!r} matches no suite "
                           "(ours: refdev_fault, refdev_core, refdev_probe, refdev_session, "
                           "refdev_fops)" if args.filter else
                           f"the kernel ran no test; see {log_path}")
    print(f"kfault: kernel counted: pass {totals.passed}, fail {totals.failed}, "
          f"skip {totals.skipped}, total {totals.total}")
    if totals.failed and not status:
        print(f"kfault: error: kunit.py reported success but the kernel counted "
              f"{totals.failed} failed tests (a result line it could not parse); see {log_path}",
              file=sys.stderr)
        status = 1
    crash = placed_crash(lines, build_dir / "vmlinux")
    if crash:
        where = coverage.call_site(
            runner.addr2line(build_dir / "vmlinux", [crash.addr - 1]).get(crash.addr - 1, [])
            if crash.addr else [], {p.name for p in (REPO / "module").glob("*.c")})
        print(f"kfault: CRASH in {crash.case} (last point: {crash.last_point}): {crash.title}; "
              f"driver frame {crash.frame}" + (f" at {where[0]}:{where[1]}" if where else ""))
        status = status or 1
    out = write_reports(lines, build_dir / "vmlinux", args.out / "report", started,
                        args.baseline)
    print(f"kfault: reports: {out}/summary.md, report.html, junit.xml, report.json")
    print_kernel_reports(lines)
    gap = print_sweep_summary(lines, build_dir / "vmlinux")
    if gap and args.filter:
        print("kfault: (coverage is partial because of the suite filter)")
        gap = False
    return status or (EXIT_COVERAGE if gap else 0)


EXIT_COVERAGE = 3


def print_kernel_reports(lines: list[str]) -> None:
    """Distinct kernel reports of the run, but the canaries' and fault injection's own."""
    seen: dict[tuple[str, str], int] = {}
    artefacts = 0
    for rep in kreport.parse(lines):
        if rep.artefact:
            artefacts += 1
        elif "kfault_canary" not in rep.title and not rep.frame.startswith("kfault_canary"):
            seen[(rep.title, rep.frame)] = seen.get((rep.title, rep.frame), 0) + 1
    for (title, frame), count in seen.items():
        print(f"kfault: kernel report x{count}: {title} (guilty: {frame})")
    if artefacts:
        print(f"kfault: {artefacts} kernel WARN(s) caused by fault injection inside the "
              "kernel itself (MEM_ALLOC_PROFILING's extension vectors), not the driver")


def print_sweep_summary(lines: list[str], vmlinux: Path) -> bool:
    """Print the sweep's totals and call-site coverage; True if a site was never failed."""
    log = sweep.parse(lines)
    if not log.results:
        return False
    by_verdict: dict[str, int] = {}
    for r in log.results:
        by_verdict[r.verdict] = by_verdict.get(r.verdict, 0) + 1
    print(f"kfault: sweep: {sum(log.counted.values())} fault points in "
          f"{len(log.counted)} operations; verdicts: "
          + ", ".join(f"{v} {n}" for v, n in sorted(by_verdict.items())))
    print(f"kfault: speed: {log.points} points in {log.ms} ms, {log.points_per_s} points/s")
    for op, n in sweep.missing_points(log).items():
        print(f"kfault: {op}: {n} counted points have no result (crash or truncated log)")
    for (op, verdict, why), points in sweep.failures(log).items():
        nths = ", ".join(str(r.nth) for r in points[:12]) + (" ..." if len(points) > 12 else "")
        print(f"kfault: FAIL {op}: {len(points)} point(s) {verdict}: {why} (nth {nths})")
    known = sites.driver_sites(REPO / "module")
    counted = [addr for _op, _nth, addr in log.counted_points if addr]
    addrs = {r.addr - 1 for r in log.results if r.addr} | {a - 1 for a in counted}
    chains = runner.addr2line(vmlinux, sorted(addrs))
    cov = coverage.compute(known, log.results, chains, counted)
    print(f"kfault: coverage: {len(cov.failed)}/{len(known)} allocation call sites in "
          f"module/ failed at least once")
    for site in cov.never:
        print(f"kfault: never failed: {site}")
    return bool(cov.never)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Boot once per seeded defect and check each is found where its marker says."""
    expected = defects.expectations(REPO / "module")
    if not expected:
        raise HarnessError("no '/* kfault-defect: NAME VERDICT */' markers in module/*.c")
    build_dir = prepare(args)
    out = args.out / "calibrate"
    out.mkdir(parents=True, exist_ok=True)
    files = {p.name for p in (REPO / "module").glob("*.c")}
    names = ["none"] + sorted(expected)
    outcomes = []
    print(f"calibrate: {len(names) - 1} seeded defects and the correct driver, "
          f"one boot each; logs in {out}/")
    for num, name in enumerate(names):
        extra_args = [f"--kconfig_add={kc}" for kc in args.kconfig_add] if not num else []
        req = sweep_request(args, build_dir, first=not num,
                            kernel_args=[f"refdev.defect={name}"] if num else [],
                            extra=extra_args)
        (build_dir / "test.log").unlink(missing_ok=True)
        start = time.monotonic()
        kunit_out = out / f"{name}.kunit.txt"
        status = runner.run_kunit(req, output=kunit_out)
        seconds = time.monotonic() - start
        log_path = build_dir / "test.log"
        if not log_path.is_file():
            said = [ln for ln in kunit_out.read_text(errors="replace").splitlines()
                    if "ERROR" in ln or "Missing" in ln or "error:" in ln]
            raise HarnessError(f"kunit.py {req.command} booted no kernel (status {status}): "
                               + (said[-1].strip() if said else f"see {kunit_out}"))
        shutil.copyfile(log_path, out / f"{name}.log")
        lines = log_path.read_text(errors="replace").splitlines()
        log, crash = sweep.parse(lines), placed_crash(lines, build_dir / "vmlinux")
        leak_addrs = kmemleak_addresses(lines, build_dir / "vmlinux")
        chains = runner.addr2line(build_dir / "vmlinux",
                                  sorted(calibrate.addresses(log, crash, leak_addrs)))
        outcome = calibrate.Outcome(name, expected.get(name, []),
                                    calibrate.findings(log, crash, chains, files, leak_addrs),
                                    seconds)
        confirmed = kmemleak.confirmation(lines)
        if not crash and (not confirmed or not confirmed.canary_found):
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
    (out / "calibration.md").write_text("# kfault calibration\n\n" + "\n".join(table) + "\n")
    print("\n".join(table))
    missed = [o.defect for o in outcomes if not o.detected]
    if missed:
        print(f"kfault: error: calibration failed for: {', '.join(missed)}", file=sys.stderr)
        return 1
    print(f"calibrate: all {len(names) - 1} defects detected at their marked lines; "
          f"the correct driver has no findings")
    return 0


def write_reports(lines: list[str], vmlinux: Path, out: Path, started: datetime,
                  baseline: Path | None) -> Path:
    """report.json, junit.xml, summary.md, report.html of one run, under out."""
    addrs = report.addresses(lines)
    chains = runner.addr2line(vmlinux, [a - 1 for a in addrs])
    symbols = report.symbol_map(chains, {p.name for p in (REPO / "module").glob("*.c")})
    meta = report.RunMeta(configs=configs.DEFAULT_FRAGMENTS,
                          git_revision=runner.git_revision(REPO), started=started,
                          finished=datetime.now(timezone.utc))
    return reports_io.write_reports(lines, out, meta, symbols, baseline=baseline)


def placed_crash(lines: list[str], vmlinux: Path) -> oops.Crash | None:
    """The crash, with addr set so that addr - 1 lies in the instruction to blame."""
    crash = oops.find_crash(lines)
    if crash and crash.rip and crash.function_offset:
        fn, off = crash.function_offset
        base = runner.symbol_addresses(vmlinux, {fn}).get(fn)
        if base is not None:
            crash = dataclasses.replace(crash, addr=base + off + 1)
    return crash


def kmemleak_addresses(lines: list[str], vmlinux: Path) -> list[int]:
    """Return addresses of the driver frames of the leaks kmemleak confirmed."""
    frames = [f for leak in kmemleak.driver_leaks(lines)
              if (f := leak.driver_frame("refdev_")) is not None]
    syms = runner.symbol_addresses(vmlinux, {f.function for f in frames})
    return [syms[f.function] + f.offset for f in frames if f.function in syms]


def append_records(path: Path, records: list[resume.Record]) -> None:
    with path.open("a") as out:
        for rec in records:
            out.write(rec.json() + "\n")


def cmd_sweep(args: argparse.Namespace) -> int:
    """The sweep across as many boots as crashes need, resumable after a kill."""
    build_dir = prepare(args)
    vmlinux = build_dir / "vmlinux"
    out = args.out / "sweep"
    if args.fresh and out.is_dir():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    jsonl, running = out / "results.jsonl", out / "running"
    records = resume.load(jsonl.read_text()) if jsonl.is_file() else []
    boot = max((r.boot for r in records), default=0) + 1
    if running.is_file() and (build_dir / "test.log").is_file():
        # the last run was killed during a boot: stop what it left running,
        # keep what that boot finished
        killed, _, rest = running.read_text().partition(" ")
        pgid, _, owner = rest.partition(" ")
        # the harness that ran it may outlive a killed 'make': stop it first
        if owner and int(owner) != os.getpid():
            runner.stop_process(int(owner))
        if pgid and runner.stop_group(int(pgid)):
            time.sleep(1)
        killed_boot = int(killed or boot)
        partial = resume.points((build_dir / "test.log").read_text(errors="replace")
                                .splitlines(), killed_boot)
        append_records(jsonl, partial)
        records += partial
        shutil.copyfile(build_dir / "test.log", out / f"boot-{killed_boot}.log")
        boot = max(boot, killed_boot + 1)
        print(f"sweep: boot {killed_boot} was interrupted; kept its {len(partial)} finished "
              "points")
    running.unlink(missing_ok=True)
    if records and records[-1].kind == "complete":
        print(f"sweep: already complete in {jsonl} (--fresh to sweep again)")
    else:
        at = resume.resume_point(records)
        for num in range(args.max_boots):
            running.write_text(str(boot))
            req = sweep_request(args, build_dir, first=not num,
                                kernel_args=[f"kfault.resume={at}"] if at else [])
            print(f"sweep: boot {boot}" + (f", resuming after {at}" if at else ""), flush=True)
            (build_dir / "test.log").unlink(missing_ok=True)

            def started_boot(pid: int, num: int = boot) -> None:
                running.write_text(f"{num} {pid} {os.getpid()}")

            runner.run_kunit(req, output=out / f"boot-{boot}.kunit.txt", on_start=started_boot)
            if not (build_dir / "test.log").is_file():
                raise HarnessError(f"boot {boot} did not start: see {out}/boot-{boot}.kunit.txt")
            shutil.copyfile(build_dir / "test.log", out / f"boot-{boot}.log")
            lines = (out / f"boot-{boot}.log").read_text(errors="replace").splitlines()
            new = resume.points(lines, boot)
            crash = placed_crash(lines, vmlinux)
            started = resume.last_started(lines)
            if not crash and not ktap.kernel_totals(lines).total and not started:
                append_records(jsonl, new)
                records += new
                running.unlink()
                case = oops.last_case(lines)
                raise HarnessError(f"boot {boot} stopped after the fault points of {case}, "
                                   f"with no panic: a hang, or --timeout {args.timeout} is too "
                                   f"short; see {out}/boot-{boot}.log")
            if not crash and not ktap.kernel_totals(lines).total and started:
                # no panic and no KTAP totals: the boot hung and kunit.py's timeout ended it
                hung = resume.Record(boot, "crash", started[0], started[1], "hang", "",
                                     detail=f"no output after the point started; killed after "
                                     f"{args.timeout} s (kunit.py --timeout)")
                if f"{started[0]}:{started[1]}" == at:
                    append_records(jsonl, new + [hung])
                    running.unlink()
                    raise HarnessError(f"boot {boot} hung again at {at}; see {out}/boot-{boot}.log")
                new.append(hung)
                at = f"{started[0]}:{started[1]}"
                append_records(jsonl, new)
                records += new
                running.unlink()
                print(f"sweep: boot {boot} hung at {at}; resuming after it", flush=True)
                boot += 1
                continue
            if crash and started and f"{started[0]}:{started[1]}" != at:
                place = coverage.call_site(runner.addr2line(vmlinux, [crash.addr - 1])
                                           .get(crash.addr - 1, []) if crash.addr else [],
                                           {p.name for p in (REPO / "module").glob("*.c")})
                where = f"at {place[0]}:{place[1]}" if place else ""
                new.append(resume.crash_record(crash, started, where, boot,
                                               resume.excerpt(lines, crash)))
                at = f"{started[0]}:{started[1]}"
            elif crash:
                append_records(jsonl, new)
                running.unlink()
                raise HarnessError(f"boot {boot} crashed outside a fault point ({crash.title}); "
                                   f"cannot resume past it: see {out}/boot-{boot}.log")
            else:
                confirmed = kmemleak.confirmation(lines)
                if not confirmed or not confirmed.canary_found or confirmed.driver_leaks:
                    new.append(resume.Record(
                        boot, "kmemleak", verdict="leak" if confirmed else "report",
                        detail=(f"kmemleak confirmation: canary "
                                f"{'found' if confirmed.canary_found else 'MISSING'}, "
                                f"{confirmed.driver_leaks} refdev leak(s)") if confirmed
                        else "no kmemleak confirmation in the log"))
                new.append(resume.Record(boot, "complete"))
            append_records(jsonl, new)
            records += new
            running.unlink()
            bad = [r for r in records if r.kind != "complete"
                   and r.verdict not in ("handled", "absorbed")]
            print(f"sweep: boot {boot}: {len(new)} records; {len(records)} points so far, "
                  f"{len(bad)} findings", flush=True)
            boot += 1
            if not crash:
                break
        else:
            print(f"sweep: stopped after {args.max_boots} boots")
    logs = sorted(out.glob("boot-*.log"), key=lambda p: int(p.stem.split("-")[1]))
    lines = [ln for log in logs for ln in log.read_text(errors="replace").splitlines()]
    write_reports(lines, vmlinux, out / "report", datetime.now(timezone.utc), None)
    bad = [r for r in records if r.kind != "complete" and r.verdict not in ("handled", "absorbed")]
    for r in bad:
        print(f"kfault: FAIL {r.op or r.kind} nth {r.nth}: {r.verdict} {r.site} "
              f"{r.detail.splitlines()[0] if r.detail else ''}".rstrip())
    print(f"sweep: {sum(r.kind == 'point' for r in records)} points, "
          f"{sum(r.kind == 'crash' for r in records)} crashes, {len(bad)} findings; "
          f"results in {jsonl}, reports in {out}/report/")
    return 1 if bad else 0


def cmd_repro(args: argparse.Namespace) -> int:
    """Re-run one operation's sweep twice; show one point and whether it repeats."""
    op, _, key = args.point.partition(":")
    if not op or not key:
        raise HarnessError(f"POINT={args.point!r}: want OP:ID or OP:NTH, e.g. open:e3e5e880 "
                           "(ids are in out/report/report.json and the 'kfault:' lines)")
    build_dir = prepare(args)
    out = args.out / "repro"
    out.mkdir(parents=True, exist_ok=True)
    found: list[sweep.PointResult | None] = []
    for num in range(2):
        req = sweep_request(args, build_dir, first=not num,
                            kernel_args=[f"kfault.only={op}"])
        (build_dir / "test.log").unlink(missing_ok=True)
        runner.run_kunit(req, output=out / f"run-{num + 1}.kunit.txt")
        if not (build_dir / "test.log").is_file():
            raise HarnessError(f"the kernel did not boot: see {out}/run-{num + 1}.kunit.txt")
        shutil.copyfile(build_dir / "test.log", out / f"run-{num + 1}.log")
        log = sweep.parse((out / f"run-{num + 1}.log").read_text(errors="replace").splitlines())
        if op not in log.counted:
            known = sorted({ln.split("Subtest: ")[1].removesuffix("_fault_sweep")
                            for ln in (out / "run-1.log").read_text().splitlines()
                            if "Subtest: " in ln and ln.endswith("_fault_sweep")})
            raise HarnessError(f"no operation {op!r}; operations: {', '.join(known)}")
        found.append(next((r for r in log.results if r.op == op and r.nth
                           and key in (r.site_id, str(r.nth))), None))
    first, second = found
    if first is None:
        raise HarnessError(f"{op} has no point {key!r} in this run: see {out}/run-1.log")
    print(f"repro: {op} nth {first.nth} {first.allocator} <- {first.site} id {first.site_id}: "
          f"{first.verdict} {first.detail}".rstrip())
    for what, value in (("leaked", first.leaked), ("report", first.report),
                        ("report site", first.report_site)):
        if value and value != "-":
            print(f"repro:   {what}: {value}")
    same = second is not None and (second.verdict, second.site_id) == (first.verdict,
                                                                       first.site_id)
    print(f"repro: deterministic: {'yes' if same else 'NO'} "
          f"(second run: {second.verdict + ' ' + second.site_id if second else 'point not found'});"
          f" consoles in {out}/")
    return 0 if same else 1


def cmd_modules(args: argparse.Namespace) -> int:
    """The driver and its suites as modules: insmod, the suites run, rmmod, kmemleak."""
    build_dir = prepare(args, ".kunit-kfault-modules")
    out = args.out / "modules"
    out.mkdir(parents=True, exist_ok=True)
    req = runner.KunitRequest(kdir=args.kdir, build_dir=build_dir,
                              kunitconfig_dir=REPO / "configs/modules", command="build",
                              ccache_dir=default_cache() / "ccache")
    print(f"modules: building {build_dir} (configs/modules)", flush=True)
    if runner.run_kunit(req, output=out / "build.txt"):
        said = [ln for ln in (out / "build.txt").read_text(errors="replace").splitlines()
                if "error" in ln.lower() or "Missing" in ln]
        raise HarnessError("the module build failed: " + (said[-1].strip() if said
                                                          else f"see {out}/build.txt"))
    kdir_obj = build_dir / "drivers/misc/kfault"
    boot_args = ["mem=1G", "console=tty", "rootfstype=hostfs", "rootflags=/", "ro",
                 f"init={REPO / 'harness/uml-init.sh'}", "kasan_multi_shot",
                 f"KFAULT_DRIVER={kdir_obj / 'module/refdev.ko'}",
                 f"KFAULT_TESTS={kdir_obj / 'kunit/refdev_kunit.ko'}"]
    print("modules: booting UML on the host's root: insmod, suites, rmmod, kmemleak", flush=True)
    start = time.monotonic()
    status = runner.boot_uml(build_dir / "linux", boot_args, out / "console.log", args.timeout)
    lines = (out / "console.log").read_text(errors="replace").splitlines()
    problems = [ln.split("kfault-init: ", 1)[1] for ln in lines if "kfault-init: FAILED" in ln]
    if status is None:
        problems.append(f"the boot hung: killed after {args.timeout} s")
    elif not any("kfault-init: done" in ln for ln in lines):
        crash = oops.find_crash(lines)
        problems.append(f"the boot ended early: {crash.title if crash else 'no crash line'}")
    # the built-in executor prints an empty KTAP document at boot: read the
    # module's, which starts after the test module's insmod
    loaded = next((i for i, ln in enumerate(lines)
                   if "kfault-init: insmod" in ln and "refdev_kunit" in ln), len(lines))
    found = (kunit_results.results(args.kdir, lines[loaded:])
             if any("KTAP" in ln for ln in lines[loaded:]) else [])
    bad = [r for r in found if r.status not in ("SUCCESS", "SKIPPED")]
    problems += [f"KUnit {r.name}: {r.status}" for r in bad]
    reports = [r for r in kreport.parse(lines) if not r.artefact]
    problems += [f"kernel report: {r.title} (guilty: {r.frame})" for r in reports]
    begin = next((i for i, ln in enumerate(lines) if "kmemleak report begin" in ln), len(lines))
    leaks = [ln for ln in lines[begin:] if "unreferenced object" in ln]
    driver_leaks = [blk for blk in "\n".join(lines[begin:]).split("unreferenced object")[1:]
                    if "refdev" in blk]
    if driver_leaks:
        problems.append(f"kmemleak: {len(driver_leaks)} leak(s) with refdev frames")
    print(f"modules: {len(found)} KUnit results from the loaded module "
          f"({len(found) - len(bad)} passed), {len(reports)} kernel reports, "
          f"kmemleak {len(leaks)} object(s) ({len(driver_leaks)} refdev), "
          f"{time.monotonic() - start:.1f} s; console in {out}/console.log")
    if not found:
        problems.append("no KTAP output: the test module did not run")
    for problem in problems:
        print(f"kfault: FAIL modules: {problem}")
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m harness",
        description="kfault: fault-injection harness for kernel drivers")
    parser.add_argument("--kdir", type=Path, default=None,
                        help="kernel tree (default: $KDIR or the cached linux-source-6.12)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("link", help="link this repository into the kernel tree").set_defaults(
        func=cmd_link)
    sub.add_parser("unlink", help="undo 'link'").set_defaults(func=cmd_unlink)
    p = sub.add_parser("configs", help="regenerate configs/.kunitconfig")
    p.add_argument("--check", action="store_true", help="fail if it is stale")
    p.set_defaults(func=cmd_configs)
    p = sub.add_parser("kunit", help="build and run our suites with kunit.py under UML")
    p.add_argument("--build-dir", type=Path, default=None)
    p.add_argument("--timeout", type=int, default=1200)
    p.add_argument("filter", nargs="?", default="", help="suite[.test] glob")
    p.add_argument("--out", type=Path, default=REPO / "out",
                   help="reports go to OUT/report/ (default: out/ in this checkout)")
    p.add_argument("--baseline", type=Path, default=None,
                   help="report.json of an earlier run: new/fixed findings in baseline.md")
    p.set_defaults(func=cmd_kunit)
    p = sub.add_parser("sweep", help="the sweep across boots: survives crashes, resumes")
    p.add_argument("--build-dir", type=Path, default=None)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--out", type=Path, default=REPO / "out")
    p.add_argument("--max-boots", type=int, default=12)
    p.add_argument("--fresh", action="store_true", help="forget earlier results")
    p.add_argument("--kernel-arg", action="append", default=[],
                   help="extra boot argument, e.g. refdev.defect=null_deref")
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("modules", help="driver and suites as modules: insmod, rmmod, kmemleak")
    p.add_argument("--build-dir", type=Path, default=None)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--out", type=Path, default=REPO / "out")
    p.set_defaults(func=cmd_modules)
    p = sub.add_parser("repro", help="re-run one fault point twice, show it and whether it repeats")
    p.add_argument("point", help="OP:ID or OP:NTH, e.g. open:e3e5e880")
    p.add_argument("--build-dir", type=Path, default=None)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--out", type=Path, default=REPO / "out")
    p.add_argument("--kernel-arg", action="append", default=[])
    p.set_defaults(func=cmd_repro)
    p = sub.add_parser("calibrate", help="sweep each seeded defect; check it is caught")
    p.add_argument("--build-dir", type=Path, default=None)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--out", type=Path, default=REPO / "out")
    p.add_argument("--kernel-arg", action="append", default=[],
                   help="extra boot argument for every boot, e.g. kfault.leak_check=0")
    p.add_argument("--kconfig-add", action="append", default=[],
                   help="CONFIG_X=y|n on top of configs/, e.g. CONFIG_KASAN=n")
    p.set_defaults(func=cmd_calibrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.kdir is None:
        args.kdir = default_kdir()
    try:
        return int(args.func(args))
    except HarnessError as err:
        print(f"kfault: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("kfault: interrupted", file=sys.stderr)
        return 130
