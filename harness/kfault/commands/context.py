"""What every flow shares: the checkout, the tree, the target, the runner.

A flow is one command's sequence of boots and analyses.  It starts no
process itself (the Runner does) and prints progress and results; it
returns an exit code or raises HarnessError.
"""
from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from .. import paths
from ..checkout import configs, gcov, identity, suite_sources, targets, tree
from ..checkout import known_bugs
from ..checkout.policy import NONE as NO_POLICY, Policy
from ..results import model, report, reports_io
from ..errors import HarnessError
from ..proc.runner import KunitRequest, Runner
from ..checkout.targets import Target

EXIT_FINDING = 1
EXIT_COVERAGE = 3
EXIT_INCOMPLETE = 3     # a sweep that stopped at its boot cap: not all looked at


@dataclass(frozen=True)
class Checkout:
    """This checkout of kfault (or a review's copy of it)."""

    repo: Path

    @property
    def config_dir(self) -> Path:
        return self.repo / "configs"

    @property
    def user_dir(self) -> Path:
        """The user-space helper and the init scripts its boots run."""
        return paths.user_dir(self.repo)


@dataclass(frozen=True)
class BootSpec:
    """How a kernel is built and booted: the tree, its build directory, kunit.py's
    options, and who runs it."""

    kdir: Path                              # the kernel tree
    build_dir: Path | None = None           # None: KDIR/.kfault/.kunit-kfault
    timeout: int = 600
    kernel_args: tuple[str, ...] = ()
    ccache_dir: Path | None = None
    kunitconfig_dir: Path | None = None     # instead of configs/ (make sweep KUNITCONFIG=)
    run_as: tuple[int, int] | None = None   # (uid, gid) kunit.py runs as: patched code
    coverage: gcov.Plan | None = None       # make review's patched side: gcov on these
    # the build directory holds a built kernel that this command only boots, from a
    # view of its own (parallel shards: kunit.py writes test.log into the directory)
    view: Path | None = None
    idle: int = 0                           # seconds of silence that end a boot (0: none)
    jobs: int = 0                           # make's jobs (kunit.py --jobs; 0: its default)
    kconfig_add: tuple[str, ...] = ()       # kunit.py --kconfig_add, on the build
    # what the kernel's kunitconfig is made of, when it is not the target's own
    # fragments: our oracles and the user's kunitconfig (KUNITCONFIG=)
    fragments: tuple[str, ...] = ()

    @property
    def srctree(self) -> Path:
        """The tree kunit.py and make build: the farm over kdir (checkout/tree.py)."""
        return tree.farm(self.kdir)

    def default_build(self, name: str = ".kunit-kfault") -> Path:
        return self.build_dir or self.srctree / name

    @property
    def vmlinux(self) -> Path:
        return self.default_build() / "vmlinux"

    @property
    def test_log(self) -> Path:
        """Where kunit.py writes a boot's console: the build directory's, or the view's."""
        return (self.view or self.default_build()) / "test.log"


@dataclass(frozen=True)
class Shard:
    """One of count slices of a suite sweep: every count-th case from the index-th
    (kfault.shard=I/N, kunit/kfault/suites.c)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def dir_name(self) -> str:
        return f"sweep-shard-{self.index}-of-{self.count}"


def parse_shard(text: str) -> Shard:
    """'I/N' as a Shard; HarnessError (one line) when it is not 0 <= I < N."""
    head, _, tail = text.partition("/")
    if head.isdigit() and tail.isdigit() and int(head) < int(tail):
        return Shard(int(head), int(tail))
    raise HarnessError(f"SHARD={text!r}: want I/N with 0 <= I < N, e.g. 0/2")


@dataclass(frozen=True)
class Suites:
    """An any-suite sweep's selection (make sweep SUITE=GLOB)."""

    glob: str
    dirs: tuple[str, ...]               # the leak check's directories
    files: frozenset[str]               # the suites' C files (basenames)
    shard: Shard | None = None          # SHARD=I/N: this slice of the sweep only
    policy: Policy = NO_POLICY          # POLICY=: suites left out, caps (configs/nightly.toml)
    named: frozenset[str] = frozenset()     # every suite name the tree's sources define


