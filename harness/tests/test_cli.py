"""Every command's last line names the exit code: make turns any failure into 2."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kfault import cli
from tests.test_flows import FakeRunner


def last_line(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


@pytest.mark.parametrize("console, target, code, meaning", [
    ("full_run_console.log", "netdevsim", 0, "passed"),
    ("sweep_probe_leak.log", "refdev", 1, "a finding, a failed test or a crash"),
    # nothing placed by the fake runner's addr2line: no call site counts as failed
    ("full_run_console.log", "refdev", 3, "an allocation call site was never failed"),
])
def test_kunit_exit_codes(monkeypatch: pytest.MonkeyPatch, fake_tree: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str], console: str, target: str,
                          code: int, meaning: str) -> None:
    monkeypatch.setattr(cli, "ProcessRunner", lambda: FakeRunner([console]))
    argv = ["--kdir", str(fake_tree), "kunit", "--target", target, "--build-dir",
            str(tmp_path / "b"), "--out", str(tmp_path / "out")]
    assert cli.main(argv) == code
    assert last_line(capsys) == f"kfault: exit {code}: {meaning}"


@pytest.mark.parametrize("argv, message", [
    (["--kdir", "/nonexistent/linux", "kunit"], "kernel tree /nonexistent/linux does not exist"),
    (["kunit", "--target", "nope"], "unknown target 'nope'"),
    (["repro", "open"], "POINT='open': want OP:ID"),
    (["kunit", "--target", "modtests"], "modtests is swept from user space and has no suites"),
    (["sweep", "--target", "refdev", "--only", "open:1"], "--only OP:ID is for targets swept"),
    (["sweep", "--target", "modtests", "--suite", "list*"], "SUITE= does not apply"),
    (["sweep", "--shard", "0/2"], "SHARD= splits a suite sweep: name the suites with SUITE="),
    (["sweep", "--suite", "kfault_init_deref", "--shard", "2/2"], "want I/N with 0 <= I < N"),
    (["merge", "--shards", "2"], "merge: name the sharded suite sweep with SUITE="),
    (["merge", "--suite", "kfault_init_deref", "--shards", "0"], "SHARDS=0: want a number"),
    (["sweep", "--policy", "configs/nightly.toml"], "POLICY= and --prebuilt are for a suite"),
    (["sweep", "--prebuilt"], "POLICY= and --prebuilt are for a suite sweep"),
    (["sweep", "--suite", "kfault_init_deref", "--policy", "/nonexistent.toml"],
     "POLICY=/nonexistent.toml: no such file"),
    (["sweep", "--suite", "kfault_init_deref", "--prebuilt"], "--prebuilt: no kernel built in"),
    (["build"], "build: name the suites whose kernel to build with SUITE="),
    (["review", "configs/review/open-unwind-leak.patch", "--suites", "0"],
     "--suites 0: want at least 1"),
    (["bench"], "bench: name the suites to sweep with SUITE="),
    (["bench", "--suite", "kfault_init_deref", "--touch", "nope.c"],
     "bench: --touch nope.c: no such file in the checkout"),
    (["kunit", "--kunitconfig", "nope/.kunitconfig"], "KUNITCONFIG=nope/.kunitconfig: no such"),
    (["kunit", "--target-file", "/nonexistent/mydrv.toml"],
     "target file /nonexistent/mydrv.toml: no such file"),
    (["sweep", "--target", "nope/mydrv.toml"], "target file nope/mydrv.toml: no such file"),
])
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], fake_tree: Path,
                                          argv: list[str], message: str) -> None:
    if argv[0] != "--kdir":
        argv = ["--kdir", str(fake_tree)] + argv
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("kfault: error: ") and message in errors[0]
    assert captured.out.strip().splitlines()[-1] == "kfault: exit 2: bad input or environment"


def test_kunit_py_spellings_and_options_reach_kunit_py(
        monkeypatch: pytest.MonkeyPatch, fake_tree: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # kunit.py's spellings (--build_dir, --kernel_args, --kconfig_add, --jobs,
    # --json) do what ours did, and a user's kunitconfig is added to ours in a
    # kernel of its own
    from kfault.proc.runner import kunit_argv
    runner = FakeRunner(["full_run_console.log"])
    monkeypatch.setattr(cli, "ProcessRunner", lambda: runner)
    extra = tmp_path / "mine.kunitconfig"
    extra.write_text("CONFIG_LIST_KUNIT_TEST=y\n")
    argv = ["--kdir", str(fake_tree), "kunit", "--target", "netdevsim", "--out",
            str(tmp_path / "out"), "--jobs", "3", "--kconfig_add", "CONFIG_KASAN=n",
            "--kunitconfig", str(extra), "--json", str(tmp_path / "k.json")]
    assert cli.main(argv) == 0
    [req] = runner.requests
    assert req.build_dir == fake_tree / ".kfault/.kunit-kfault-plus"
    composed = (req.kunitconfig_dir / ".kunitconfig").read_text()
    assert composed.startswith((cli.repo() / "configs/.kunitconfig").read_text())
    assert composed.endswith(f"# ---- {extra}\nCONFIG_LIST_KUNIT_TEST=y\n")
    args = kunit_argv(req)
    assert {"--jobs=3", "--kconfig_add=CONFIG_KASAN=n",
            f"--json={tmp_path / 'k.json'}"} <= set(args)
    parsed = cli.build_parser().parse_args(
        ["sweep", "--build_dir", "b", "--kernel_args", "a=1", "--kernel-arg", "b=2",
         "--kconfig-add", "CONFIG_X=y"])
    assert (parsed.build_dir, parsed.kernel_arg, parsed.kconfig_add) == (
        Path("b"), ["a=1", "b=2"], ["CONFIG_X=y"])


def test_version_names_the_checkout(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("kfault 0.9.0 (") and str(cli.repo()) in out and "Python 3." in out


def test_each_command_appends_its_code_for_ci(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    record = tmp_path / "exits"
    monkeypatch.setenv("KFAULT_EXIT_FILE", str(record))
    assert cli.main(["targets"]) == 0
    assert cli.main(["sweep", "--target", "nosuch"]) == 2
    lines = record.read_text().splitlines()
    assert lines[0] == "0 targets: passed"
    assert lines[1].startswith("2 sweep: bad input")


@pytest.mark.parametrize("make_records, make_rc, want", [
    ("", 0, 0),                                     # all passed
    ("0 kunit: passed\n1 sweep: a finding\n", 2, 1),  # make's 2 was kfault's 1
    ("0 kunit: passed\n3 sweep: incomplete\n", 2, 3),
    ("0 kunit: passed\n", 2, 2),                    # failed outside kfault (flake8, ...)
    ("", 2, 2),
])
def test_ci_exits_with_the_harness_code_behind_make(tmp_path: Path, make_records: str,
                                                    make_rc: int, want: int) -> None:
    """.ci/run, with a stand-in make that records as kfault's commands do."""
    repo = Path(cli.__file__).resolve().parents[2]
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "make").write_text(f"#!/bin/sh\nprintf '{make_records}' >> \"$KFAULT_EXIT_FILE\"\n"
                               f"exit {make_rc}\n")
    (fake / "make").chmod(0o755)
    ci = tmp_path / "ci"
    (ci / ".ci").mkdir(parents=True)
    (ci / ".ci/run").write_text((repo / ".ci/run").read_text())
    done = subprocess.run(["bash", str(ci / ".ci/run")], capture_output=True, text=True,
                          env={"PATH": f"{fake}:/usr/bin:/bin"})
    assert done.returncode == want, done.stdout + done.stderr


def test_an_unwritable_exit_file_is_a_warning_not_a_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KFAULT_EXIT_FILE", str(tmp_path / "no/such/dir/exits"))
    assert cli.main(["targets"]) == 0
    assert "kfault: warning: KFAULT_EXIT_FILE" in capsys.readouterr().err


def test_every_flow_that_boots_watches_for_a_hang_the_same_way() -> None:
    # sweep said 0 (no watchdog) where review said 120: one option, one default
    parser = cli.build_parser()
    for flow in ("sweep", "review", "kunit", "determinism", "repro", "calibrate", "bench",
                 "modules"):
        extra = ["p:1"] if flow == "repro" else []
        assert parser.parse_args([flow, *extra]).idle == cli.IDLE_S == 120, flow
    assert parser.parse_args(["sweep", "--idle", "0"]).idle == 0
    # build and merge boot nothing: no watchdog to set
    assert not hasattr(parser.parse_args(["merge"]), "idle")
    assert not hasattr(parser.parse_args(["build"]), "idle")
