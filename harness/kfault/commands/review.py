"""'make review PATCH=...': what a driver patch breaks or fixes on its error
paths.  The checkout is never modified: the patch goes to a scratch copy of
it, linked into the kernel tree for the patched sweep and unlinked after
(the build directory's identity check rebuilds our objects each way).  Both
sides are swept with the target's sweep and compared by stable point id."""
from __future__ import annotations

import dataclasses
import fnmatch
import json
from dataclasses import dataclass
import hashlib
import os
import pwd
import shutil
from pathlib import Path
from typing import Any

from ..results import baseline, linecov, review_doc
from ..checkout import diff, gcov, suite_sources, tree
from ..errors import HarnessError
from . import sweep, usersweep
from . import context
from .context import Checkout, Context, Outcome

EXIT_NEW = 1
EXIT_INCONCLUSIVE = 3     # no swept point ran in the touched code: nothing proved


def patch_files(path: Path) -> list[Path]:
    """The patches PATCH names: a file (one patch, a series or an mbox) or a
    directory of *.patch files, applied in name order."""
    if path.is_dir():
        found = sorted(path.glob("*.patch"))
        if not found:
            raise HarnessError(f"PATCH={path}: a directory with no *.patch file")
        return found
    if not path.is_file():
        raise HarnessError(f"PATCH={path}: no such file or directory")
    return [path]


def _swept(swept: Outcome, what: str, cut: list[str]) -> dict[str, Any]:
    """The report document a side's sweep returned; a sweep the boot cap
    stopped is named in cut."""
    if not swept.complete:
        cut.append(f"incomplete: {what} stopped at the boot cap (--max-boots); "
                   "its points after that were not swept")
    if swept.report is None:
        raise HarnessError(f"the sweep wrote no report: {swept.out}")
    return baseline.validate(swept.report, str(swept.out))


def scratch_copy(ctx: Context, where: Path, patches: list[Path], what: str) -> int:
    """A copy of the checkout at where with patches applied; HarnessError (and
    no copy) when one does not apply."""
    if where.exists():
        shutil.rmtree(where)
    copied = ctx.runner.copy_checkout(ctx.checkout.repo, where)
    said = ctx.runner.apply_patches(where, patches)
    if said:
        shutil.rmtree(where)
        raise HarnessError(f"{what} does not apply to {ctx.checkout.repo}: {said}; "
                           "nothing was changed")
    return copied


CHECKOUT_DIRS = ("module", "kunit", "harness", "configs", "docs")
UNTRUSTED = ".kfault-untrusted"     # marks a review's copy: its code is not root's
REVIEW_USER = "kfault"


def in_checkout(checkout: Checkout, path: str) -> bool:
    """Is a patched path this checkout's (the driver and its suites) rather than
    the kernel tree's?"""
    return (checkout.repo / path).exists() or path.split("/")[0] in CHECKOUT_DIRS


