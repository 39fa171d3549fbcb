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


def review(ctx: Context, patch: Path, max_boots: int, on: list[Path] = []) -> int:
    """on: patches the base has first (to review a fix of a bug they add)."""
    patches = patch_files(patch)
    base_patches = [p for path in on for p in patch_files(path)]
    text = "\n".join(p.read_text(errors="replace") for p in patches)
    parsed = review_mod.parse(text)
    if not parsed.files:
        raise HarnessError(f"PATCH={patch}: no diff in it (want a unified diff, git "
                           "format-patch output or an mbox of them)")
    out = (ctx.out / "review").resolve()     # kunit.py and the tree's link need it whole
    out.mkdir(parents=True, exist_ok=True)
    base_tree = ctx.repo
    if base_patches:
        base_tree = out / "base-tree"
        scratch_copy(ctx, base_tree, base_patches, "the base's patches")
    scratch = out / "tree"
    copied = scratch_copy(ctx, scratch, base_patches + patches, f"PATCH={patch}")
    print(f"review: {len(patches)} patch(es) applied to a copy of {copied} files in "
          f"{scratch}; touched: {', '.join(parsed.files)}", flush=True)
    base_out, patched_out = out / "base", out / "patched"
    try:
        print("review: sweeping the base", flush=True)
        sweep.sweep(dataclasses.replace(ctx, repo=base_tree, out=base_out), True, max_boots)
        print("review: sweeping the patched copy", flush=True)
        sweep.sweep(dataclasses.replace(ctx, repo=scratch, out=patched_out), True, max_boots)
    finally:
        tree.link(ctx.kdir, ctx.repo)
    base, patched = _report(base_out), _report(patched_out)
    cmp = baseline.compare(patched, base)
    touched = [scratch / f for f in parsed.files
               if f.endswith((".c", ".h")) and (scratch / f).is_file()]
    checks = ctx.runner.checkpatch(ctx.kdir, touched)
    lines = review_mod.markdown(patch.name, parsed, cmp, base, patched,
                                [c.replace(str(scratch) + "/", "") for c in checks],
                                str(scratch))
    (out / "review.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"review: {len(cmp.new)} new, {len(cmp.fixed)} fixed, {len(cmp.unchanged)} "
          f"unchanged; {out / 'review.md'}")
    return EXIT_NEW if cmp.new else 0
