"""'make sweep TARGET=<a target with [user]>': module loads and system calls
swept from user space, in the modules kernel.

harness/kfault/user/kfault-user.c runs in a UML boot on the host's root
(harness/kfault/user/usersweep-init.sh) and writes its records into this sweep's directory;
a boot that crashes or hangs at a point gets a crash/hang point, and the
next boot resumes after it.  kmemleak looks once per boot, after the last
point; its objects go to the point whose process allocated them.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from dataclasses import dataclass
from typing import NamedTuple
from pathlib import Path, PurePath

from ..console import kmemleak, kreport
from ..checkout import gcov, known_bugs
from ..results import known, model
from ..engine import userspace
from ..engine.boots import Ended, boot_until_done
from ..engine.state import SweepDir
from ..errors import HarnessError
from ..console.protocol import LeakedSite, ResultLine, Verdict
from ..proc.runner import KunitRequest, Runner
from ..checkout.targets import User
from .context import (EXIT_FINDING, EXIT_INCOMPLETE, BootSpec, Context, Outcome,
                      modules_kunitconfig, prepare, write_reports)

SKIP_OP = 99999         # resume there: the rest of the operation is skipped


def modules_build(boot: BootSpec) -> Path:
    """The modules kernel's build directory (the built-in one's sibling)."""
    build = boot.default_build(".kunit-kfault-modules")
    return build.with_name(".kunit-kfault-modules") if build.name == ".kunit-kfault" else build


def _build(ctx: Context, build_dir: Path, out: Path) -> None:
    extra: list[str] = []
    if ctx.boot.coverage is not None:       # a review's patched side: gcov on the touched files
        cmd = build_dir / ".vmlinux.o.cmd"
        extra = gcov.make_options(ctx.boot.coverage, build_dir, cmd.read_text(
            errors="replace") if cmd.is_file() else None)
    req = KunitRequest(kdir=ctx.boot.srctree, build_dir=build_dir,
                       kunitconfig_dir=modules_kunitconfig(ctx), command="build",
                       ccache_dir=ctx.boot.ccache_dir, run_as=ctx.boot.run_as, extra=extra)
    print(f"usersweep: building {build_dir} ({modules_kunitconfig(ctx)})", flush=True)
    if ctx.runner.run_kunit(req, output=out / "build.txt"):
        said = [ln for ln in (out / "build.txt").read_text(errors="replace").splitlines()
                if "error" in ln.lower() or "Missing" in ln]
        raise HarnessError("the modules kernel's build failed: " + (
            said[-1].strip() if said else f"see {out}/build.txt"))


def reject_range(runner: Runner, build_dir: Path) -> str:
    """kmemleak's text in the modules kernel, as START-END for the stack filter's
    reject range ("-" when it cannot be found)."""
    obj = build_dir / "mm/kmemleak.o"
    if not obj.is_file():
        return "-"
    names = {n for _, _, n in runner.text_symbols(obj)}
    found = userspace.text_range(runner.text_symbols(build_dir / "vmlinux"), names,
                                 "__create_object")
    return f"{found[0]:#x}-{found[1]:#x}" if found else "-"


def _boot(ctx: Context, build_dir: Path, out: Path, num: int, resume: str,
          reject: str) -> int | None:
    args = ["mem=1G", "console=tty", "rootfstype=hostfs", "rootflags=/", "ro",
            f"init={ctx.checkout.user_dir / 'usersweep-init.sh'}", "kasan_multi_shot",
            f"KFAULT_USER_DIR={out.resolve()}", f"KFAULT_BOOT={num}",
            f"KFAULT_RESUME={resume}", f"KFAULT_REJECT={reject}"] + list(ctx.boot.kernel_args)
    (out / f"boot-{num}.records").unlink(missing_ok=True)
    state = SweepDir(out)

    def started(pgid: int) -> None:
        state.mark_running(num, pgid)

    status = ctx.runner.boot_uml(build_dir / "linux", args, out / f"boot-{num}.console",
                                 ctx.boot.timeout, started, ctx.boot.run_as)
    state.clear_running()
    return status


def _stop_killed(runner: Runner, out: Path) -> None:
    """A run killed during a boot left its UML (and maybe its harness) running:
    stop them before this run writes into the same directory."""
    state = SweepDir(out)
    was, stopped = state.pick_up(runner.stop_process, runner.stop_group)
    if was and stopped:
        print(f"usersweep: stopped boot {was.boot}, left running by a killed run", flush=True)
        time.sleep(1)
    state.clear_running()


def _read_boot(out: Path, num: int) -> userspace.Boot:
    path = out / f"boot-{num}.records"
    lines = path.read_text(errors="replace").splitlines() if path.is_file() else []
    return userspace.boot(userspace.parse(lines))


def _console(out: Path, num: int) -> list[str]:
    path = out / f"boot-{num}.console"
    return path.read_text(errors="replace").splitlines() if path.is_file() else []


def _boot_seconds(out: Path, num: int) -> float:
    """How long a boot took (run_boots writes it; 0 for a boot that was killed)."""
    path = out / f"boot-{num}.seconds"
    try:
        return float(path.read_text())
    except (OSError, ValueError):
        return 0.0


def _boots(out: Path) -> list[int]:
    return sorted(int(p.name.split("-")[1].split(".")[0]) for p in out.glob("boot-*.records"))


def run_boots(ctx: Context, build_dir: Path, out: Path, max_boots: int,
              only: str | None = None) -> bool:
    """Boot until every operation is swept; each crash or hang ends a boot, the
    next resumes after its point.  False when the boot cap stopped it first."""
    _stop_killed(ctx.runner, out)
    done = _boots(out)
    num = (done[-1] + 1) if done else 1
    resume = "-"
    if done:
        last = _read_boot(out, done[-1])
        if last.finished:
            print(f"usersweep: already complete in {out} (--fresh to sweep again)")
            return True
        p = last.unfinished
        ended = [q for q in last.points if q.end]
        if p and userspace.crash_of(_console(out, done[-1]), ctx.target.prefix):
            resume = f"{p.op}:{p.nth if p.nth else SKIP_OP}"
        elif ended:     # killed: that point again
            resume = f"{ended[-1].op}:{ended[-1].nth}"
    if only:
        resume = only
    reject = reject_range(ctx.runner, build_dir)

    def one(num: int, resume: str | None) -> Ended:
        start = time.monotonic()
        status = _boot(ctx, build_dir, out, num, resume or "-", reject)
        (out / f"boot-{num}.seconds").write_text(f"{time.monotonic() - start:.1f}\n")
        b = _read_boot(out, num)
        print(f"usersweep: boot {num}: {sum(1 for p in b.points if p.end)} points, "
              f"{time.monotonic() - start:.1f} s", flush=True)
        if b.finished or only:
            return Ended(complete=True)
        p = b.unfinished
        if p is None:
            said = [ln for ln in _console(out, num) if "kfault-user" in ln][-3:]
            return Ended(fatal=f"boot {num} ended between points, the helper unfinished: "
                         f"{'; '.join(said) or 'no word'}; see {out}/boot-{num}.console")
        if status is None:
            how = f"hung at {p.op} {p.nth}; killed after {ctx.boot.timeout} s"
        else:
            crash = userspace.crash_of(_console(out, num), ctx.target.prefix)
            how = f"crashed at {p.op} {p.nth}: {crash.title if crash else 'no crash line'}"
        new = f"{p.op}:{p.nth if p.nth else SKIP_OP}"
        print(f"usersweep: boot {num} {how}", flush=True)
        if _was_last(ctx, b, p):
            return Ended(complete=True)
        return Ended(resume=new,
                     stuck=f"boot {num} ended at {new} again: see {out}/boot-{num}.console")

    return boot_until_done(one, num, None if resume == "-" else resume, max_boots,
                           "usersweep").complete


def _was_last(ctx: Context, b: userspace.Boot, p: userspace.Point) -> bool:
    """Whether the point a boot ended in was the sweep's last: the last counted
    point of the last operation (nothing is left for another boot)."""
    assert ctx.target.user is not None
    ops = [o.name for o in ctx.target.user.ops]
    ev = b.events.get(p.op)
    return bool(ops) and p.op == ops[-1] and ev is not None and p.nth == ev.events > 0


def _module_paths(build_dir: Path) -> dict[str, Path]:
    """Module name -> its .ko in the build directory (modules.order)."""
    order = build_dir / "modules.order"
    out = {}
    for line in (order.read_text().splitlines() if order.is_file() else []):
        ko = build_dir / (line.strip()[:-2] + ".ko")
        out[PurePath(ko).stem.replace("-", "_")] = ko
    return out


def _symbolise(ctx: Context, build_dir: Path, frames: set[tuple[str, str]]
               ) -> dict[str, userspace.Chain]:
    """Inline chains for "function+off/size" frames: vmlinux's through one nm and
    one addr2line (the size tells same-named static functions apart), a
    module's through scripts/faddr2line (its sections start at 0)."""
    kos = _module_paths(build_dir)
    chains: dict[str, userspace.Chain] = {}
    by_object: dict[Path, list[str]] = {}
    builtin = sorted(f for f, mod in frames if not mod)
    if builtin:
        vmlinux = build_dir / "vmlinux"
        where = userspace.frame_addresses(ctx.runner.text_symbols(vmlinux), builtin)
        found = ctx.runner.addr2line(vmlinux, sorted(set(where.values())))
        chains.update({f: list(found.get(a, [])) for f, a in where.items()})
    for frame, mod in frames:
        obj = kos.get(mod) if mod else None
        if obj:
            by_object.setdefault(obj, []).append(frame)
    for obj, wanted in by_object.items():
        chains.update(ctx.runner.faddr2line(ctx.boot.kdir, obj, userspace.call_sites(wanted)))
    # a module's paths come out as BUILD/../drivers/...: name them as the tree does
    roots = [str(ctx.boot.srctree.resolve()) + "/", str(ctx.boot.srctree) + "/",
             str(ctx.boot.kdir.resolve()) + "/", str(ctx.boot.kdir) + "/"]
    seen: dict[str, str] = {}
    for frame, chain in chains.items():
        fixed = []
        for func, where_ in chain:
            path = os.path.normpath(where_) if where_.startswith("/") else where_
            for root in roots:
                path = path.removeprefix(root)
            if path.startswith("/"):
                # another tree's path: a review's copy links objects the stock
                # tree compiled, whose debug info names the stock tree
                file, sep, line = path.rpartition(":")
                if file not in seen:
                    seen[file] = userspace.in_tree(
                        file, lambda rel: (ctx.boot.kdir / rel).is_file())
                path = seen[file] + sep + line
            fixed.append((func, path))
        chains[frame] = fixed
    return chains