def unprivileged() -> tuple[int, int] | None:
    """Who builds and boots patched code: the user kfault when we are root
    (make setup creates it), else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam(REVIEW_USER)
    except KeyError:
        raise HarnessError(f"running as root, patched code is built and booted as the user "
                           f"{REVIEW_USER!r}, which does not exist: run 'make setup'") from None
    return pw.pw_uid, pw.pw_gid


def scratch_root(out: Path, side: str) -> Path:
    """Where a review's copies go: outside root's home, so that the user who
    builds them can reach them (KFAULT_SCRATCH, default /var/tmp/kfault)."""
    base = Path(os.environ.get("KFAULT_SCRATCH", "/var/tmp/kfault"))
    digest = hashlib.sha1(str(out.resolve()).encode()).hexdigest()[:8]
    return base / f"review-{digest}" / side


def patched_side(ctx: Context, where: Path, checkout: list[Path], kernel: list[Path],
                 what: str, suites_kernel: bool = False) -> Context:
    """A copy of the kernel tree (sharing its source files, its build directory
    copied) and of this checkout at where, with the patches applied to each:
    the context that builds and boots it in the copy's build directory, as an
    unprivileged user when we are root.  HarnessError, and no copy, when a
    patch does not apply."""
    run_as = unprivileged()
    build = ctx.boot.default_build()
    if build.parent.resolve() != ctx.boot.srctree.resolve():
        raise HarnessError(f"review needs the build directory inside {ctx.boot.srctree}, "
                           f"not {build}")
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    for parent in [where] + list(where.parents)[:2]:
        parent.chmod(0o755)
    linux, kfault = where / "linux", where / "kfault"
    # the other kernels the side boots start from the stock ones' objects too
    more = ([suites_build(ctx.boot)] if suites_kernel else []) + (
        [usersweep.modules_build(ctx.boot)] if ctx.target.user else [])
    ctx.runner.copy_tree(ctx.boot.kdir, linux, str(build.relative_to(ctx.boot.kdir)),
                         *(str(m.relative_to(ctx.boot.kdir)) for m in more))
    ctx.runner.copy_checkout(ctx.checkout.repo, kfault)
    for root, patches in ((kfault, checkout), (linux, kernel)):
        said = ctx.runner.apply_patches(root, patches) if patches else None
        if said:
            shutil.rmtree(where)
            raise HarnessError(f"{what} does not apply to "
                               f"{ctx.checkout.repo if root == kfault else ctx.boot.kdir}: {said}; "
                               "nothing was changed")
    (kfault / UNTRUSTED).write_text("a kfault review's patched copy: built and booted "
                                    "unprivileged\n")
    copied = linux / build.relative_to(ctx.boot.kdir)      # in the copy's farm
    side = dataclasses.replace(ctx, checkout=Checkout(kfault), boot=dataclasses.replace(
        ctx.boot, kdir=linux, build_dir=copied, run_as=run_as))
    if run_as:
        # every kernel the side builds: the default one, a user-space target's
        # modules kernel, the suites' own
        for one in dict.fromkeys([copied, side_build(side)]
                                 + [linux / m.relative_to(ctx.boot.kdir) for m in more]):
            one.mkdir(parents=True, exist_ok=True)
            ctx.runner.give(one, *run_as)
        ctx.runner.give(kfault, *run_as)
    return side


MAX_SUITES = 6


@dataclass(frozen=True)
class Selection:
    """The any-suite sweeps a review runs, and those it does not, with why."""

    swept: tuple[suite_sources.Covering, ...]
    not_built: tuple[suite_sources.Covering, ...]   # no object in the review's kernel
    left_out: tuple[suite_sources.Covering, ...]    # past the most, or not named
    most: int = MAX_SUITES
    only: str = ""                                  # --suite GLOB

    def said(self) -> list[str]:
        """One line per suite: what covers what, and what was not swept."""
        out = [f"swept {c.suite} ({c.reason}: {c.touched})" for c in self.swept]
        out += [f"not swept: {c.suite} ({c.reason}: {c.touched}) is not built in the "
                f"review's kernel ({c.file})" for c in self.not_built]
        out += [f"not swept: {c.suite} ({c.reason}: {c.touched}), "
                + (f"not named by --suite {self.only}" if self.only else
                   f"past the first {self.most}") for c in self.left_out]
        return out


def suites_build(boot: context.BootSpec) -> Path:
    """The build directory of the suite sweeps' kernel when KUNITCONFIG= gives
    one (context.suites_context): the default kernel's sibling."""
    return boot.default_build().with_name(context.SUITES_BUILD)


def built_object(build: Path, path: str, host: str | None) -> str | None:
    """The C file whose object in build holds path's code: path, or its host
    (the file that #includes it), or None when build compiles neither."""
    return next((f for f in (path, host) if f and (build / f).with_suffix(".o").is_file()),
                None)


def is_built(kdir: Path, build: Path, path: str) -> bool:
    """Does build compile path: its own object, or its includer's."""
    return built_object(build, path, context.host_of(kdir, path)) is not None


