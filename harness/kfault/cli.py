"""Command line: kfault <command> (or python3 -m kfault).  Parses arguments and dispatches to a
flow; the only module that exits."""
from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import Callable

from . import __version__, paths
from .checkout import policy, targets, tree
from .checkout.policy import Policy
from .errors import HarnessError
from .commands import (bench, calibrate, context, determinism, kunit, modules, repro,
                       review, skeleton, sweep, usersweep)
from .proc.runner import ProcessRunner


@functools.cache
def repo() -> Path:
    """The checkout this kfault builds (paths.checkout), found once."""
    return paths.checkout()


def make_context(args: argparse.Namespace) -> context.Context:
    target = targets.resolve(repo() / "configs", args.target)
    # a review's patched copy (make -C it repro ...): its kernel is not root's to run
    run_as = review.unprivileged() if (repo() / review.UNTRUSTED).exists() else None
    # kunit.py runs in the kernel tree: every path it is given must be absolute
    boot = context.BootSpec(kdir=args.kdir.absolute(),
                            build_dir=args.build_dir and args.build_dir.absolute(),
                            timeout=args.timeout, idle=getattr(args, "idle", 0),
                            kernel_args=tuple(getattr(args, "kernel_arg", [])),
                            ccache_dir=paths.default_cache() / "ccache", run_as=run_as,
                            jobs=args.jobs, kconfig_add=tuple(args.kconfig_add))
    return context.for_target_file(context.Context(
        checkout=context.Checkout(repo()), target=target, runner=ProcessRunner(),
        out=args.out.absolute(), boot=boot))


def cmd_link(args: argparse.Namespace) -> int:
    for change in tree.link(args.kdir, repo()):
        print(f"link: {change}")
    return 0


def cmd_unlink(args: argparse.Namespace) -> int:
    for change in tree.unlink(args.kdir):
        print(f"unlink: {change}")
    return 0


def cmd_configs(args: argparse.Namespace) -> int:
    for path in context.write_configs(repo() / "configs", check=args.check):
        print(f"configs: wrote {path}")
    return 0


def cmd_skeleton(args: argparse.Namespace) -> int:
    name = args.srcdir.rstrip("/").rsplit("/", 1)[-1]
    out = args.out or Path("out") / "skeleton" / name
    written = skeleton.write(args.kdir, args.srcdir, out.absolute())
    for path in written:
        print(f"skeleton: wrote {path}")
    print(f"skeleton: next: add Kconfig.snippet and Makefile.snippet to {args.srcdir}, "
          f"fill in {written[2].name}, then make kunit TARGET={written[0]}")
    return 0


def cmd_targets(args: argparse.Namespace) -> int:
    for t in targets.load_all(repo() / "configs"):
        print(f"{t.name}{' (default)' if t.default else ''}: {t.description}; suites "
              f"{t.suites}; sources {', '.join(t.srcdirs)}")
    return 0


def suite_context(args: argparse.Namespace) -> context.Context:
    """The context of a command that boots a target's KUnit suites."""
    ctx = make_context(args)
    if ctx.target.user:
        raise HarnessError(f"target {ctx.target.name} is swept from user space and has no "
                           f"suites: make sweep TARGET={ctx.target.name}")
    return ctx


def cmd_kunit(args: argparse.Namespace) -> int:
    ctx = suite_context(args)
    if args.kunitconfig is not None:
        ctx = context.with_kunitconfig(ctx, args.kunitconfig)
    return kunit.run(ctx, args.filter, args.baseline, args.json).code


def cmd_sweep(args: argparse.Namespace) -> int:
    ctx = make_context(args)
    if ctx.target.user:
        if args.suite:
            raise HarnessError(f"target {ctx.target.name} is swept from user space: "
                               "SUITE= does not apply")
        return usersweep.user_sweep(ctx, args.fresh, args.max_boots, args.only or None).code
    if args.only:
        raise HarnessError("--only OP:ID is for targets swept from user space "
                           "(make repro POINT= reruns a suite's point)")
    if args.shard and not args.suite:
        raise HarnessError("SHARD= splits a suite sweep: name the suites with SUITE=")
    if (args.policy or args.prebuilt) and not args.suite:
        raise HarnessError("POLICY= and --prebuilt are for a suite sweep: name the suites "
                           "with SUITE=")
    if args.suite:
        ctx = context.suites_context(ctx, args.suite, args.kunitconfig,
                                     context.parse_shard(args.shard) if args.shard else None,
                                     _policy(args))
    if args.prebuilt:
        where = ctx.out / "views" / (ctx.suites.shard.dir_name if ctx.suites and
                                     ctx.suites.shard else "sweep")
        ctx = context.boot_view(ctx, where)
    return sweep.sweep(ctx, args.fresh, args.max_boots).code