def _result(target: str, op: str, nth: int, where: userspace.Site | None, ident: str,
            judged: userspace.Judged, us: int, boot: int) -> model.Result:
    return model.Result(target, "user", op, ResultLine(
        op=op, nth=nth, fill=0, attr=where.attr if where else "-",
        allocator=where.allocator if where else "-", inner=where.inner or "-" if where else "-",
        site=where.function if where else "-",
        file=PurePath(where.file).name if where else None, line=where.line if where else 0,
        addr=0, id=ident, verdict=judged.verdict, ret=judged.ret, us=us, leaked=judged.leaked,
        report=judged.report, report_site=judged.report_site, report_addr=0,
        detail=judged.detail), boot)


class PointKey(NamedTuple):
    """A point of the analysis: each attempt at a point is one (a point is run
    again when its arming event did not come, or with one more allocation let
    through when the failure went elsewhere)."""

    op: str
    nth: int
    attempt: int


@dataclass
class Analysis:
    log: model.RunLog
    points: int                     # points run (attempts that fired, crashes, hangs)
    point_seconds: float            # the attempts' own time, the counting runs' too
    not_fired: int                  # attempts whose arming event did not come
    rearmed: int                    # attempts that let only bookkeeping fail: run again
    capped: dict[str, tuple[int, int]]  # op -> (points, allocations counted): the cap hit
    known_leaks: dict[str, int]     # kmemleak objects of each known kernel bug
    unplaced: list[kmemleak.Leak]   # kmemleak objects no point's process allocated
    missing: list[str]              # --only: ids no point of the operation has
    caught: int = 0                 # crashes the guard caught, the boot going on
    took_down: int = 0              # crashes and hangs that ended their boot