def compiled_in(kdir: Path, builds: list[Path], paths: list[str]
                ) -> tuple[dict[Path, list[str]], list[str]]:
    """Where sparse can check each touched C file (tree paths): the first of
    builds that compiles it, with the object to make there (its own, or its
    includer's), and the files none of them compiles.  sparse in a kernel
    that does not configure the file would only print its compile errors."""
    where: dict[Path, dict[str, None]] = {}
    nowhere: list[str] = []
    for tp in dict.fromkeys(paths):
        host = context.host_of(kdir, tp)
        found = next(((b, o) for b in builds if (o := built_object(b, tp, host))), None)
        if found is None:
            nowhere.append(tp)
        else:
            where.setdefault(found[0], {})[found[1][:-2] + ".o"] = None
    return {b: list(objs) for b, objs in where.items()}, nowhere


def covering_suites(ctx: Context, files: list[str], functions: list[str] = [],
                    most: int = MAX_SUITES, only: str = "",
                    kunitconfig: Path | None = None) -> Selection:
    """The KUnit suites of the tree that exercise the touched kernel files,
    closest first (suite_sources.covering): a suite not built in the review's
    kernel is named as not swept, and so is every one past the most (MAX_SUITES
    unless --suites says).  kunitconfig: the suites' kernel is that one
    (KUNITCONFIG=: all_tests.config builds suites the default kernel lacks)."""
    if not files:
        return Selection((), (), ())
    sources = {str(p.relative_to(ctx.boot.kdir)): p.read_text(errors="replace")
               for p in ctx.runner.files_containing(ctx.boot.kdir, "kunit_suite", (".c",))}
    by_module = {path: context.named_suites(ctx.boot.kdir, path, text)
                 for path, text in sources.items() if suite_sources.NAMED_BY_MODULE in text}
    found = suite_sources.covering(files, functions, sources, by_module)
    build = suites_build(ctx.boot) if kunitconfig is not None else ctx.boot.default_build()
    built = [c for c in found if is_built(ctx.boot.kdir, build, c.file)]
    not_built = tuple(c for c in found if c not in built)
    if only:
        # --suite GLOB: the covering suites it names, the others left out; and
        # the built suites it names that no reason of ours ties to the patch
        # (a logic fix in fs/proc/proc_sysctl.c that kernel/sysctl-test.c runs)
        named = [c for c in built if fnmatch.fnmatchcase(c.suite, only)]
        covered = {c.suite for c in found}
        named += [suite_sources.Covering(name, path, suite_sources.NAMED, only)
                  for path, text in sorted(sources.items()) if is_built(ctx.boot.kdir, build, path)
                  for name in context.named_suites(ctx.boot.kdir, path, text)
                  if name not in covered and fnmatch.fnmatchcase(name, only)]
        if not named:
            raise HarnessError(f"--suite {only!r} names no suite this kernel builds; those "
                               f"that cover the patch: "
                               f"{', '.join(c.suite for c in built) or 'none built'}")
        return Selection(tuple(named[:most]), not_built,
                         tuple(c for c in built if c not in named[:most]), most, only)
    return Selection(tuple(built[:most]), not_built, tuple(built[most:]), most)


def tree_path(checkout: Checkout, path: str) -> str:
    """A patched path as the kernel tree names it (this checkout is linked in
    at drivers/misc/kfault)."""
    return f"drivers/misc/{tree.LINK_NAME}/{path}" if in_checkout(checkout, path) else path


def coverage_plan(ctx: Context, files: list[str]) -> gcov.Plan:
    """The touched C files the patched side's coverage build instruments (ctx:
    the patched side), each with its directory's Makefile to check."""
    makefiles = {}
    paths = [tree_path(ctx.checkout, f) for f in files]
    hosts = {f: h for f in paths if f.endswith(".c") and (h := context.host_of(ctx.boot.kdir, f))}
    for tp in paths:
        # the file's Makefile, and its includer's when that is a directory up
        dirs = dict.fromkeys((ctx.boot.kdir / x).parent for x in (tp, hosts.get(tp)) if x)
        text = [(d / n).read_text(errors="replace") for d in dirs for n in ("Makefile", "Kbuild")
                if (d / n).is_file()]
        makefiles[tp] = "\n".join(text)
    return gcov.plan(paths, makefiles, hosts)