@dataclass(frozen=True)
class Outcome:
    """What a command found: cli.py alone turns it into the exit code; a command
    built on another (review, calibrate, determinism) reads its return value."""

    code: int                               # 0, EXIT_FINDING, EXIT_COVERAGE, ...
    log: model.RunLog | None = None         # the run, parsed once
    report: dict[str, Any] | None = None    # report.json's document, as written
    out: Path | None = None                 # where the reports are
    complete: bool = True                   # a sweep went to its end (no boot cap hit)


@dataclass(frozen=True)
class Context:
    checkout: Checkout
    target: Target
    runner: Runner
    out: Path
    boot: BootSpec
    suites: Suites | None = None

    @property
    def files(self) -> frozenset[str]:
        """The target's source files, by basename."""
        return frozenset(self.target.file_names(self.boot.srctree))


def builtin_fragments(config_dir: Path) -> tuple[str, ...]:
    """What configs/.kunitconfig, the shared built-in kernel's, is made of."""
    return compositions(config_dir)[config_dir / ".kunitconfig"]


def compositions(config_dir: Path) -> dict[Path, tuple[str, ...]]:
    """The committed kunitconfigs and the fragments each is made of."""
    all_targets = targets.load_all(config_dir)
    builtin = configs.builtin_fragments([t.fragments for t in all_targets])
    modules = configs.module_fragments([t.modules.fragments for t in all_targets if t.modules]
                                       + [t.user.fragments for t in all_targets if t.user])
    return {config_dir / ".kunitconfig": builtin,
            config_dir / "modules/.kunitconfig": modules}


def write_configs(config_dir: Path, check: bool = False) -> list[Path]:
    """(Re)write the compositions; with check, fail if one is stale.  Returns what changed."""
    changed = []
    for path, fragments in compositions(config_dir).items():
        text = configs.compose(config_dir, fragments)
        if path.is_file() and path.read_text() == text:
            continue
        if check:
            raise HarnessError(f"{path.relative_to(config_dir.parent)} is stale: run "
                               "'make configs' and commit it")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        changed.append(path)
    return changed


def build_id(ctx: Context, modules: bool = False) -> identity.BuildId:
    config = ctx.checkout.config_dir / ("modules/.kunitconfig" if modules else ".kunitconfig")
    extra = [p for t in targets.load_all(ctx.checkout.config_dir)
             for p in t.source_files(ctx.boot.srctree)
             if not p.resolve().is_relative_to(ctx.checkout.repo.resolve())]
    return identity.compute(ctx.checkout.repo, config, extra)


def prepare(ctx: Context, build_dir: Path | None = None, modules: bool = False
            ) -> identity.BuildId:
    """Link the checkout into the tree, refresh the compositions, and make sure the
    build directory rebuilds what another checkout or other sources left there.  A
    command that only boots a kernel built before (BootSpec.view) changes nothing:
    it checks that the kernel was built from these sources."""
    build = build_dir or ctx.boot.default_build()
    if ctx.boot.view is not None:
        bid = build_id(ctx, modules)
        if identity.recorded(build) != bid:
            raise HarnessError(f"--prebuilt: the kernel in {build} was not built from these "
                               "sources: build it again (make nightly does)")
        return bid
    tree.hold(ctx.boot.kdir, ctx.checkout.repo)
    tree.link(ctx.boot.kdir, ctx.checkout.repo)
    write_configs(ctx.checkout.config_dir)
    bid = build_id(ctx, modules)
    said = identity.refresh(build, bid)
    if said:
        print(f"kfault: {said}", flush=True)
    return bid


