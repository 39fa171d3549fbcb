"""Linking this repository into a kernel tree, and undoing it.

The tree gets exactly three changes, all marked and all removed by unlink():
a symlink ``drivers/misc/kfault`` pointing at this repository, one
``source`` line at the end of ``drivers/misc/Kconfig`` and one ``obj-``
line at the end of ``drivers/misc/Makefile``.  Nothing is copied, so the
tree always builds the checkout's current sources.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import HarnessError

MARKER = "# kfault-link: added by kfault's 'make link', removed by 'make unlink'"
LINK_NAME = "kfault"


@dataclass(frozen=True)
class TreeEdit:
    """One line appended to one tree file."""

    relpath: str
    line: str


EDITS = (
    TreeEdit("drivers/misc/Kconfig", f'source "drivers/misc/{LINK_NAME}/Kconfig"'),
    TreeEdit("drivers/misc/Makefile", f"obj-y += {LINK_NAME}/"),
)
# lines earlier versions added: link() replaces them, unlink() removes them
STALE = (TreeEdit("drivers/misc/Makefile", f"obj-$(CONFIG_REFDEV) += {LINK_NAME}/"),)


def check_tree(kdir: Path) -> None:
    """Raise HarnessError unless kdir looks like a kernel source tree."""
    if not kdir.is_dir():
        raise HarnessError(
            f"kernel tree {kdir} does not exist: run 'make setup' or pass KDIR=/path/to/linux")
    if not (kdir / "tools/testing/kunit/kunit.py").is_file() or not (kdir / "Kbuild").is_file():
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


def link(kdir: Path, repo: Path) -> list[str]:
    """Link repo into kdir; idempotent.  Returns what was changed."""
    check_tree(kdir)
    changed: list[str] = []
    target = kdir / "drivers/misc" / LINK_NAME
    if target.is_symlink():
        if target.resolve() != repo.resolve():
            target.unlink()
    elif target.exists():
        raise HarnessError(
            f"{target} exists and is not kfault's symlink: remove it or use another KDIR")
    if not target.is_symlink():
        target.symlink_to(repo.resolve(), target_is_directory=True)
        changed.append(f"{target} -> {repo.resolve()}")
    for edit in STALE + EDITS:
        path = kdir / edit.relpath
        old = path.read_text()
        new = add_lines(old, edit.line) if edit in EDITS else remove_lines(old, edit.line)
        if new != old:
            path.write_text(new)
            changed.append(f"{path}: {'+' if edit in EDITS else '-'}{edit.line}")
    return changed


def unlink(kdir: Path) -> list[str]:
    """Undo link(); idempotent.  Returns what was changed."""
    check_tree(kdir)
    changed: list[str] = []
    target = kdir / "drivers/misc" / LINK_NAME
    if target.is_symlink():
        target.unlink()
        changed.append(f"removed {target}")
    for edit in EDITS + STALE:
        path = kdir / edit.relpath
        old = path.read_text()
        new = remove_lines(old, edit.line)
        if new != old:
            path.write_text(new)
            changed.append(f"{path}: -{edit.line}")
    return changed