def compiled_alike(ctx: Context, base: Context, patched: Context, plan: gcov.Plan
                   ) -> tuple[Context, Context]:
    """Both sides with the coverage build's flags: gcov's --coverage changes
    gcc's inlining and so the call paths stable ids are made of (a base built
    without it gave iov_iter's leaks other ids: "8 new" that both sides had).
    The base's counts are not read; a base that is ctx's own tree, not a copy,
    is left as it is."""
    def covered(side: Context) -> Context:
        return dataclasses.replace(side, boot=dataclasses.replace(side.boot, coverage=plan))
    return (covered(base) if base.boot.kdir != ctx.boot.kdir else base), covered(patched)


def side_build(ctx: Context) -> Path:
    """The build directory of a side's target sweep: the modules kernel's for a
    target swept from user space, else the built-in kernel's."""
    return usersweep.modules_build(ctx.boot) if ctx.target.user else ctx.boot.default_build()


def coverage_builds(ctx: Context, kunitconfig: Path | None) -> list[Path]:
    """The build directories whose kernels a side's sweeps boot: the target's
    (side_build), the default one (the covering suites' unless KUNITCONFIG=
    gives theirs) and the suites' own kernel when it does."""
    return list(dict.fromkeys(
        [side_build(ctx), ctx.boot.default_build()]
        + ([suites_build(ctx.boot)] if kunitconfig is not None else [])))


def hunk_coverage(ctx: Context, plan: gcov.Plan, hunks: list[diff.Hunk],
                  builds: list[Path] | None = None
                  ) -> dict[diff.Hunk, linecov.HunkLines | str]:
    """What the patched side's gcov counts say of each hunk, or why they say
    nothing (ctx: the patched side, after its sweeps; builds: where its
    kernels were built, side_build's alone unless said)."""
    builds = builds or [side_build(ctx)]
    texts: dict[str, str | None] = {}
    docs = []
    for build in builds:
        for f, text in ctx.runner.gcov_json(build, list(plan.objects)).items():
            if text is None:
                texts.setdefault(f, None)
                continue
            texts[f] = text
            try:
                docs.append(linecov.parse(text, str(build), str(ctx.boot.srctree)))
            except linecov.CoverageError as err:
                raise HarnessError(f"gcov on {f} in {build}: {err}") from None
    counts = linecov.merge(docs)
    refused = dict(plan.refused)
    out: dict[diff.Hunk, linecov.HunkLines | str] = {}
    for h in hunks:
        tp = tree_path(ctx.checkout, h.path)
        if tp in refused:
            out[h] = f"not measured: {refused[tp]}"
        elif tp not in plan.files:
            out[h] = "not measured"
        elif all(texts.get(o) is None for o in plan.objects_of(tp)):
            out[h] = ("not measured: its counts were not written (the kernel did not "
                      "exit cleanly?)" if any((b / o).with_suffix(".gcno").is_file()
                                              for b in builds for o in plan.objects_of(tp))
                      else "not measured: not built in the review's kernel")
        else:
            out[h] = linecov.hunk_lines(h, counts.get(tp, {}))
    return out


def touches_target(ctx: Context, files: list[str]) -> bool:
    """Does the patch change the target: this checkout, or its source directories?"""
    dirs = tuple(d.rstrip("/") + "/" for d in ctx.target.srcdirs)
    return any(in_checkout(ctx.checkout, f) or f.startswith(dirs) for f in files)


def side_file(ctx: Context, path: str) -> Path:
    """A touched file (as the patch names it) in a side's copy: the checkout's
    or the kernel tree's."""
    return ctx.checkout.repo / path if in_checkout(ctx.checkout, path) else ctx.boot.kdir / path


def series_change(parsed: diff.Patch, base: Context, patched: Context) -> diff.Patch:
    """A series' hunks and added lines as the net change from the base's copy
    to the patched one (diff.net), numbered as the patched files are."""
    def text(ctx: Context, path: str) -> str:
        f = side_file(ctx, path)
        return f.read_text(errors="replace") if f.is_file() else ""
    net = diff.net({f: (text(base, f), text(patched, f)) for f in parsed.files})
    return dataclasses.replace(parsed, added=net.added, hunks=net.hunks)


