"""The kernel tree kfault builds: the user's tree, unedited, seen through a
symlink farm that adds kfault.

kfault's C side must be in the source tree Kbuild reads (its Kconfig entry in
drivers/misc/Kconfig, its directory in drivers/misc/Makefile), and a user's
git tree must stay clean.  So the tree is never edited: link() makes
KDIR/.kfault/ (ignored by the kernel's own .gitignore, which ignores ".*"),
a tree of relative symlinks to KDIR's entries, with real directories only on
the way to what differs:

- drivers/misc/Kconfig and drivers/misc/Makefile: copies with kfault's one
  line each appended (rewritten from KDIR's on every link(), so an edit of
  the user's shows);
- drivers/misc/kfault: a symlink to this checkout;
- tools/testing/kunit/kunit.py: a copy, because kunit.py finds the tree it
  builds by the realpath of its own file.

Every other file is KDIR's own through a symlink, so edits of the user's tree
are built as they are made; entries added to or removed from drivers/,
drivers/misc/ or tools/testing/kunit/ are picked up by the next link().  Build
directories go inside the farm (KDIR/.kfault/.kunit-kfault...), so that
Kbuild's srctree is ".." and objects and debug info name files as before.

Two checkouts may use one tree one after the other (link() re-points the
symlink and the build directories rebuild kfault's objects); at the same time
the second gets one line (hold(): a lock per checkout, and a tree-wide lock
while one is taken).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import HarnessError

FARM = ".kfault"
MARKER = "# kfault-link: added by kfault's 'make link', removed by 'make unlink'"
LINK_NAME = "kfault"


@dataclass(frozen=True)
class TreeEdit:
    """One line appended to one tree file (in the farm's copy of it)."""

    relpath: str
    line: str


EDITS = (
    TreeEdit("drivers/misc/Kconfig", f'source "drivers/misc/{LINK_NAME}/Kconfig"'),
    TreeEdit("drivers/misc/Makefile", f"obj-y += {LINK_NAME}/"),
)
# lines earlier versions added to the user's tree itself: link() removes them
STALE = (TreeEdit("drivers/misc/Makefile", f"obj-$(CONFIG_REFDEV) += {LINK_NAME}/"),)
KUNIT_PY = "tools/testing/kunit/kunit.py"
COPIES = tuple(e.relpath for e in EDITS) + (KUNIT_PY,)
# the farm's real directories: the way down to every copy and to the link
REAL = ("drivers", "drivers/misc", "tools", "tools/testing", "tools/testing/kunit")


def farm(kdir: Path) -> Path:
    """The tree kfault builds, for the user's tree kdir."""
    return kdir / FARM


def check_tree(kdir: Path) -> None:
    """Raise HarnessError unless kdir looks like a kernel source tree."""
    if not kdir.is_dir():
        raise HarnessError(
            f"kernel tree {kdir} does not exist: run 'make setup' or pass KDIR=/path/to/linux")
    if not (kdir / KUNIT_PY).is_file() or not (kdir / "Kbuild").is_file():
        raise HarnessError(
            f"{kdir} is not a kernel source tree (no tools/testing/kunit/kunit.py): "
            "pass KDIR=/path/to/linux")


def add_lines(text: str, line: str) -> str:
    """Return text with MARKER + line appended, unless line is already there."""
    if line in text.splitlines():
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return f"{text}{MARKER}\n{line}\n"


def remove_lines(text: str, line: str) -> str:
    """Return text without the MARKER/line pair that add_lines() appended."""
    out: list[str] = []
    for ln in text.splitlines():
        if ln == line:
            if out and out[-1] == MARKER:
                out.pop()
            continue
        out.append(ln)
    return "\n".join(out) + ("\n" if out else "")


def _undo_in_place(kdir: Path) -> list[str]:
    """What kfault before the farm added to the tree itself, removed."""
    changed: list[str] = []
    old = kdir / "drivers/misc" / LINK_NAME
    if old.is_symlink():
        old.unlink()
        changed.append(f"removed {old} (an earlier kfault's link in the tree itself)")
    for edit in EDITS + STALE:
        path = kdir / edit.relpath
        text = path.read_text()
        new = remove_lines(text, edit.line)
        if new != text:
            path.write_text(new)
            changed.append(f"{path}: -{edit.line} (an earlier kfault's line)")
    return changed


def _mirror(kdir: Path, dst: Path, rel: str, changed: list[str]) -> None:
    """dst (the farm's directory rel) holds a relative symlink to each entry of
    kdir/rel, a real directory where REAL says, and nothing the tree lacks."""
    src = kdir / rel if rel else kdir
    depth = rel.count("/") + 2 if rel else 1
    want = {e.name for e in src.iterdir() if rel or not e.name.startswith(".")}
    for have in list(dst.iterdir()):
        own = (rel == "drivers/misc" and have.name == LINK_NAME) or (
            not rel and have.name.startswith("."))      # the farm's build dirs, its locks
        if have.name not in want and not own:
            shutil.rmtree(have) if have.is_dir() and not have.is_symlink() else have.unlink()
            changed.append(f"removed {have}")
    for name in sorted(want):
        sub = f"{rel}/{name}" if rel else name
        path = dst / name
        if sub in REAL:
            if path.is_symlink():
                path.unlink()
            path.mkdir(exist_ok=True)
            _mirror(kdir, path, sub, changed)
        elif sub in COPIES:
            continue
        else:
            target = "../" * depth + sub
            if path.is_symlink() and os.readlink(path) == target:
                continue
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            path.symlink_to(target)
            changed.append(f"{path} -> {target}")


def _write(path: Path, text: str, changed: list[str], mode: int | None = None) -> None:
    if path.is_symlink():
        path.unlink()
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
        changed.append(f"wrote {path}")
    if mode is not None:
        path.chmod(mode)


def link(kdir: Path, repo: Path) -> list[str]:
    """Make or refresh kdir's farm with repo linked in; idempotent.  Returns
    what was changed (nothing of kdir itself, but what an earlier kfault
    added to it)."""
    check_tree(kdir)
    changed = _undo_in_place(kdir)
    top = farm(kdir)
    top.mkdir(exist_ok=True)
    _mirror(kdir, top, "", changed)
    for edit in EDITS:
        _write(top / edit.relpath, add_lines(remove_lines(
            (kdir / edit.relpath).read_text(), edit.line), edit.line), changed)
    _write(top / KUNIT_PY, (kdir / KUNIT_PY).read_text(), changed,
           (kdir / KUNIT_PY).stat().st_mode & 0o777)
    target = top / "drivers/misc" / LINK_NAME
    if target.is_symlink() and target.resolve() != repo.resolve():
        target.unlink()
    if target.exists() and not target.is_symlink():
        raise HarnessError(f"{target} exists and is not kfault's symlink: remove it")
    if not target.is_symlink():
        target.symlink_to(repo.resolve(), target_is_directory=True)
        changed.append(f"{target} -> {repo.resolve()}")
    return changed


def unlink(kdir: Path) -> list[str]:
    """Undo link(): the farm goes, but for its build directories (make clean
    removes those), and so does what an earlier kfault added to kdir itself."""
    check_tree(kdir)
    changed = _undo_in_place(kdir)
    top = farm(kdir)
    gone = [e for e in top.iterdir() if not e.name.startswith(".")] if top.is_dir() else []
    for entry in gone:
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    if gone:
        changed.append(f"removed the links of {top} (its build directories stay)")
    return changed


_HELD: list[IO[str]] = []


def _lock_name(repo: Path) -> str:
    return ".lock-" + hashlib.sha1(str(repo.resolve()).encode()).hexdigest()[:12]


def hold(kdir: Path, repo: Path) -> None:
    """Take this checkout's lock on kdir's farm until this process ends; one
    line if another checkout holds its own now (it builds and boots there)."""
    check_tree(kdir)
    top = farm(kdir)
    top.mkdir(exist_ok=True)
    mine = top / _lock_name(repo)
    ours = {Path(f.name) for f in _HELD}       # this process's own (calibrate's copies)
    if mine in ours:
        return
    with (top / ".lock").open("a") as tree_lock:
        fcntl.flock(tree_lock, fcntl.LOCK_EX)
        for other in sorted(top.glob(".lock-*")):
            if other == mine or other in ours:
                continue
            with other.open("r+") as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    who = f.read().strip() or "another checkout"
                    raise HarnessError(f"{kdir} is in use by kfault of {who}: wait for it to "
                                       "end, or use another KDIR") from None
                fcntl.flock(f, fcntl.LOCK_UN)
        held = mine.open("a+")
        fcntl.flock(held, fcntl.LOCK_SH)
        held.seek(0)
        held.truncate()
        held.write(f"{repo.resolve()} (pid {os.getpid()})\n")
        held.flush()
        _HELD.append(held)
