"""'make modules-test' on the console of a real modules boot (2026-12-01):
refdev.ko and refdev_kunit.ko loaded, their suites run, unloaded, kmemleak."""
from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from kfault.commands import modules
from kfault.commands.context import Context
from kfault.errors import HarnessError

from .test_flows import DATA, make
from .test_usersweep import ReplayRunner

KDIR = Path(os.environ.get("KDIR") or Path.home() / ".cache/kfault/linux-source-6.12")
CAPTURED = "/root/.cache/kfault/linux-source-6.12/.kunit-kfault-modules"


class BootRunner(ReplayRunner):
    """Its build succeeds (ReplayRunner's) and its UML boot prints the captured
    console, with the build directory's paths those of this test's tree."""

    def __init__(self, build: Path, edit: Callable[[str], str] = lambda t: t,
                 status: int | None = 0) -> None:
        super().__init__([])
        self.build, self.edit, self.status = build, edit, status

    def boot_uml(self, kernel: Path, args: list[str], log: Path, timeout: int,
                 on_start: Callable[[int], None] | None = None,
                 run_as: tuple[int, int] | None = None) -> int | None:
        text = (DATA / "modules_boot_console.log").read_text().replace(CAPTURED, str(self.build))
        log.write_text(self.edit(text))
        return self.status


def context(fake_tree: Path, tmp_path: Path, runner: BootRunner) -> Context:
    """The fake tree with the real kunit_tool (its parser reads the KTAP)."""
    ctx, _ = make(fake_tree, tmp_path, [])
    tool = fake_tree / "tools/testing/kunit"
    if not tool.is_symlink():
        shutil.rmtree(tool)
        tool.symlink_to(KDIR / "tools/testing/kunit")
    return dataclasses.replace(ctx, runner=runner)


def test_a_clean_modules_boot_passes(fake_tree: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    build = tmp_path / "build"
    ctx = context(fake_tree, tmp_path, BootRunner(build))
    assert modules.modules_test(ctx).code == 0
    said = capsys.readouterr().out
    assert "modules: 104 KUnit results from the loaded modules (104 passed), 0 kernel " \
           "reports, kmemleak 31 object(s) (0 refdev)" in said


def test_a_boot_that_ends_early_or_hangs_fails(fake_tree: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    build = tmp_path / "build"
    # the same boot cut before rmmod: no 'done', no kmemleak report
    cut = BootRunner(build, lambda t: t[:t.index("kfault-init: rmmod")])
    assert modules.modules_test(context(fake_tree, tmp_path, cut)).code == 1
    said = capsys.readouterr().out
    assert "kfault: FAIL modules: the boot ended early: no crash line" in said
    hung = BootRunner(build, status=None)
    assert modules.modules_test(context(fake_tree, tmp_path, hung)).code == 1
    assert "kfault: FAIL modules: the boot hung: killed after 600 s" in capsys.readouterr().out


def test_a_failed_module_build_is_one_line(fake_tree: Path, tmp_path: Path) -> None:
    ctx, _ = make(fake_tree, tmp_path, [])
    with pytest.raises(HarnessError, match="the module build failed"):
        modules.modules_test(ctx)       # the fake runner's build fails: no console left