def hunk_functions(ctx: Context, parsed: diff.Patch
                   ) -> list[tuple[diff.Hunk, tuple[str, ...]]]:
    """Each hunk and its functions: the patched file's functions at the
    hunk's changed lines (diff.hunk_functions), else git's name for it."""
    out = []
    for h in parsed.hunks:
        fns: tuple[str, ...] = (h.function,) if h.function else ()
        path = side_file(ctx, h.path)
        if path.suffix == ".c" and path.is_file():
            fns = diff.hunk_functions(path.read_text(errors="replace"), h) or fns
        out.append((h, fns))
    return out


def revisions(ctx: Context, base: str, head: str, out: Path) -> tuple[Path, Path, Path]:
    """For BASE=/HEAD= in a git kernel tree: the patch that takes its work tree to
    each revision (applied to a copy of it), and the diff BASE..HEAD reviewed."""
    if not (ctx.boot.kdir / ".git").exists():
        raise HarnessError(f"BASE=/HEAD= need KDIR to be a git work tree: {ctx.boot.kdir} is not")
    out.mkdir(parents=True, exist_ok=True)
    to_base, to_head, reviewed = out / "to-base.patch", out / "to-head.patch", \
        out / "base-head.patch"
    to_base.write_text(ctx.runner.git_diff(ctx.boot.kdir, ["-R", base]))
    to_head.write_text(ctx.runner.git_diff(ctx.boot.kdir, ["-R", head]))
    text = ctx.runner.git_diff(ctx.boot.kdir, [base, head])
    if not text.strip():
        raise HarnessError(f"BASE={base} and HEAD={head} have the same tree: nothing to review")
    reviewed.write_text(text)
    return to_base, to_head, reviewed


def target_sweep(ctx: Context, files: list[str], named: bool) -> tuple[bool, str]:
    """Does the review sweep its target, and the line that says why: when the
    patch touches it, or when TARGET= names it (a fix in core code the target's
    operations run: lib/idr.c under netdevsim)."""
    name = ctx.target.name
    if touches_target(ctx, files):
        return True, f"swept the target {name} (the patch touches it)"
    if named:
        return True, f"swept the target {name} (TARGET= names it; the patch touches none of it)"
    return False, f"not swept: the target {name} (the patch touches none of it)"


def review_revisions(ctx: Context, base: str, head: str, max_boots: int) -> Outcome:
    """make review BASE= HEAD=: the tree at each revision, built and swept in a copy."""
    to_base, to_head, reviewed = revisions(ctx, base, head, (ctx.out / "review").resolve())
    return review(ctx, reviewed, max_boots, base_kernel=to_base, head_kernel=to_head,
                  title=f"{base}..{head}")


def review(ctx: Context, patch: Path, max_boots: int, on: list[Path] = [],
           base_kernel: Path | None = None, head_kernel: Path | None = None,
           title: str = "", suites: int = MAX_SUITES, only: str = "",
           named: bool = False, kunitconfig: Path | None = None) -> Outcome:
    """on: patches the base has first (to review a fix of a bug they add).
    named: the target was named (TARGET=): sweep it even when the patch touches
    none of its files (a fix in the core code the target's ops run).
    kunitconfig: the covering suites are swept in that kernel (KUNITCONFIG=),
    on both sides.
    base_kernel, head_kernel: instead, the patches that take the kernel tree to
    the base and to the head (BASE=/HEAD=); patch is then only read."""
    patches = patch_files(patch)
    base_patches = [p for path in on for p in patch_files(path)]
    parsed = diff.parse("\n".join(p.read_text(errors="replace") for p in patches))
    if not parsed.files:
        raise HarnessError(f"PATCH={patch}: no diff in it (want a unified diff, git "
                           "format-patch output or an mbox of them)")
    if base_kernel is not None and head_kernel is not None:
        nonempty = [p for p in (base_kernel, head_kernel) if p.read_text().strip()]
        base_ctx = patched_side(ctx, scratch_root(ctx.out, "base"), [],
                                [base_kernel] if base_kernel in nonempty else [], "BASE")
        patched_ctx = patched_side(ctx, scratch_root(ctx.out, "patched"), [],
                                   [head_kernel] if head_kernel in nonempty else [], "HEAD")
        return _compare(ctx, title or patch.name, parsed, base_ctx, patched_ctx, max_boots,
                        [patch], suites, only, named, kunitconfig)
    kinds: dict[Path, bool] = {}
    for p in patches + base_patches:
        touched = diff.parse(p.read_text(errors="replace")).files
        ours = {in_checkout(ctx.checkout, f) for f in touched}
        if len(ours) > 1:
            raise HarnessError(f"{p.name} touches this checkout and the kernel tree: split it")
        kinds[p] = ours == {True}
    out = (ctx.out / "review").resolve()
    out.mkdir(parents=True, exist_ok=True)
    # the base is a copy too, even with nothing to apply: it is compiled as
    # the patched side is (gcov's flags change gcc's inlining, and with it
    # the call paths the stable ids are made of)
    base_ctx = patched_side(ctx, scratch_root(ctx.out, "base"),
                            [p for p in base_patches if kinds[p]],
                            [p for p in base_patches if not kinds[p]],
                            "the base's patches" if base_patches else "the base",
                            kunitconfig is not None)
    mine = base_patches + patches
    patched_ctx = patched_side(ctx, scratch_root(ctx.out, "patched"), [p for p in mine if kinds[p]],
                               [p for p in mine if not kinds[p]], f"PATCH={patch}",
                               kunitconfig is not None)
    return _compare(ctx, title or patch.name, parsed, base_ctx, patched_ctx, max_boots,
                    patches, suites, only, named, kunitconfig)


