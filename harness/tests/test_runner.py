from __future__ import annotations

import os
import time
import shutil
import tempfile
from pathlib import Path

import pytest

from kfault.proc import runner


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


def _fake_kunit(tmp_path: Path, script: str, idle: int = 0,
                max_output: int = 256 << 20) -> tuple[int, str, int]:
    """run_kunit on a kunit.py that is script: its code, its output, its group."""
    kdir = tmp_path / "linux"
    (kdir / "tools/testing/kunit").mkdir(parents=True)
    (kdir / "tools/testing/kunit/kunit.py").write_text(script)
    req = runner.KunitRequest(kdir=kdir, build_dir=tmp_path / "build",
                              kunitconfig_dir=tmp_path, use_ccache=False, idle=idle,
                              max_output=max_output)
    out = tmp_path / "boot.kunit.txt"
    started: list[int] = []
    code = runner.run_kunit(req, output=out, on_start=started.append)
    return code, out.read_text(), started[0]


def test_a_boot_that_floods_its_output_is_stopped(tmp_path: Path) -> None:
    # a kunit.py that prints without end, as a point flooding KASAN reports does
    code, text, group = _fake_kunit(
        tmp_path, "import sys\nwhile True:\n"
        "    sys.stdout.write('BUG: KASAN: use-after-free in x\\n')\n", max_output=200_000)
    assert code == runner.EXIT_FLOOD
    assert 200_000 < len(text) < 300_000
    said = runner.flood_said(text)
    assert said.startswith("console flood: the boot was stopped after ")
    assert said.endswith("bytes of output (more than 200000)")
    # the whole process group is gone
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)
    assert runner.flood_said("kfault: exit 0\n") == ""


def test_a_boot_that_goes_silent_is_stopped(tmp_path: Path) -> None:
    # a kunit.py whose kernel hangs in a point: a line, then nothing
    code, text, group = _fake_kunit(
        tmp_path, "import sys, time\nprint('Starting KUnit Kernel (1/1)...', flush=True)\n"
        "print('kfault: try op=s.c nth=3', flush=True)\ntime.sleep(600)\n", idle=1)
    assert code == runner.EXIT_IDLE
    assert text.startswith("Starting KUnit Kernel (1/1)...\nkfault: try op=s.c nth=3\n")
    assert runner.idle_said(text) == "no output for 1 s: the boot was stopped"
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)
    assert runner.idle_said("kfault: exit 0\n") == ""


def test_a_silent_build_is_not_a_hang_the_kernels_silence_is(tmp_path: Path) -> None:
    # kunit.py run builds first: 2 s of silence there are no hang at idle=1;
    # once the kernel starts (the line kunit.py prints) the watchdog counts
    code, text, _ = _fake_kunit(
        tmp_path, "import time\nprint('Building...', flush=True)\ntime.sleep(2.5)\n"
        "print('Starting KUnit Kernel (1/1)...', flush=True)\n"
        "print('kfault: try op=s.c nth=3', flush=True)\ntime.sleep(600)\n", idle=1)
    assert code == runner.EXIT_IDLE
    assert text.splitlines()[:3] == ["Building...", "Starting KUnit Kernel (1/1)...",
                                     "kfault: try op=s.c nth=3"]


def _kunit_py_booting(kernel: str, before: str = "", after: str = "") -> str:
    """A fake kunit.py that starts a "kernel" (Python code) writing to a pipe
    of its own, as UML does, and echoes what it writes."""
    return (f"import subprocess, sys\n{before}"
            f"k = subprocess.Popen([sys.executable, '-c', {kernel!r}],"
            " stdout=subprocess.PIPE, text=True)\n"
            f"for line in k.stdout:\n    print(line, end='', flush=True)\n{after}")