def _keys(b: userspace.Boot) -> list[tuple[PointKey, userspace.Point]]:
    """Each attempt of a boot with its key."""
    seen: dict[tuple[str, int], int] = {}
    out = []
    for p in b.points:
        n = seen[p.op, p.nth] = seen.get((p.op, p.nth), -1) + 1
        out.append((PointKey(p.op, p.nth, n), p))
    return out


def analyse(ctx: Context, build_dir: Path, out: Path) -> Analysis:
    """Every boot's records as one run: a result per point (the last boot's when
    a point ran twice), the crash and hang points, kmemleak's objects placed at
    the points whose process allocated them; kmemleak objects of known kernel
    bugs counted apart.  A point's id is the engine's: its site's hash and
    occurrence, as the in-kernel sweeps' ids are."""
    user = ctx.target.user
    assert user is not None
    ops = {o.name: o for o in user.ops}
    dirs = ctx.target.srcdirs + user.leak_dirs
    points: dict[PointKey, tuple[int, userspace.Point]] = {}
    # the point a boot ended in: (boot, console, its crash or None for a hang)
    crashes: dict[PointKey, tuple[int, list[str], userspace.CrashSeen | None]] = {}
    # a kmemleak object is the point's of its boot whose window (since..until,
    # jiffies) holds its allocation, whichever thread allocated it; pids wrap
    # in a long boot and start afresh in each, so a pid only breaks a tie
    leaks_by_point: dict[int, list[kmemleak.Leak]] = {}     # id() of the Point
    unplaced: list[kmemleak.Leak] = []
    read: list[userspace.Boot] = []     # every boot's points stay alive: ids are theirs
    bugs = known_bugs.load_bugs(ctx.checkout.config_dir)
    known_objects: dict[str, int] = {}
    expected: dict[tuple[str, int], str] = {}
    capped: dict[str, tuple[int, int]] = {}
    missing: list[str] = []
    boots = _boots(out)
    for num in boots:
        b = _read_boot(out, num)
        read.append(b)
        for op_name, ids in b.ids.items():
            expected.update({(op_name, k): x for k, x in enumerate(ids, 1)})
        for op_name, ev in b.events.items():
            if ev.total > ev.events:
                capped[op_name] = (ev.events, ev.total)
        missing += [f"{m.op}: no point has id {m.id} ({m.events} points counted)"
                    for m in b.missing]
        keyed = _keys(b)
        for key, p in keyed:
            if p.end:
                points[key] = (num, p)
                crashes.pop(key, None)
                got = userspace.caught_of(p.kmsg, ctx.target.prefix)
                if got:
                    # the guard caught it (modsuites.c): the point's crash, not the boot's
                    crashes[key] = (num, p.kmsg, got)
        cut = b.unfinished
        if cut:
            key = keyed[-1][0]
            console = _console(out, num)
            crash = userspace.crash_of(console, ctx.target.prefix)
            # a crash, or a hang a later boot resumed past; not a killed run's
            if crash or num != boots[-1]:
                crashes[key] = (num, console, crash)
                points[key] = (num, cut)
        leak_file = out / f"boot-{num}.kmemleak"
        if leak_file.is_file():
            for leak in kmemleak.raw_leaks(leak_file.read_text(errors="replace").splitlines()):
                bug = next((b for b in bugs if b.matches_leak(leak)), None)
                if bug:
                    known_objects[bug.id] = known_objects.get(bug.id, 0) + 1
                    continue
                owner = userspace.owner(b.points, leak.jiffies, leak.pid)
                if owner is None:
                    unplaced.append(leak)
                else:
                    leaks_by_point.setdefault(id(owner), []).append(leak)
    seconds = sum(p.end.seconds for _, p in points.values() if p.end)
    not_fired = [k for k, (_, p) in points.items()
                 if k not in crashes and p.nth and not (p.fired and p.fired.fired)]
    rearmed = sum(1 for k in not_fired if (rec := points[k][1].fired) and rec.rearmed)
    for k in not_fired:
        del points[k]
    # what each point needs placed: the injected failure's frames, the crash's
    # or the first report's guilty frame
    injected: dict[PointKey, tuple[str, list[tuple[str, str]]] | None] = {}
    guilty: dict[PointKey, tuple[str, str]] = {}
    seen_crash: dict[PointKey, userspace.CrashSeen | None] = {}
    for key, (num, p) in points.items():
        if key in crashes:
            _, console, c = crashes[key]
            seen_crash[key] = c
            injected[key] = userspace.last_injection(console, c.line if c else len(console))
            if c and c.frame != "-":
                guilty[key] = (c.frame, c.module)
            continue
        injected[key] = userspace.failure(p)
        reports = [r for r in kreport.parse(p.kmsg, ctx.target.prefix) if not r.artefact]
        if reports:
            f = userspace.frame_of(p.kmsg, reports[0].line, reports[0].frame)
            if f:
                guilty[key] = f
    frames = set(guilty.values())
    for inj in injected.values():
        frames |= set(inj[1]) if inj else set()
    chains = _symbolise(ctx, build_dir, frames)

    def place(key: PointKey) -> tuple[str, int] | None:
        chain = chains.get(guilty[key][0], []) if key in guilty else []
        for _func, where in chain:
            path, _, line = where.rpartition(":")
            if line.split(" ")[0].isdigit() and not path.startswith("include/"):
                return PurePath(path).name, int(line.split(" ")[0])
        return None

    log = model.RunLog()
    for num in boots[:1]:
        seen = re.search(r"Linux version (\S+)", "\n".join(_console(out, num)[:200]))
        log.kernel_version = seen.group(1) if seen else None
    by_id: dict[tuple[str, str], model.Result] = {}
    order = [o.name for o in user.ops]
    for key in sorted(points, key=lambda k: (order.index(k.op) if k.op in order else 99,
                                             k.nth, k.attempt)):
        num, p = points[key]
        op = ops.get(key.op)
        if op is None:
            continue
        inj = injected[key]
        where = userspace.site(inj[0], inj[1], chains, dirs, userspace.modules(op)) \
            if inj else None
        ident = userspace.point_id(p, expected.get((key.op, p.nth), "-"))
        at = place(key)
        crash = seen_crash.get(key)
        if key in crashes:
            judged = _crash_judged(ctx.boot.timeout, crashes[key][0], crash, at)
            if at and crash:
                # a crash is placed where it happened, its failed site is the "inner"
                where = userspace.Site(
                    crash.frame.split("+")[0], at[0], at[1], where.allocator if where else "-",
                    where.attr if where else "-",
                    f"failed: {where.function} ({where.where})" if where else "")
        else:
            judged = userspace.judge(p, op, dirs, prefix=ctx.target.prefix)
            if where and not judged.verdict.ok and where.callers:
                judged = dataclasses.replace(
                    judged, detail=f"{judged.detail}; failed: {where.allocator} < "
                    + " < ".join(where.callers))
            if p.nth and where is None and not judged.detail:
                judged = dataclasses.replace(
                    judged, detail="the failure fired with no FAULT_INJECTION dump and no "
                    "stack from the engine: a page allocation that does not warn, site unknown")
            if at and judged.verdict == Verdict.REPORT:
                judged = dataclasses.replace(
                    judged, report_site=f"{judged.report_site} ({at[0]}:{at[1]})",
                    detail=f"{judged.detail} at {at[0]}:{at[1]}")
            mine = leaks_by_point.get(id(p), [])
            if mine and judged.verdict.ok:
                chain = mine[0].callers()
                judged = userspace.Judged(
                    Verdict.LEAK, judged.ret, (LeakedSite(
                        " < ".join(f.function for f in chain[:4]), 0, "", len(mine),
                        sum(x.size for x in mine), "raw"),),
                    "", "-",
                    f"kmemleak: {len(mine)} object(s) allocated by this point's process "
                    f"(pid {p.pid}), {sum(x.size for x in mine)} bytes; first: "
                    + " < ".join(f.function for f in chain[:6]))
        us = int(p.end.seconds * 1e6) if p.end else 0
        res = _result(ctx.target.name, key.op, p.nth, where, ident, judged, us, num)
        # attempts at one point that failed the same site are one result, the worst
        old = by_id.get((key.op, ident)) if p.nth else None
        if old is None:
            by_id[key.op, ident] = res
            log.results.append(res)
        elif _severity(res.line.verdict) > _severity(old.line.verdict):
            log.results[log.results.index(old)] = by_id[key.op, ident] = res
    # an object of an attempt that is no point's (not fired, a warm-up) is no one's
    kept = {id(p) for _, p in points.values()}
    unplaced += [leak for at, leaks in leaks_by_point.items() if at not in kept
                 for leak in leaks]
    caught = sum(1 for k in crashes if points[k][1].end is not None)
    return Analysis(log, sum(1 for _, p in points.values() if p.nth), seconds,
                    len(not_fired) - rearmed, rearmed, capped, known_objects, unplaced, missing,
                    caught, len(crashes) - caught)