def _policy(args: argparse.Namespace) -> Policy:
    return policy.load(args.policy) if args.policy else policy.NONE


def cmd_bench(args: argparse.Namespace) -> int:
    if not args.suite:
        raise HarnessError("bench: name the suites to sweep with SUITE=")
    ctx = context.suites_context(make_context(args), args.suite, None)
    touch = repo() / args.touch if args.touch else None
    if touch is not None and not touch.is_file():
        raise HarnessError(f"bench: --touch {args.touch}: no such file in the checkout")
    result, done = bench.bench(ctx, args.runs, args.sample, touch)
    kernel = (done.log.kernel_version if done.log else None) or "unknown"
    path = bench.write(result, repo(), kernel)
    print(f"bench: kfault {result.ours.median:.1f} s for {result.points} points; one boot per "
          f"point {result.projected:.0f} s (projected from {len(result.sampled)}): "
          f"{result.ratio:.0f}x; 2 shards {result.sharded.median:.1f} s; in {path}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    if not args.suite:
        raise HarnessError("build: name the suites whose kernel to build with SUITE=")
    ctx = context.suites_context(make_context(args), args.suite, args.kunitconfig)
    return sweep.build(ctx).code


def cmd_merge(args: argparse.Namespace) -> int:
    if not args.suite:
        raise HarnessError("merge: name the sharded suite sweep with SUITE=")
    ctx = context.suites_context(make_context(args), args.suite, args.kunitconfig,
                                 policy=_policy(args))
    return sweep.merge(ctx, args.shards, args.against, args.baseline).code


def cmd_repro(args: argparse.Namespace) -> int:
    return repro.repro(suite_context(args), args.point).code


def cmd_calibrate(args: argparse.Namespace) -> int:
    return calibrate.calibrate_target(suite_context(args)).code


def cmd_determinism(args: argparse.Namespace) -> int:
    ctx = make_context(args)
    if args.suite:
        ctx = context.suites_context(suite_context(args), args.suite, args.kunitconfig)
    return determinism.determinism(ctx, args.runs).code


def cmd_review(args: argparse.Namespace) -> int:
    if (args.patch is None) == (args.base is None):
        raise HarnessError("make review: give PATCH=file.patch, or BASE=rev [HEAD=rev] "
                           "for a git kernel tree (KDIR=)")
    if args.base is not None:
        return review.review_revisions(make_context(args), args.base, args.head,
                                       args.max_boots).code
    if args.suites < 1:
        raise HarnessError(f"--suites {args.suites}: want at least 1 (the covering suites, "
                           "closest first)")
    # a target swept from user space is reviewed with its user sweep
    return review.review(make_context(args), args.patch, args.max_boots, args.on,
                         suites=args.suites, only=args.only_suite,
                         named=args.target is not None, kunitconfig=args.kunitconfig).code


def cmd_modules(args: argparse.Namespace) -> int:
    return modules.modules_test(make_context(args)).code


class _Version(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        try:
            where = repo()
            rev = ProcessRunner().git_revision(where) or "not a git checkout"
        except HarnessError as err:
            where, rev = Path("?"), str(err)
        print(f"kfault {__version__} ({rev}, {where}), Python {sys.version.split()[0]}")
        parser.exit()


# a boot that prints nothing this long is hung (ext4_mballoc_test's base hangs
# where its fix fails cleanly); KUnit's own per-case timeout is longer (300 s)
IDLE_S = 120


def _flow(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str,
          func: Callable[[argparse.Namespace], int], timeout: int = 600,
          kernel_args: bool = True, boots: bool = True) -> argparse.ArgumentParser:
    # flags are spelled as kunit.py spells them; our older spellings still work
    p = sub.add_parser(name, help=text)
    p.add_argument("--target", "--target-file", dest="target", default=None,
                   help="configs/targets/<TARGET>.toml, or the path of a target file of "
                   "your own (fragments relative to it; a kernel of its own); default: "
                   "the target marked default")
    p.add_argument("--build_dir", "--build-dir", dest="build_dir", type=Path, default=None,
                   help="the kernel's build directory (default: KDIR/.kfault/.kunit-kfault)")
    p.add_argument("--timeout", type=int, default=timeout,
                   help="seconds a boot may take (kunit.py's --timeout)")
    p.add_argument("--jobs", type=int, default=0,
                   help="make's jobs for a build (kunit.py's --jobs; default: its own)")
    p.add_argument("--kconfig_add", "--kconfig-add", dest="kconfig_add", action="append",
                   default=[], help="CONFIG_X=y|n on top of the kunitconfig (kunit.py's "
                   "--kconfig_add; repeatable)")
    p.add_argument("--out", type=Path, default=Path("out"),
                   help="results go under OUT/ (default: out/ here)")
    if boots:
        p.add_argument("--idle", type=int, default=IDLE_S,
                       help="end a boot silent this many seconds: a hang (0: never; "
                       f"default {IDLE_S}, as the nightly's)")
    if kernel_args:
        p.add_argument("--kernel_args", "--kernel-arg", dest="kernel_arg", action="append",
                       default=[], help="an extra boot argument, e.g. kfault.leak_check=0 "
                       "(kunit.py's --kernel_args; repeatable)")
    p.set_defaults(func=func)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kfault",
        description="kfault: fault-injection harness for kernel drivers")
    parser.add_argument("--kdir", type=Path, default=None,
                        help="kernel tree (default: $KDIR or the cached linux-source-6.12)")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="kfault's revision and the Python it runs on, then exit")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("link", help="link this repository into the kernel tree").set_defaults(
        func=cmd_link)
    sub.add_parser("unlink", help="undo 'link'").set_defaults(func=cmd_unlink)
    sub.add_parser("targets", help="list the targets").set_defaults(func=cmd_targets)
    p = sub.add_parser("skeleton", help="write a target file, its fragment and an op-table "
                       "stub for a driver directory of the kernel tree")
    p.add_argument("srcdir", help="the driver's directory, relative to the kernel tree")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write them (default: out/skeleton/NAME)")
    p.set_defaults(func=cmd_skeleton)
    p = sub.add_parser("configs", help="regenerate configs/.kunitconfig and modules/")
    p.add_argument("--check", action="store_true", help="fail if one is stale")
    p.set_defaults(func=cmd_configs)
    p = _flow(sub, "kunit", "build and run the target's suites with kunit.py", cmd_kunit,
              timeout=1200, kernel_args=False)
    p.add_argument("filter", nargs="?", default="", help="suite[.test] glob instead")
    p.add_argument("--baseline", type=Path, default=None,
                   help="report.json of an earlier run: new/fixed findings in baseline.md")
    p.add_argument("--kunitconfig", type=Path, default=None,
                   help="a kunitconfig added to ours, in a kernel of its own "
                   "(KDIR/.kfault/.kunit-kfault-plus)")
    p.add_argument("--json", type=Path, default=None,
                   help="kunit.py's KernelCI JSON of the run's KTAP results, to this file")
    p = _flow(sub, "sweep", "the fault sweep across boots: survives crashes, resumes", cmd_sweep)
    p.add_argument("--max-boots", type=int, default=12)
    p.add_argument("--fresh", action="store_true", help="forget earlier results")
    p.add_argument("--suite", default="", help="sweep these KUnit suites (a glob) instead")
    p.add_argument("--kunitconfig", type=Path, default=None,
                   help="with --suite: the suites' kunitconfig (our oracles are added)")
    p.add_argument("--only", default="",
                   help="a target swept from user space: run its point OP:ID alone "
                   "(the id from its report)")
    p.add_argument("--shard", default="",
                   help="with --suite: I/N, sweep every N-th case from the I-th")
    p.add_argument("--policy", type=Path, default=None,
                   help="with --suite: suites left out and caps (configs/nightly.toml)")
    p.add_argument("--prebuilt", action="store_true",
                   help="with --suite: boot the kernel built before ('build'), build nothing")
    p = _flow(sub, "bench", "the sweep against one boot per point; shards; rebuild",
              cmd_bench, kernel_args=False)
    p.add_argument("--suite", default="", help="the KUnit suites to sweep (a glob)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--sample", type=int, default=10,
                   help="points booted one at a time (the rest is projected)")
    p.add_argument("--touch", default="module/refdev_core.c",
                   help="the driver file touched before each timed rebuild ('' for none)")
    p = _flow(sub, "build", "build the kernel of a suite sweep, boot nothing", cmd_build,
              kernel_args=False, boots=False)
    p.add_argument("--suite", default="", help="the KUnit suites (a glob)")
    p.add_argument("--kunitconfig", type=Path, default=None)
    p = _flow(sub, "merge", "one report of the N shards of a suite sweep", cmd_merge,
              kernel_args=False, boots=False)
    p.add_argument("--suite", default="", help="the sharded sweep's KUnit suites (a glob)")
    p.add_argument("--kunitconfig", type=Path, default=None)
    p.add_argument("--shards", type=int, default=2)
    p.add_argument("--against", type=Path, default=None,
                   help="an unsharded sweep's directory: fail unless the merge equals it")
    p.add_argument("--policy", type=Path, default=None,
                   help="the policy the shards were swept with (configs/nightly.toml)")
    p.add_argument("--baseline", type=Path, default=None,
                   help="an earlier night's report.json: new, fixed and gone by stable id")
    _flow(sub, "modules", "the target's modules: insmod, rmmod, kmemleak", cmd_modules,
          kernel_args=False)
    p = _flow(sub, "repro", "re-run one fault point twice, show it and whether it repeats",
              cmd_repro)
    p.add_argument("point", help="OP:ID, OP:NTH or OP:fK, e.g. open:e3e5e880")
    p = _flow(sub, "determinism", "the fault suite N times: do ids and verdicts agree?",
              cmd_determinism)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--suite", default="", help="compare sweeps of these KUnit suites (a glob)")
    p.add_argument("--kunitconfig", type=Path, default=None,
                   help="with --suite: the suites' kunitconfig (our oracles are added)")
    p = _flow(sub, "review", "sweep before and after a driver patch: new and fixed findings",
              cmd_review)
    p.add_argument("patch", type=Path, nargs="?", default=None,
                   help="a patch, a series or mbox, or a directory of them")
    p.add_argument("--base", default=None, help="a git KDIR's revision to review from")
    p.add_argument("--head", default="HEAD", help="... and to (default HEAD)")
    p.add_argument("--on", type=Path, action="append", default=[],
                   help="patches the base has first (review a fix of the bug they add)")
    p.add_argument("--max-boots", type=int, default=12)
    p.add_argument("--suites", type=int, default=review.MAX_SUITES,
                   help="sweep at most this many of the KUnit suites that cover the "
                   "touched kernel files, the closest first")
    p.add_argument("--suite", dest="only_suite", default="",
                   help="sweep only the covering KUnit suites this glob names")
    p.add_argument("--kunitconfig", type=Path, default=None,
                   help="sweep the covering suites in a kernel of this kunitconfig and our "
                   "oracles, on both sides (all_tests.config builds suites ours lacks)")
    _flow(sub, "calibrate", "sweep each seeded defect; check it is caught", cmd_calibrate)
    return parser