def test_a_silent_kernel_is_stopped_and_kunit_py_keeps_its_console(tmp_path: Path) -> None:
    # kunit.py boots a "kernel" that hangs; like UML it leaves kunit.py's
    # session.  Stopping the kernel alone lets kunit.py write out what it read
    # (a SIGKILL of kunit.py loses its buffer, and would leave the kernel running)
    code, out, _ = _fake_kunit(tmp_path, _kunit_py_booting(
        "import os, time; os.setsid(); "
        "print('kfault: try op=s.c nth=3 pid', os.getpid(), flush=True); time.sleep(600)",
        before="print('Starting KUnit Kernel (1/1)...', flush=True)\n",
        after="print('kunit.py: the kernel ended; test.log written', flush=True)\n"), idle=1)
    assert code == runner.EXIT_IDLE
    # the kernel's start, and the pipe widened when it starts, come first
    lines = out.splitlines()
    widened = [n for n, x in enumerate(lines) if x.startswith(runner.WIDENED)]
    assert lines[0] == "Starting KUnit Kernel (1/1)..." and all(n > 0 for n in widened)
    text = [x for x in lines[1:] if not x.startswith(runner.WIDENED)]
    assert text[0].startswith("kfault: try op=s.c nth=3 pid ")
    assert text[1:] == ["kunit.py: the kernel ended; test.log written",
                        "kfault: no output for 1 s: the boot was stopped"]
    kernel = int(text[0].split()[-1])
    for _ in range(50):         # killed; its zombie reaped by init soon after
        if not Path(f"/proc/{kernel}").exists():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{kernel}").exists()


def test_the_kernels_console_pipe_is_widened_when_it_starts(tmp_path: Path) -> None:
    # kunit.py says it starts the kernel, then boots one that writes to a pipe
    # of kunit.py's (UML drops what does not fit in it): the kernel sees its
    # stdout widened to CONSOLE_PIPE (or pipe-max-size without CAP_SYS_RESOURCE)
    code, out, _ = _fake_kunit(tmp_path, _kunit_py_booting(
        "import fcntl, time; time.sleep(1); "
        "print('pipe', fcntl.fcntl(1, fcntl.F_GETPIPE_SZ), flush=True)",
        before="print('[05:00:00] Starting KUnit Kernel (1/1)...', flush=True)\n"))
    assert code == 0
    text = out.splitlines()
    widened = [ln for ln in text if ln.startswith(runner.WIDENED)]
    assert len(widened) == 1
    size = int(widened[0].split()[-2])
    most = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    status = Path("/proc/self/status").read_text()
    caps = int(next(ln for ln in status.splitlines() if ln.startswith("CapEff:")).split()[1], 16)
    sys_resource = bool(caps >> 24 & 1)
    assert size == (runner.CONSOLE_PIPE if sys_resource else min(runner.CONSOLE_PIPE, most))
    assert f"pipe {size}" in text


def test_no_kernel_means_no_widening() -> None:
    # a process with no children: nothing to widen
    assert runner.widen_console(os.getpid()) == 0


def test_a_kernel_trees_revision_is_its_own_git_top(tmp_path: Path) -> None:
    import subprocess
    tree = tmp_path / "linux"
    (tree / "drivers").mkdir(parents=True)
    assert runner.tree_revision(tree) is None           # a linux-source tree: no git
    git = ["git", "-C", str(tree), "-c", "user.name=k", "-c", "user.email=k@k"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    (tree / "Makefile").write_text("VERSION = 6\n")
    subprocess.run(git + ["add", "Makefile"], check=True)
    subprocess.run(git + ["commit", "-qm", "x"], check=True)
    head = subprocess.run(git[:3] + ["rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    assert runner.tree_revision(tree) == head
    # a directory inside someone else's repository is not a git kernel tree
    assert runner.tree_revision(tree / "drivers") is None
    (tree / "Makefile").write_text("VERSION = 7\n")
    assert runner.tree_revision(tree) == head + "-dirty"


def test_a_kernel_that_never_writes_to_a_pipe_is_said_not_widened() -> None:
    # kunit.py said it starts the kernel, and none came: the boot's output says so
    said: list[str] = []
    runner._widen_when_started(os.getpid(), said, tries=2)
    assert said == [f"{runner.WIDENED} not widened (no kernel writing to a pipe after 5 s)\n"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to boot as another user")
def test_a_boot_as_another_user_runs_as_it_with_its_build_directory_as_home() -> None:
    # a review's patched UML booted as the user kfault died at its first
    # step, "Failed to mkdir '/root/.uml/': Permission denied": HOME was root's
    with tempfile.TemporaryDirectory(dir="/var/tmp") as where:     # pytest's are root's only
        _boot_as_nobody(Path(where))


def _boot_as_nobody(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    kernel = build / "linux"
    kernel.write_text("#!/bin/sh\nmkdir \"$HOME/.uml\" && echo \"$(id -u) $HOME\"\n")
    kernel.chmod(0o755)
    os.chown(build, 65534, 65534)
    tmp_path.chmod(0o755)
    log = tmp_path / "console.log"
    assert runner.boot_uml(kernel, [], log, 10, run_as=(65534, 65534)) == 0
    assert log.read_text().split() == ["65534", str(build)]
    assert (build / ".uml").is_dir()
