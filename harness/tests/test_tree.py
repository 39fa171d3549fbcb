"""kfault's view of a kernel tree (checkout/tree.py): the tree itself stays as it is."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from kfault.checkout import tree
from kfault.errors import HarnessError

REPO = Path(__file__).resolve().parents[2]


def snapshot(kdir: Path) -> dict[str, str]:
    """Every file and symlink of the tree but kfault's farm, with its content."""
    out = {}
    for path in sorted(kdir.rglob("*")):
        rel = str(path.relative_to(kdir))
        if rel.startswith((tree.FARM, ".git/")) or rel == ".git":
            continue
        out[rel] = (f"-> {os.readlink(path)}" if path.is_symlink()
                    else "dir" if path.is_dir() else path.read_text())
    return out


def test_link_leaves_the_tree_as_it_was_and_builds_a_farm(fake_tree: Path) -> None:
    before = snapshot(fake_tree)
    changed = tree.link(fake_tree, REPO)
    assert snapshot(fake_tree) == before
    farm = tree.farm(fake_tree)
    link = farm / "drivers/misc/kfault"
    assert link.is_symlink() and link.resolve() == REPO
    assert 'source "drivers/misc/kfault/Kconfig"' in (farm / "drivers/misc/Kconfig").read_text()
    assert "obj-y += kfault/" in (farm / "drivers/misc/Makefile").read_text()
    # everything else is the tree's own, through relative links
    assert os.readlink(farm / "Kbuild") == "../Kbuild"
    assert (farm / "Kbuild").resolve() == (fake_tree / "Kbuild").resolve()
    # kunit.py finds its tree by its realpath: it is a file of the farm
    kunit_py = farm / tree.KUNIT_PY
    assert not kunit_py.is_symlink() and kunit_py.read_text() == "# kunit.py\n"
    assert any("drivers/misc/kfault ->" in c for c in changed)


def test_link_is_idempotent(fake_tree: Path) -> None:
    tree.link(fake_tree, REPO)
    assert tree.link(fake_tree, REPO) == []


def test_the_users_edits_show_through(fake_tree: Path) -> None:
    farm = tree.farm(fake_tree)
    tree.link(fake_tree, REPO)
    (fake_tree / "Kbuild").write_text("obj-y += init/ kernel/\n")
    assert (farm / "Kbuild").read_text() == "obj-y += init/ kernel/\n"      # at once
    (fake_tree / "drivers/misc/Kconfig").write_text('menu "Misc"\nendmenu\n')
    (fake_tree / "drivers/misc/new").mkdir()
    changed = tree.link(fake_tree, REPO)                                 # at the next link
    assert (farm / "drivers/misc/Kconfig").read_text().startswith('menu "Misc"\nendmenu\n')
    assert (farm / "drivers/misc/new").resolve() == (fake_tree / "drivers/misc/new").resolve()
    assert changed


def test_a_git_tree_stays_clean(fake_tree: Path) -> None:
    (fake_tree / ".gitignore").write_text(".*\n!.gitignore\n")      # as the kernel's
    git = ["git", "-C", str(fake_tree), "-c", "user.email=k@f", "-c", "user.name=kfault"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "tree"], check=True)
    tree.link(fake_tree, REPO)
    (tree.farm(fake_tree) / ".kunit-kfault").mkdir()       # a build directory
    status = subprocess.run(git + ["status", "--porcelain", "--ignored=no"], check=True,
                            capture_output=True, text=True).stdout
    assert status == ""


def test_unlink_keeps_the_build_directories(fake_tree: Path) -> None:
    before = snapshot(fake_tree)
    tree.link(fake_tree, REPO)
    farm = tree.farm(fake_tree)
    (farm / ".kunit-kfault").mkdir()
    tree.unlink(fake_tree)
    assert snapshot(fake_tree) == before
    assert sorted(p.name for p in farm.iterdir()) == [".kunit-kfault"]


def test_an_earlier_kfaults_edits_of_the_tree_are_undone(fake_tree: Path) -> None:
    before = snapshot(fake_tree)
    (fake_tree / "drivers/misc/kfault").symlink_to(REPO)
    for edit in tree.EDITS:
        path = fake_tree / edit.relpath
        path.write_text(tree.add_lines(path.read_text(), edit.line))
    changed = tree.link(fake_tree, REPO)
    assert snapshot(fake_tree) == before
    assert any("an earlier kfault" in c for c in changed)


def test_link_repoints_a_stale_symlink(fake_tree: Path, tmp_path: Path) -> None:
    old = tmp_path / "old-checkout"
    old.mkdir()
    tree.link(fake_tree, old)
    tree.link(fake_tree, REPO)
    assert (tree.farm(fake_tree) / "drivers/misc/kfault").resolve() == REPO


def test_link_refuses_to_replace_a_real_directory(fake_tree: Path) -> None:
    tree.link(fake_tree, REPO)
    link = tree.farm(fake_tree) / "drivers/misc/kfault"
    link.unlink()
    link.mkdir()
    with pytest.raises(HarnessError, match="not kfault's symlink"):
        tree.link(fake_tree, REPO)


def test_missing_tree_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="make setup"):
        tree.link(tmp_path / "nope", REPO)
    with pytest.raises(HarnessError, match="make setup"):
        tree.hold(tmp_path / "nope", REPO)


def test_non_kernel_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="not a kernel source tree"):
        tree.link(tmp_path, REPO)


def _holder(kdir: Path, repo: Path) -> int:
    """A process that holds repo's lock on kdir until killed."""
    pid = os.fork()
    if pid == 0:
        try:
            tree.hold(kdir, repo)
            time.sleep(60)
        finally:
            os._exit(0)
    lock = tree.farm(kdir) / tree._lock_name(repo)
    for _ in range(500):
        if lock.is_file() and f"(pid {pid})" in lock.read_text():
            break
        time.sleep(0.01)
    return pid


def test_a_second_checkout_at_the_same_time_gets_one_line(fake_tree: Path,
                                                          tmp_path: Path) -> None:
    other = tmp_path / "other-checkout"
    other.mkdir()
    pid = _holder(fake_tree, other)
    try:
        with pytest.raises(HarnessError, match=f"in use by kfault of {other}"):
            tree.hold(fake_tree, REPO)
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    tree.hold(fake_tree, REPO)          # it ended: the tree is ours


def test_one_checkout_may_run_twice_at_once(fake_tree: Path) -> None:
    pid = _holder(fake_tree, REPO.parent / "a-checkout")
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pid = _holder(fake_tree, REPO)
    try:
        tree.hold(fake_tree, REPO)      # shards of one nightly: same checkout
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
