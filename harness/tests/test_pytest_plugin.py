"""kfault's pytest plugin (kfault/pytest_plugin.py) in a pytest run of its own."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import kfault

DATA = Path(__file__).parent / "data"
KDIR = Path(os.environ.get("KDIR") or Path.home() / ".cache/kfault/linux-source-6.12")
PLUGIN = ("-p", "kfault.pytest_plugin", "-p", "no:cacheprovider")


@pytest.fixture(autouse=True)
def _importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pytest runs below import kfault as a pip-installed one would."""
    monkeypatch.setenv("PYTHONPATH", str(Path(kfault.__file__).parents[1]))


def test_a_console_log_is_collected_point_by_point(pytester: pytest.Pytester) -> None:
    log = pytester.path / "test.log"
    shutil.copy(DATA / "fop_open_console.log", log)
    done = pytester.runpytest_subprocess(*PLUGIN, "--kfault-kdir", str(KDIR), "-v", str(log))
    done.assert_outcomes(passed=4)
    done.stdout.fnmatch_lines(["*fop_open_fail_1_kmalloc_cache_refdev_open+0x139 PASSED*"])
    # -k selects by the names kunit.py gives
    done = pytester.runpytest_subprocess(*PLUGIN, "--kfault-kdir", str(KDIR), "-k",
                                         "kvmalloc", str(log))
    done.assert_outcomes(passed=1, deselected=3)


def test_an_unrelated_project_collects_only_its_own_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine="def test_one():\n    assert True\n")
    (pytester.path / "build.log").write_text("not ours\n")
    done = pytester.runpytest_subprocess(*PLUGIN)
    done.assert_outcomes(passed=1)
    assert done.ret == 0


def test_a_missing_log_is_one_line_and_a_usage_error(pytester: pytest.Pytester) -> None:
    done = pytester.runpytest_subprocess(*PLUGIN, "--kfault-log", "nothing/test.log")
    assert done.ret == pytest.ExitCode.USAGE_ERROR
    done.stderr.fnmatch_lines(["*--kfault-log nothing/test.log: no such file*"])
    assert "Traceback" not in done.stderr.str()


def test_a_log_without_results_is_a_usage_error(pytester: pytest.Pytester) -> None:
    log = pytester.path / "empty.log"
    log.write_text("Linux version 6.12\nno KTAP here\n")
    done = pytester.runpytest_subprocess(*PLUGIN, "--kfault-kdir", str(KDIR), str(log))
    assert done.ret == pytest.ExitCode.INTERRUPTED          # a collection error
    done.stdout.fnmatch_lines(["kfault: *empty.log holds no KTAP results"])
    assert "Traceback" not in done.stdout.str()


def test_an_unknown_target_is_one_line(pytester: pytest.Pytester) -> None:
    log = pytester.path / "test.log"
    shutil.copy(DATA / "fop_open_console.log", log)
    done = pytester.runpytest_subprocess(*PLUGIN, "--kfault-kdir", str(KDIR),
                                         "--kfault-target", "nosuch", str(log))
    assert done.ret == pytest.ExitCode.INTERRUPTED
    done.stdout.fnmatch_lines(["kfault: *nosuch*"])
    assert "Traceback" not in done.stdout.str()