_WORST = (Verdict.CRASH, Verdict.HANG, Verdict.REPORT, Verdict.LEAK, Verdict.BAD_STATE,
          Verdict.WRONG_ERRNO)


def _severity(v: Verdict) -> int:
    """How bad a verdict is, to keep the worst of the points of one call path."""
    return len(_WORST) - _WORST.index(v) if v in _WORST else 0


def _crash_judged(timeout: int, num: int, crash: userspace.CrashSeen | None,
                  at: tuple[str, int] | None) -> userspace.Judged:
    if crash is None:
        return userspace.Judged(Verdict.HANG, 0, (), "", "-",
                                f"boot {num}: no output after the point started and no "
                                f"crash line; killed after {timeout} s")
    where = f" at {at[0]}:{at[1]}" if at else ""
    return userspace.Judged(Verdict.CRASH, 0, (), crash.title, crash.frame + where,
                            f"{crash.title}; {crash.frame}{where}\n{crash.excerpt}")


def _compare(ctx: Context, user: User, log: model.RunLog) -> list[str]:
    """Sites the in-kernel sweep of the same operation reached in the target's
    sources that the sweep from user space did not: one line each."""
    if not user.compare or not user.same_as:
        return []
    path = ctx.checkout.repo / user.compare if not Path(user.compare).is_absolute() else \
        Path(user.compare)
    if not path.is_file():
        print(f"usersweep: no in-kernel report at {path} to compare with "
              "('make kunit' writes it)")
        return []
    files = ctx.files
    theirs: dict[str, set[str]] = {}
    for p in json.loads(path.read_text()).get("points", []):
        s = p.get("failed_site") or {}
        if s.get("file") in files and p.get("nth"):
            theirs.setdefault(p["operation"], set()).add(f"{s['file']}:{s['line']}")
    missing = []
    for mine, kernel_op in user.same_as:
        ours = {f"{r.line.file}:{r.line.line}" for r in log.results
                if r.op == mine and r.line.file in files and r.line.nth}
        want = theirs.get(kernel_op, set())
        print(f"usersweep: compare {mine} with in-kernel {kernel_op}: {len(want)} call "
              f"site(s) in-kernel, {len(want & ours)} reached from user space"
              + (f", {len(ours - want)} more" if ours - want else ""))
        missing += [f"compare {mine}: in-kernel {kernel_op} reaches {w}, user space does not"
                    for w in sorted(want - ours)]
    return missing


