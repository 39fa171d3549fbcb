from __future__ import annotations

import shutil
from pathlib import Path

from harness.proc import runner


def test_kunit_argv_is_the_stock_command_with_our_configs() -> None:
    req = runner.KunitRequest(kdir=Path("/k"), build_dir=Path("/b"),
                              kunitconfig_dir=Path("/r/configs"), filter_glob="refdev*",
                              use_ccache=False)
    argv = runner.kunit_argv(req)
    assert argv[1:3] == ["/k/tools/testing/kunit/kunit.py", "run"]
    assert "--kunitconfig=/r/configs" in argv
    assert "--build_dir=/b" in argv
    assert "--kernel_args=kasan_multi_shot" in argv
    assert argv[-1] == "refdev*"


def test_build_argv_has_the_config_and_no_boot_arguments() -> None:
    req = runner.KunitRequest(kdir=Path("/k"), build_dir=Path("/b"),
                              kunitconfig_dir=Path("/r/configs/modules"), command="build",
                              filter_glob="ignored", use_ccache=False)
    argv = runner.kunit_argv(req)
    assert argv[2] == "build" and "--kunitconfig=/r/configs/modules" in argv
    assert not [a for a in argv if a.startswith(("--kernel_args", "--timeout"))]
    assert "ignored" not in argv


def test_a_patched_kernel_is_built_and_booted_as_another_user() -> None:
    req = runner.KunitRequest(kdir=Path("/k"), build_dir=Path("/b"),
                              kunitconfig_dir=Path("/r/configs"), run_as=(999, 995))
    argv = runner.kunit_argv(req)
    assert argv[:5] == ["setpriv", "--reuid=999", "--regid=995", "--clear-groups", "--"]
    # the same CC as the build directory it copies: Kbuild would rebuild everything on
    # another command line (run_kunit's environment turns ccache itself off)
    assert ("--make_options=CC=ccache gcc" in argv) == bool(shutil.which("ccache"))