def request(ctx: Context, suites: str, first: bool = True, kernel_args: list[str] = [],
            extra: list[str] = [], build_dir: Path | None = None,
            capped: tuple[str, ...] = ()) -> KunitRequest:
    """One kunit.py boot: 'run' (configure, build, boot) first, 'exec' after; only
    'exec', from its view, for a kernel built before (BootSpec.view).  capped: the
    suites a suite sweep no longer sweeps (their boots reached the policy's cap)."""
    build = build_dir or ctx.boot.default_build()
    if ctx.boot.view is not None:
        first, build = False, ctx.boot.view
    if ctx.boot.coverage is not None and first:     # kunit.py exec takes no make options
        cmd = build / ".vmlinux.o.cmd"
        extra = list(extra) + gcov.make_options(ctx.boot.coverage, build, cmd.read_text(
            errors="replace") if cmd.is_file() else None)
    if first:
        extra = list(extra) + [f"--kconfig_add={c}" for c in ctx.boot.kconfig_add]
    return KunitRequest(
        kdir=ctx.boot.srctree, build_dir=build, jobs=ctx.boot.jobs,
        kunitconfig_dir=ctx.boot.kunitconfig_dir or ctx.checkout.config_dir, filter_glob=suites,
        timeout=ctx.boot.timeout,
        ccache_dir=ctx.boot.ccache_dir, command="run" if first else "exec", run_as=ctx.boot.run_as,
        kernel_args=["kasan_multi_shot"] + kernel_args + list(ctx.boot.kernel_args)
        + suite_args(ctx.suites, capped), extra=extra,
        idle=ctx.boot.idle)


def suite_args(suites: Suites | None, capped: tuple[str, ...] = ()) -> list[str]:
    """An any-suite sweep's selection, as kunit/kfault/suites.c reads it."""
    if suites is None:
        return []
    return [f"kfault.suites={suites.glob}", f"kfault.suites_dirs={','.join(suites.dirs)}"] + (
        [f"kfault.shard={suites.shard}"] if suites.shard else []) + \
        suites.policy.kernel_args(capped)


def boot_view(ctx: Context, where: Path) -> Context:
    """The context that boots ctx's built kernel from the view where: its own
    test.log, the kernel and .kunitconfig linked from the build directory.
    HarnessError (one line) when nothing is built there."""
    build = ctx.boot.default_build(".kunit-kfault")
    kernel = build / "linux"
    if not kernel.is_file():
        raise HarnessError(f"--prebuilt: no kernel built in {build} (build it first: "
                           "make nightly does)")
    where.mkdir(parents=True, exist_ok=True)
    for name in ("linux", ".kunitconfig", ".config"):
        link = where / name
        if link.is_symlink() or link.exists():
            link.unlink()
        if (build / name).exists():
            link.symlink_to(build / name)
    return dataclasses.replace(ctx, boot=dataclasses.replace(ctx.boot, view=where))


def sweep_suite(ctx: Context) -> str:
    """The target's fault suite: what sweep, repro, determinism and calibrate boot."""
    if not ctx.target.sweep_suite:
        raise HarnessError(f"target {ctx.target.name} has no sweep_suite in its target file")
    return ctx.target.sweep_suite


def boot_once(ctx: Context, suite: str, out: Path, name: str, first: bool,
              kernel_args: list[str] = []) -> list[str]:
    """One kunit.py boot of suite; its console, kept as out/NAME.log."""
    test_log = ctx.boot.test_log
    test_log.unlink(missing_ok=True)
    ctx.runner.run_kunit(request(ctx, suite, first=first, kernel_args=kernel_args),
                         output=out / f"{name}.kunit.txt")
    if not test_log.is_file():
        raise HarnessError(f"{name}: the kernel did not boot: see {out}/{name}.kunit.txt")
    shutil.copyfile(test_log, out / f"{name}.log")
    return (out / f"{name}.log").read_text(errors="replace").splitlines()