def user_sweep(ctx: Context, fresh: bool, max_boots: int, only: str | None = None) -> Outcome:
    user = ctx.target.user
    if user is None:
        raise HarnessError(f"target {ctx.target.name} has no [user] table")
    build_dir = modules_build(ctx.boot)
    bid = prepare(ctx, build_dir, modules=True)
    out = ctx.out / "usersweep" / ctx.target.name
    if only:
        op_name, _, ident = only.partition(":")
        if op_name not in {o.name for o in user.ops} or not re.fullmatch(r"[0-9a-f]{8}", ident):
            raise HarnessError(f"--only {only!r}: expected OP:ID (the point's id, eight hex "
                               "digits, as the sweep's report gives it), OP one of "
                               + ", ".join(o.name for o in user.ops))
        out = out / f"only-{op_name}-{ident}"
        fresh = True
    state = SweepDir(out)
    if not fresh and state.stale(bid.content):
        print(f"kfault: the results in {out} came from another kernel: starting afresh")
        fresh = True
    state.open(fresh)
    if ctx.boot.run_as:     # a review's patched kernel writes its records as that user
        ctx.runner.give(out, *ctx.boot.run_as)
    _build(ctx, build_dir, out)
    state.write_stamp(bid.content)
    ctx.runner.compile_c(ctx.checkout.user_dir / "kfault-user.c", out / "kfault-user")
    (out / "plan.txt").write_text(userspace.plan(user.ops, str(build_dir.resolve()),
                                                 ctx.target.srcdirs + user.leak_dirs))
    complete = run_boots(ctx, build_dir, out, max_boots,
                         f"only:{op_name}:{ident}" if only else None)
    found = analyse(ctx, build_dir, out)
    not_swept = None
    if not complete:
        reached = {r.op for r in found.log.results}
        left = [o.name for o in user.ops if o.name not in reached]
        not_swept = (f"stopped at the cap of {max_boots} boots; the points after its last "
                     "boot were not swept" + (f", nor these operations: {', '.join(left)}"
                                              if left else ""))
        print(f"usersweep: INCOMPLETE: {not_swept}", flush=True)
    # the boots' time, this run's and earlier runs' (kill and resume)
    elapsed = sum(_boot_seconds(out, n) for n in _boots(out))
    doc = write_reports(ctx, found.log, model.Symbols({}, ctx.files), out / "report",
                        state.started, not_swept=not_swept)
    if only:
        # the sweep this point is from ran before, in another command: its report
        code = _reproduced(found, op_name, ident, out.parent / "report/report.json")
    else:
        code = _summarise(ctx, user, found, out, elapsed, complete)
    return Outcome(code, found.log, doc, out / "report", complete)


