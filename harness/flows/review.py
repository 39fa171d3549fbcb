"""'make review PATCH=...': what a driver patch breaks or fixes on its error
paths.  The checkout is never modified: the patch goes to a scratch copy of
it, linked into the kernel tree for the patched sweep and unlinked after
(the build directory's identity check rebuilds our objects each way).  Both
sides are swept with the target's sweep and compared by stable point id."""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

from .. import baseline, review as review_mod, tree
from ..errors import HarnessError
from . import sweep
from .context import Context

EXIT_NEW = 1


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


def _report(out: Path) -> dict[str, Any]:
    path = out / "sweep" / "report" / "report.json"
    if not path.is_file():
        raise HarnessError(f"the sweep wrote no report: {path}")
    return baseline.validate(json.loads(path.read_text()), str(path))


def scratch_copy(ctx: Context, where: Path, patches: list[Path], what: str) -> int:
    """A copy of the checkout at where with patches applied; HarnessError (and
    no copy) when one does not apply."""
    if where.exists():
        shutil.rmtree(where)
    copied = ctx.runner.copy_checkout(ctx.repo, where)
    said = ctx.runner.apply_patches(where, patches)
    if said:
        shutil.rmtree(where)
        raise HarnessError(f"{what} does not apply to {ctx.repo}: {said}; nothing was changed")
    return copied


CHECKOUT_DIRS = ("module", "kunit", "harness", "configs", "docs")


def in_checkout(ctx: Context, path: str) -> bool:
    """Is a patched path this checkout's (the driver and its suites) rather than
    the kernel tree's?"""
    return (ctx.repo / path).exists() or path.split("/")[0] in CHECKOUT_DIRS


def kernel_copy(ctx: Context, where: Path, patches: list[Path], what: str) -> Context:
    """A copy of the kernel tree at where, patched, with a copy of the build
    directory: the context that builds and boots it (make rebuilds what the
    patches changed)."""
    if where.exists():
        shutil.rmtree(where)
    build = ctx.default_build()
    if build.parent.resolve() != ctx.kdir.resolve():
        raise HarnessError(f"a kernel-tree patch needs the build directory inside KDIR "
                           f"({ctx.kdir}), not {build}")
    private = sorted({e.relpath for e in tree.EDITS + tree.STALE})
    ctx.runner.copy_tree(ctx.kdir, where, build.name, private)
    said = ctx.runner.apply_patches(where, patches)
    if said:
        shutil.rmtree(where)
        raise HarnessError(f"{what} does not apply to {ctx.kdir}: {said}; nothing was changed")
    return dataclasses.replace(ctx, kdir=where, build_dir=where / build.name)


def review(ctx: Context, patch: Path, max_boots: int, on: list[Path] = []) -> int:
    """on: patches the base has first (to review a fix of a bug they add)."""
    patches = patch_files(patch)
    base_patches = [p for path in on for p in patch_files(path)]
    text = "\n".join(p.read_text(errors="replace") for p in patches + base_patches)
    parsed = review_mod.parse("\n".join(p.read_text(errors="replace") for p in patches))
    if not parsed.files:
        raise HarnessError(f"PATCH={patch}: no diff in it (want a unified diff, git "
                           "format-patch output or an mbox of them)")
    ours = {in_checkout(ctx, f) for f in review_mod.parse(text).files}
    if len(ours) > 1:
        raise HarnessError(f"PATCH={patch} touches this checkout and the kernel tree: "
                           "review the two apart")
    kernel = ours == {False}
    out = (ctx.out / "review").resolve()     # kunit.py and the tree's link need it whole
    out.mkdir(parents=True, exist_ok=True)
    if kernel:
        base_ctx = ctx
        if base_patches:
            base_ctx = kernel_copy(ctx, out / "base-linux", base_patches, "the base's patches")
        patched_ctx = kernel_copy(ctx, out / "linux", base_patches + patches,
                                  f"PATCH={patch}")
        scratch = patched_ctx.kdir
        what = f"a copy of the kernel tree in {scratch}"
    else:
        base_tree = ctx.repo
        if base_patches:
            base_tree = out / "base-tree"
            scratch_copy(ctx, base_tree, base_patches, "the base's patches")
        scratch = out / "tree"
        copied = scratch_copy(ctx, scratch, base_patches + patches, f"PATCH={patch}")
        base_ctx = dataclasses.replace(ctx, repo=base_tree)
        patched_ctx = dataclasses.replace(ctx, repo=scratch)
        what = f"a copy of {copied} files in {scratch}"
    print(f"review: {len(patches)} patch(es) applied to {what}; touched: "
          f"{', '.join(parsed.files)}", flush=True)
    base_out, patched_out = out / "base", out / "patched"
    try:
        print("review: sweeping the base", flush=True)
        sweep.sweep(dataclasses.replace(base_ctx, out=base_out), True, max_boots)
        print("review: sweeping the patched copy", flush=True)
        sweep.sweep(dataclasses.replace(patched_ctx, out=patched_out), True, max_boots)
    finally:
        tree.link(ctx.kdir, ctx.repo)
    base, patched = _report(base_out), _report(patched_out)
    cmp = baseline.compare(patched, base)
    touched = [scratch / f for f in parsed.files
               if f.endswith((".c", ".h")) and (scratch / f).is_file()]
    checks = ctx.runner.checkpatch(ctx.kdir, touched)
    lines = review_mod.markdown(patch.name, parsed, cmp, base, patched,
                                [c.replace(str(scratch) + "/", "") for c in checks],
                                f"make KDIR={scratch} BUILD_DIR={patched_ctx.default_build()} "
                                if kernel else f"make -C {scratch} ")
    (out / "review.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"review: {len(cmp.new)} new, {len(cmp.fixed)} fixed, {len(cmp.unchanged)} "
          f"unchanged; {out / 'review.md'}")
    return EXIT_NEW if cmp.new else 0
