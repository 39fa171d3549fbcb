from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture
def fake_tree(tmp_path: Path) -> Path:
    """The few files of a kernel tree that linking touches."""
    kdir = tmp_path / "linux"
    (kdir / "tools/testing/kunit").mkdir(parents=True)
    (kdir / "tools/testing/kunit/kunit.py").write_text("# kunit.py\n")
    (kdir / "Kbuild").write_text("obj-y += init/\n")
    (kdir / "drivers/misc").mkdir(parents=True)
    (kdir / "drivers/misc/Kconfig").write_text(
        'menu "Misc"\nsource "drivers/misc/x/Kconfig"\nendmenu\n')
    (kdir / "drivers/misc/Makefile").write_text("obj-y += x/\n")
    return kdir


@pytest.fixture(autouse=True)
def _no_exit_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """.ci/run's KFAULT_EXIT_FILE is for real commands, not the ones tests run."""
    monkeypatch.delenv("KFAULT_EXIT_FILE", raising=False)