MEANINGS = {0: "passed", 1: "a finding, a failed test or a crash",
            2: "bad input or environment", 3: "an allocation call site was never failed",
            130: "interrupted"}
# where a command gives a code its own meaning
COMMAND_MEANINGS = {("review", 3): "inconclusive: no swept point ran in the touched code",
                    ("sweep", 3): "incomplete: the boot cap left points unswept"}


def run_command(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except HarnessError as err:
        print(f"kfault: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("kfault: interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    """Run one command; its last line names the exit code, which make turns into 2."""
    args = build_parser().parse_args(argv)
    if args.kdir is None:
        args.kdir = paths.default_kdir()
    code = run_command(args)
    meaning = COMMAND_MEANINGS.get((args.command, code)) or MEANINGS.get(code) or "failed"
    if args.func not in (cmd_link, cmd_unlink, cmd_configs, cmd_targets) or code:
        print(f"kfault: exit {code}: {meaning}", flush=True)
    _record_exit(args.command, code, meaning)
    return code


def _record_exit(command: str, code: int, meaning: str) -> None:
    """With KFAULT_EXIT_FILE set (.ci/run sets it), append this command's code:
    a script behind make, which turns every failure into 2, reads the last."""
    where = os.environ.get("KFAULT_EXIT_FILE")
    if not where:
        return
    try:
        with open(where, "a") as f:
            f.write(f"{code} {command}: {meaning}\n")
    except OSError as err:
        print(f"kfault: warning: KFAULT_EXIT_FILE {where}: {err.strerror}", file=sys.stderr)
