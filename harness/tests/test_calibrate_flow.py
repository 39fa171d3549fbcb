"""'make calibrate' with a fake runner replaying captured consoles: the correct
driver's sweep, then one defect patch applied to a scratch copy and swept."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kfault.commands import calibrate
from kfault.errors import HarnessError

from .test_flows import REPO, make


def one_defect(tmp_path: Path, name: str) -> Path:
    patches = tmp_path / "defects"
    patches.mkdir()
    (patches / f"{name}.patch").write_text(
        (REPO / f"configs/defects/refdev/{name}.patch").read_text())
    return patches


def test_a_defect_whose_finding_is_elsewhere_is_not_detected(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the correct driver: a clean sweep; the defect's sweep: the probe leak of
    # sweep_probe_leak.log, at refdev_dev.c:110 - an older line numbering
    # than probe_unwind_leak.patch's marker (154), so it is not the defect's
    ctx, runner = make(fake_tree, tmp_path, ["full_run_console.log", "sweep_probe_leak.log"])
    ctx = dataclasses.replace(ctx, target=dataclasses.replace(
        ctx.target, defect_patches=str(one_defect(tmp_path, "probe_unwind_leak"))),
        boot=dataclasses.replace(ctx.boot, kconfig_add=("CONFIG_KASAN=n",)))
    assert calibrate.calibrate_target(ctx).code == 1
    said = capsys.readouterr()
    assert "calibrate: none: ok" in said.out
    assert "calibrate: probe_unwind_leak: NOT DETECTED" in said.out
    assert "calibration failed for: probe_unwind_leak" in said.err
    table = (ctx.out / "calibrate/calibration.md").read_text()
    assert "probe_unwind_leak" in table and "refdev_dev.c:154" in table
    # each boot built the kernel with the extra config; the scratch copy is gone
    assert all("--kconfig_add=CONFIG_KASAN=n" in r.extra for r in runner.requests)
    assert not (ctx.out / "calibrate/tree").exists()


def test_no_kernel_booted_is_one_line(fake_tree: Path, tmp_path: Path) -> None:
    ctx, _ = make(fake_tree, tmp_path, [])
    with pytest.raises(HarnessError, match=r"none: kunit.py booted no kernel \(status 1\)"):
        calibrate.calibrate_target(ctx)


def test_a_target_with_no_defects_has_nothing_to_calibrate(fake_tree: Path,
                                                           tmp_path: Path) -> None:
    ctx, _ = make(fake_tree, tmp_path, [], target="netdevsim")
    with pytest.raises(HarnessError, match="no \\[defects\\] patches"):
        calibrate.calibrate_target(ctx)