def _compare(ctx: Context, title: str, parsed: diff.Patch, base_ctx: Context,
             patched_ctx: Context, max_boots: int, reviewed: list[Path],
             most: int = MAX_SUITES, only: str = "", named: bool = False,
             kunitconfig: Path | None = None) -> Outcome:
    """Sweep both sides, compare them by stable id, write and print review.md."""
    out = (ctx.out / "review").resolve()
    run_as = patched_ctx.boot.run_as
    who = f"uid {run_as[0]} ({REVIEW_USER})" if run_as else "this user"
    print(f"review: {title} applied to copies in "
          f"{patched_ctx.checkout.repo.parent}; touched: {', '.join(parsed.files)}; the patched "
          f"kernel builds and boots as {who}", flush=True)
    if len(reviewed) > 1:           # a series: its hunks as the net change
        parsed = series_change(parsed, base_ctx, patched_ctx)
    hunks = hunk_functions(patched_ctx, parsed)
    kernel_files = [f for f in parsed.files if not in_checkout(ctx.checkout, f)]
    selection = covering_suites(ctx, kernel_files, [fn for _, fns in hunks for fn in fns],
                                most, only, kunitconfig)
    suites = [c.suite for c in selection.swept]
    own, target_said = target_sweep(ctx, list(parsed.files), named)
    swept = [target_said]
    if kernel_files:
        swept += selection.said() or ["no KUnit suite of the tree covers the touched "
                                      "kernel files"]
    for line in swept:
        print(f"review: {line}", flush=True)
    plan = coverage_plan(patched_ctx, list(parsed.files))
    for f, why in plan.refused:
        print(f"review: no line coverage of {f}: {why}", flush=True)
    if plan.files:
        for side_ctx in (base_ctx, patched_ctx):
            for build in coverage_builds(side_ctx, kunitconfig):
                ctx.runner.coverage_setup(build, gcov.LIBGCOV)
        base_ctx, patched_ctx = compiled_alike(ctx, base_ctx, patched_ctx, plan)
        print(f"review: both kernels compile {', '.join(plan.files)} with gcov's "
              "line counts (the patched side's are read; a file it does not build is named "
              "as not measured)", flush=True)
    docs: dict[str, dict[str, Any]] = {}
    cut: list[str] = []
    try:
        for side, side_ctx in (("base", base_ctx), ("patched", patched_ctx)):
            print(f"review: sweeping the {side} copy", flush=True)
            doc: dict[str, Any] = {"points": [], "baselines": []}
            if own and side_ctx.target.user:    # swept from user space, in the modules kernel
                doc = _swept(usersweep.user_sweep(dataclasses.replace(side_ctx, out=out / side),
                                                  True, max_boots), f"the {side} target", cut)
            elif own:
                doc = _swept(sweep.sweep(dataclasses.replace(side_ctx, out=out / side), True,
                                         max_boots), f"the {side} target", cut)
            # each sweep's kmemleak scan is compared on its own (baseline.kmemleak_results)
            scans = [dict(doc["kmemleak"], sweep=ctx.target.name)] \
                if isinstance(doc.get("kmemleak"), dict) else []
            doc = dict(doc, kmemleak=None)
            for name in suites:     # a suite's points are 'suite.case' operations of their own
                try:
                    more = _swept(sweep.sweep(context.suites_context(
                        dataclasses.replace(side_ctx, out=out / f"{side}-{name}"), name,
                        kunitconfig),
                        True, max_boots), f"{name} on the {side} side", cut)
                except sweep.NoCases:
                    # its file is built, the suite itself is not (its own #if)
                    cut.append(f"not swept: {name} on the {side} side has no case in this "
                               "kernel (compiled out; KUNITCONFIG= can add its kunitconfig)")
                    continue
                doc = dict(doc, points=list(doc["points"]) + list(more["points"]),
                           baselines=list(doc["baselines"]) + list(more["baselines"]))
                if isinstance(more.get("kmemleak"), dict):
                    scans.append(dict(more["kmemleak"], sweep=name))
            docs[side] = dict(doc, kmemleaks=scans)
    finally:
        tree.link(ctx.boot.kdir, ctx.checkout.repo)
    lines = hunk_coverage(patched_ctx, plan, [h for h, _ in hunks],
                          coverage_builds(patched_ctx, kunitconfig))
    vmlinux = patched_ctx.boot.vmlinux
    if patched_ctx.boot.run_as and vmlinux.is_file():
        print(f"review: the patched vmlinux is owned by uid {vmlinux.stat().st_uid}", flush=True)
    base, patched = docs["base"], docs["patched"]
    for line in cut:
        print(f"review: {line}", flush=True)
    swept += cut
    cmp = baseline.compare(patched, base)
    checks = ctx.runner.checkpatch(ctx.boot.kdir, reviewed)
    # sparse on the touched C files, each in a patched kernel that compiles it
    touched_c = [tree_path(ctx.checkout, f) for f in parsed.files if f.endswith(".c")]
    where, nowhere = compiled_in(patched_ctx.boot.kdir,
                                 coverage_builds(patched_ctx, kunitconfig), touched_c)
    said: list[str] | None = []
    for build, objects in where.items():
        found = ctx.runner.sparse(patched_ctx.boot.srctree, build, objects,
                                  patched_ctx.boot.run_as)
        said = None if found is None or said is None else said + found
    if said is not None:
        said += [f"{tp}: not checked: no kernel this review built compiles it"
                 for tp in nowhere]
    for root in (patched_ctx.checkout.repo, patched_ctx.boot.kdir):
        checks = [c.replace(str(root) + "/", "") for c in checks]
        said = None if said is None else [c.replace(str(root) + "/", "") for c in said]
    rerun = (f"make -C {patched_ctx.checkout.repo} KDIR={patched_ctx.boot.kdir} "
             f"BUILD_DIR={patched_ctx.boot.default_build()} ")
    if said is None:
        said = ["sparse is not installed (make setup installs it)"]
    # sparse names files from the build directory: ../drivers/misc/kfault/module/x.c
    said = [x.replace(f"../drivers/misc/{tree.LINK_NAME}/", "").replace("../", "")
            for x in said]
    uses = review_doc.hunk_uses(hunks, patched, lines)
    md = review_doc.markdown(title, parsed, cmp, base, patched, checks, rerun,
                             said if touched_c else None, uses, swept)
    out.mkdir(parents=True, exist_ok=True)
    (out / "review.md").write_text("\n".join(md) + "\n")
    (out / "review.json").write_text(json.dumps(review_doc.as_json(
        title, parsed, cmp, uses, swept, checks, said if touched_c else None), indent=2) + "\n")
    print("\n".join(md))
    verdict = review_doc.verdict(cmp, uses)
    print(f"review: {review_doc.counts(cmp)}; {verdict}; {out / 'review.md'}, review.json")
    code = EXIT_NEW if cmp.new else EXIT_INCONCLUSIVE if verdict == review_doc.INCONCLUSIVE \
        else 0
    return Outcome(code, out=out)