def _reproduced(found: Analysis, op: str, ident: str, sweep_report: Path) -> int:
    """--only OP:ID: that point alone, in a fresh boot, and whether it came out
    as in the sweep - the same verdict at the same site."""
    for line in found.missing:
        print(f"repro: {line}")
    for r in found.log.results:
        if r.line.nth:
            where = f"{r.line.file}:{r.line.line}" if r.line.file else "-"
            said = r.line.detail.splitlines()[0][:160] if r.line.detail else ""
            print(f"repro: {r.op} {r.line.nth} [{r.line.id}] {r.line.verdict} at {where} "
                  f"({r.line.site}) {said}".rstrip())
    if not sweep_report.is_file():
        print(f"repro: no sweep report at {sweep_report} to compare with")
        return 1
    was = next((p for p in json.loads(sweep_report.read_text())["points"]
                if p["operation"] == op and p["failed_site"]["stable_id"] == ident), None)
    if was is None:
        print(f"repro: the sweep's report has no point {op} [{ident}]")
        return 1
    site = was["failed_site"]
    where = f"{site['file']}:{site['line']}" if site.get("file") else "-"
    again = [r for r in found.log.results if r.line.id == ident
             and str(r.line.verdict) == was["verdict"]
             and (f"{r.line.file}:{r.line.line}" if r.line.file else "-") == where]
    print(f"repro: {op} [{ident}] was {was['verdict']} at {where} in the sweep; "
          + (f"again at point {again[0].line.nth}: the same site and verdict" if again
             else "not the same this time"))
    return 0 if again else 1