def analyse(ctx: Context, lines: list[str]) -> tuple[model.RunLog, model.Symbols]:
    """Parse a console once and symbolise it once (one nm, one addr2line)."""
    log = model.build(lines, ctx.target.prefix)
    functions = ctx.runner.symbol_addresses(ctx.boot.vmlinux,
                                            model.functions(log, ctx.target.prefix))
    model.place_crash(log, functions)
    addrs = sorted(a - 1 for a in model.addresses(log, functions))
    chains = ctx.runner.addr2line(ctx.boot.vmlinux, addrs) if addrs else {}
    return log, model.Symbols(chains, ctx.files, tuple(model.leak_addresses(log, functions)))


def lost_points(log: model.RunLog, where: Path) -> str | None:
    """One line when the console lost points' results (None: nothing lost)."""
    lost = log.missing()
    if not lost:
        return None
    parts = [f"{op} {gap[0]}..{gap[-1]} ({len(gap)})" for op, gap in sorted(lost.items())]
    return (f"the console lost the results of {sum(map(len, lost.values()))} fault points "
            f"({', '.join(parts)}): a flooded printk buffer? The run is incomplete; "
            f"see {where}")


def write_reports(ctx: Context, log: model.RunLog, symbols: model.Symbols, out: Path,
                  started: datetime, baseline: Path | None = None,
                  finished: datetime | None = None,
                  not_swept: str | None = None,
                  baselines_alone: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The run's reports in out; returns report.json's document."""
    fragments = (ctx.target.user.fragments if ctx.target.user
                 else ctx.boot.fragments or ctx.target.fragments)
    meta = report.RunMeta(configs=tuple(fragments), targets=(ctx.target.name,),
                          git_revision=ctx.runner.git_revision(ctx.checkout.repo),
                          kernel_revision=ctx.runner.tree_revision(ctx.boot.kdir), started=started,
                          finished=finished or datetime.now(timezone.utc),
                          reproduce=reproduce_template(ctx), known=ctx.target.known,
                          not_swept=not_swept, baselines_alone=dict(baselines_alone or {}),
                          excluded=excluded_why(ctx, log))
    return reports_io.write_reports(log, out, meta, symbols, baseline=baseline,
                                    bugs=known_bugs.load_bugs(ctx.checkout.config_dir))


def excluded_why(ctx: Context, log: model.RunLog) -> dict[str, str]:
    """Why each suite the kernel left out was left out (the sweep's policy)."""
    policy = ctx.suites.policy if ctx.suites else NO_POLICY
    return {name: why for name, listed in log.suites.items()
            if listed.excluded and (why := policy.why_excluded(name)) is not None}


def reproduce_template(ctx: Context) -> str:
    """How a user reruns one point of this run (report.reproduce fills it in)."""
    # a target file of the user's own is named by its path: its name is not
    # one configs/targets/ knows
    named = str(ctx.target.origin) if ctx.target.origin else ctx.target.name
    if ctx.target.user:
        return f"make sweep TARGET={named} SWEEP_ARGS=\"--only {{op}}:{{point}}\""
    if ctx.suites is not None:
        return (f"make sweep SUITE='{ctx.suites.glob}' SWEEP_ARGS=\"--fresh {{resume}}"
                f"--kernel-arg kfault.only={{op}}\"")
    target = "" if ctx.target.default else f" TARGET={named}"
    return f"make repro{target} POINT={{op}}:{{point}}"


SUITES_TARGET = "suites"
SUITES_BUILD = ".kunit-kfault-suites"   # SUITE= KUNITCONFIG='s kernel, the default's sibling
MAX_DIRS_LEN = 1023     # kfault.suites_dirs (suites.c); UML takes 4096 bytes of command line


def suite_dirs(ctx: Context, glob: str) -> tuple[list[str], list[str]]:
    """The directories of the suites glob names, for the leak check's tags, and
    their source files."""
    dirs, sources, _ = suite_sources_of(ctx, glob)
    return dirs, sources


def host_of(kdir: Path, path: str) -> str | None:
    """The C file that #includes path (its code is in that file's object), or
    None (suite_sources.includer over suite_sources.includer_dirs)."""
    here = kdir / path
    if not here.parent.is_dir():
        return None
    siblings = {str(p.relative_to(kdir)): p.read_text(errors="replace")
                for d in suite_sources.includer_dirs(path)
                for p in sorted((kdir / d).glob("*.c")) if p != here}
    return suite_sources.includer(path, siblings)


def named_suites(kdir: Path, path: str, text: str) -> list[str]:
    """The suites path (tree-relative, its C text) defines, by the names the
    kernel gives them: '.name = KBUILD_MODNAME' is the object's name."""
    module = suite_sources.modname(path, host_of(kdir, path)) \
        if suite_sources.NAMED_BY_MODULE in text else ""
    return suite_sources.suite_names(text, module)


def suite_sources_of(ctx: Context, glob: str) -> tuple[list[str], list[str], frozenset[str]]:
    """suite_dirs(), and the name of every suite the tree's sources define."""
    files = {}
    # the tree, and our own suites, which its drivers/misc/kfault link holds;
    # headers too: 6.12 defines DAMON's four suites in mm/damon/tests/*.h
    ours = f"drivers/misc/{tree.LINK_NAME}/kunit/"
    for root, rel in ((ctx.boot.kdir, ""), (ctx.checkout.repo / "kunit", ours)):
        for path in ctx.runner.files_containing(root, "kunit_suite", (".c", ".h")):
            names = named_suites(root, str(path.relative_to(root)),
                                 path.read_text(errors="replace"))
            if names:
                files[rel + str(path.relative_to(root))] = names
    dirs = suite_sources.dirs_for(glob, files)
    if not dirs:
        raise HarnessError(f"SUITE={glob!r}: no struct kunit_suite of {ctx.boot.kdir} has a "
                           "matching .name")
    if len(",".join(dirs)) > MAX_DIRS_LEN:
        tops = sorted({d.split("/")[0] + "/" for d in dirs})
        print(f"kfault: suites {glob}: {len(dirs)} directories do not fit "
              f"kfault.suites_dirs; the leak check takes their top directories", flush=True)
        dirs = tops
    if len(",".join(dirs)) > MAX_DIRS_LEN:
        raise HarnessError(f"SUITE={glob!r}: its suites live in {len(dirs)} directories, "
                           f"more than kfault.suites_dirs holds: {', '.join(dirs)}")
    print(f"kfault: suites {glob}: leak check over the allocation tags of "
          f"{', '.join(dirs)}", flush=True)
    return dirs, suite_sources.files_for(glob, files), frozenset(
        n for names in files.values() for n in names)


def user_kunitconfig(ctx: Context, kunitconfig: Path) -> Path:
    """KUNITCONFIG=: a file or a directory holding .kunitconfig, relative to the
    kernel tree or absolute; HarnessError (one line) when there is none."""
    path = kunitconfig if kunitconfig.is_absolute() else ctx.boot.kdir / kunitconfig
    if path.is_dir():
        path = path / ".kunitconfig"
    if not path.is_file():
        raise HarnessError(f"KUNITCONFIG={kunitconfig}: no such kunitconfig ({path})")
    return path


def _own_kernel(ctx: Context, fragments: tuple[str, ...], path: Path | None,
                config_dir: Path, build_name: str) -> BootSpec:
    """ctx's boot with a kunitconfig of its own in config_dir (our fragments,
    then the user's kunitconfig at path, if any) and, unless BUILD_DIR= names
    one, a build directory of its own (KDIR/build_name): the default kernel
    stays as it is."""
    text = configs.compose(ctx.checkout.config_dir, fragments)
    if path is not None:
        text += f"\n# ---- {path}\n" + path.read_text()
        fragments += (str(path),)
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / ".kunitconfig").write_text(text)
    own = ctx.boot.build_dir in (None, ctx.boot.srctree / ".kunit-kfault")
    return dataclasses.replace(ctx.boot, kunitconfig_dir=config_dir,
                               build_dir=ctx.boot.srctree / build_name if own
                               else ctx.boot.build_dir,
                               fragments=fragments)


def for_target_file(ctx: Context) -> Context:
    """A target file of the user's (--target-file): our oracles and its
    fragments, composed in OUT/NAME-config, in a kernel of its own
    (KDIR/.kfault/.kunit-kfault-NAME, or -modules-NAME for a sweep from user space,
    unless BUILD_DIR= says): the shared kernels carry only our targets."""
    target = ctx.target
    if target.origin is None:
        return ctx
    if target.user:
        fragments = configs.MODULE_ORACLES + target.user.fragments
        build_name = f".kunit-kfault-modules-{target.name}"
    else:
        fragments = configs.ORACLES + target.fragments
        build_name = f".kunit-kfault-{target.name}"
    return dataclasses.replace(ctx, boot=_own_kernel(
        ctx, fragments, None, ctx.out / f"{target.name}-config", build_name))


def modules_kunitconfig(ctx: Context) -> Path:
    """The modules kernel's kunitconfig directory: configs/modules, or a
    target file's own (for_target_file)."""
    return ctx.boot.kunitconfig_dir or ctx.checkout.config_dir / "modules"


def with_kunitconfig(ctx: Context, kunitconfig: Path) -> Context:
    """make kunit KUNITCONFIG=: the target's configs and the user's kunitconfig,
    in a kernel of its own (KDIR/.kfault/.kunit-kfault-plus, unless BUILD_DIR= says)."""
    return dataclasses.replace(ctx, boot=_own_kernel(
        ctx, builtin_fragments(ctx.checkout.config_dir),
        user_kunitconfig(ctx, kunitconfig), ctx.out / "kunit-config", ".kunit-kfault-plus"))


def suites_context(ctx: Context, glob: str, kunitconfig: Path | None,
                   shard: Shard | None = None, policy: Policy = NO_POLICY) -> Context:
    """Sweep any built-in KUnit suites matching glob (kunit/kfault/suites.c): the
    runner suite kfault_suites with kfault.suites=GLOB.  kunitconfig: the user's,
    relative to the kernel tree or absolute; our oracle fragments are added and
    the kernel gets a build directory of its own."""
    if not glob or any(c in glob for c in " :,"):
        raise HarnessError(f"SUITE={glob!r}: want a KUnit suite glob, e.g. 'list*'")
    path = user_kunitconfig(ctx, kunitconfig) if kunitconfig is not None else None
    dirs, sources, named = suite_sources_of(ctx, glob)
    target = Target(name=SUITES_TARGET, description=f"KUnit suites {glob}", fragments=(),
                    suites="kfault_suites", sweep_suite="kfault_suites", srcdirs=tuple(dirs),
                    prefix="", kmemleak=True,
                    known=known_bugs.load_suite_findings(ctx.checkout.config_dir))
    out = dataclasses.replace(ctx, target=target, out=ctx.out / "suites", suites=Suites(
        glob, tuple(dirs), frozenset(Path(f).name for f in sources), shard, policy, named))
    if path is not None:
        # quiet.config turns off UML's PCI (a WARN at every boot), which
        # all_tests.config's PCI, USB4, sound and wifi tests need
        out = dataclasses.replace(out, boot=_own_kernel(
            ctx, tuple(f for f in configs.ORACLES if f != "quiet.config"), path,
            ctx.out / "suites-config", SUITES_BUILD))
    elif not ctx.boot.fragments:
        # the shared kernel, which carries every target's fragments
        out = dataclasses.replace(out, boot=dataclasses.replace(
            ctx.boot, fragments=builtin_fragments(ctx.checkout.config_dir)))
    return out
