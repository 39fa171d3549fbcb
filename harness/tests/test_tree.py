from __future__ import annotations

from pathlib import Path

import pytest

from kfault.checkout import tree
from kfault.errors import HarnessError

REPO = Path(__file__).resolve().parents[2]


def snapshot(kdir: Path) -> dict[str, str]:
    return {p: (kdir / p).read_text() for p in ("drivers/misc/Kconfig", "drivers/misc/Makefile")}


def test_link_adds_symlink_and_two_lines(fake_tree: Path) -> None:
    changed = tree.link(fake_tree, REPO)
    assert len(changed) == 3
    link = fake_tree / "drivers/misc/kfault"
    assert link.is_symlink() and link.resolve() == REPO
    kconfig = (fake_tree / "drivers/misc/Kconfig").read_text()
    assert 'source "drivers/misc/kfault/Kconfig"' in kconfig
    assert "obj-y += kfault/" in (fake_tree / "drivers/misc/Makefile").read_text()


def test_link_is_idempotent(fake_tree: Path) -> None:
    tree.link(fake_tree, REPO)
    before = snapshot(fake_tree)
    assert tree.link(fake_tree, REPO) == []
    assert snapshot(fake_tree) == before


def test_unlink_restores_tree_exactly(fake_tree: Path) -> None:
    before = snapshot(fake_tree)
    tree.link(fake_tree, REPO)
    tree.unlink(fake_tree)
    assert snapshot(fake_tree) == before
    assert not (fake_tree / "drivers/misc/kfault").exists()
    assert tree.unlink(fake_tree) == []


def test_link_repoints_a_stale_symlink(fake_tree: Path, tmp_path: Path) -> None:
    old = tmp_path / "old-checkout"
    old.mkdir()
    (fake_tree / "drivers/misc/kfault").symlink_to(old)
    tree.link(fake_tree, REPO)
    assert (fake_tree / "drivers/misc/kfault").resolve() == REPO


def test_link_refuses_to_replace_a_real_directory(fake_tree: Path) -> None:
    (fake_tree / "drivers/misc/kfault").mkdir()
    with pytest.raises(HarnessError, match="not kfault's symlink"):
        tree.link(fake_tree, REPO)


def test_missing_tree_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="make setup"):
        tree.link(tmp_path / "nope", REPO)


def test_non_kernel_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="not a kernel source tree"):
        tree.link(tmp_path, REPO)