KNOWN, EXPECTED = "KNOWN", "EXPECTED"


@dataclass(frozen=True)
class Explained:
    """Why a failed point is not a finding."""

    kind: str           # KNOWN (a target's [[known]] finding) or EXPECTED (a kfault-expect mark)
    why: str


def _summarise(ctx: Context, user: User, found: Analysis, out: Path, elapsed: float,
               complete: bool = True) -> int:
    log = found.log
    points = [r for r in log.results if r.line.nth]
    by_op: dict[str, dict[str, int]] = {}
    for r in points:
        counts = by_op.setdefault(r.op, {})
        counts[str(r.line.verdict)] = counts.get(str(r.line.verdict), 0) + 1
    for op in user.ops:
        counts = by_op.get(op.name, {})
        print(f"usersweep: {op.name}: {sum(counts.values())} points: "
              + (", ".join(f"{v} {n}" for v, n in sorted(counts.items()))
                 or ("none" if complete else "not swept (the boot cap)")))
    bad = [r for r in log.results if not r.line.verdict.ok]
    # id(result) -> why it is not a finding: a known finding, or a kfault-expect mark
    explained: dict[int, Explained] = {
        id(r): Explained(KNOWN, k.why) for r in bad for k in [known.match(ctx.target.known, r)]
        if k}
    # the target's own sources may mark lines whose finding the sweep must give
    marks = [e for f in ctx.target.source_files(ctx.boot.srctree)
             for e in userspace.expectations(f.name, f.read_text(errors="replace"))]
    unmet = []
    for e in marks:
        hits = [r for r in bad if userspace.meets(e, str(r.line.verdict), r.line.file,
                                                  r.line.line, r.line.leaked)]
        for r in hits:
            explained[id(r)] = Explained(EXPECTED,
                                         f"kfault-expect {e.verdict} at {e.file}:{e.line}")
        print(f"usersweep: expected {e.verdict} at {e.file}:{e.line}: "
              + (f"found at {len(hits)} point(s), first {hits[0].op} {hits[0].line.nth}"
                 if hits else "NOT FOUND"))
        if not hits:
            unmet.append(f"expected {e.verdict} at {e.file}:{e.line} (kfault-expect mark), "
                         "no point shows it")
    for r in bad:
        where = f"{r.line.file}:{r.line.line}" if r.line.file else "-"
        first = (r.line.detail or "").splitlines()[0] if r.line.detail else ""
        tag = explained[id(r)].kind if id(r) in explained else "FAIL"
        print(f"kfault: {tag} {r.op} {r.line.nth} [{r.line.id}]: {r.line.verdict} "
              f"at {where} ({r.line.site}): {first}"[:400])
        if tag == "FAIL":
            print(f"  reproduce: {reproduce(ctx.target.name, r.op, r.line.id)}")
    bugs = {b.id: b for b in known_bugs.load_bugs(ctx.checkout.config_dir)}
    for bug_id, count in sorted(found.known_leaks.items()):
        print(f"kfault: KNOWN kmemleak: {count} object(s) of known kernel bug {bug_id}: "
              f"{bugs[bug_id].title}; {bugs[bug_id].fixed}")
    for op_name, (kept, total) in sorted(found.capped.items()):
        print(f"usersweep: {op_name}: INCOMPLETE: {total} allocations counted, the engine "
              f"keeps the first {kept}: the rest were not swept")
    if found.not_fired:
        print(f"usersweep: {found.not_fired} attempt(s) whose arming event did not come "
              "(the path changed before it): not points")
    if found.rearmed:
        print(f"usersweep: {found.rearmed} attempt(s) failed only the kernel's bookkeeping "
              "and were run again with one more allocation let through")
    missing = _compare(ctx, user, log) + unmet
    if found.unplaced:
        lost = found.unplaced[0]
        missing.append(f"kmemleak: {len(found.unplaced)} object(s) that no point's process "
                       f"allocated (first: {lost.comm} pid {lost.pid}, "
                       + " < ".join(f.function for f in lost.callers()[:6]) + ")")
    for line in missing:
        print(f"kfault: FAIL {line}")
    findings = len(bad) - len(explained) + len(missing)
    expected = sum(1 for why in explained.values() if why.kind == EXPECTED)
    rate = found.points / elapsed if elapsed else 0.0
    own = found.points / found.point_seconds if found.point_seconds else 0.0
    print(f"usersweep: {ctx.target.name}: {found.points} points ({len(points)} ids): "
          f"{found.point_seconds:.1f} s of points ({own:.0f} points/s), "
          f"{elapsed:.1f} s of boots ({rate:.1f} points/s), "
          f"{found.caught + found.took_down} crashes and hangs ({found.caught} caught in the "
          f"boot, {found.took_down} took the boot down), {findings} findings"
          f"{f', {expected} expected' if expected else ''}"
          f"{f', {len(explained) - expected} known' if len(explained) > expected else ''}; "
          f"reports in {out}/report/")
    return EXIT_FINDING if findings else 0 if complete else EXIT_INCOMPLETE


def reproduce(target: str, op: str, ident: str) -> str:
    return f"make sweep TARGET={target} SWEEP_ARGS=\"--only {op}:{ident}\""
