"""The flows with a fake runner that replays consoles captured from real runs."""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

from kfault.checkout import configs, identity, targets
from kfault.proc import runner as runner_mod
from kfault.errors import HarnessError
from kfault.commands import context, determinism, repro, kunit, sweep
from kfault.proc.runner import KunitRequest
from kfault.engine import resume
from .test_kcidb import validate

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


class FakeRunner:
    """Each kunit.py boot 'prints' the next captured console into test.log."""

    def __init__(self, consoles: list[str]) -> None:
        self.consoles = list(consoles)
        self.requests: list[KunitRequest] = []
        self.coverage_dirs: list[Path] = []
        self.gcov: dict[str, str] = {}      # kernel-tree file: its captured gcov JSON

    def run_kunit(self, req: KunitRequest, output: Path | None = None,
                  on_start: Callable[[int], None] | None = None) -> int:
        self.requests.append(req)
        req.build_dir.mkdir(parents=True, exist_ok=True)
        if output:
            output.write_text("kunit.py output\n")
        if not self.consoles:
            return 1
        shutil.copyfile(DATA / self.consoles.pop(0), req.build_dir / "test.log")
        return 0

    def addr2line(self, binary: Path, addrs: list[int]) -> dict[int, list[tuple[str, str]]]:
        return {}

    def symbol_addresses(self, binary: Path, names: set[str]) -> dict[str, int]:
        return {}

    def boot_uml(self, kernel: Path, args: list[str], log: Path, timeout: int,
                 on_start: Callable[[int], None] | None = None,
                 run_as: tuple[int, int] | None = None) -> int | None:
        raise AssertionError("no UML boot expected")

    def git_revision(self, repo: Path) -> str | None:
        return "0" * 40

    def tree_revision(self, kdir: Path) -> str | None:
        return None

    def files_containing(self, root: Path, needle: str,
                         suffixes: tuple[str, ...]) -> list[Path]:
        return sorted(p for p in root.rglob("*") if p.suffix in suffixes and p.is_file()
                      and needle in p.read_text())

    def stop_process(self, pid: int) -> bool:
        return False

    def stop_group(self, pgid: int) -> bool:
        return False

    def copy_checkout(self, src: Path, dst: Path) -> int:
        return runner_mod.copy_checkout(src, dst)

    def apply_patches(self, tree: Path, patches: list[Path]) -> str | None:
        return runner_mod.apply_patches(tree, patches)

    def checkpatch(self, kdir: Path, files: list[Path]) -> list[str]:
        return []

    def copy_tree(self, kdir: Path, dst: Path, build: str, *more: str) -> None:
        runner_mod.copy_tree(kdir, dst, build, *more)

    def give(self, path: Path, uid: int, gid: int) -> None:
        pass

    def git_diff(self, repo: Path, args: list[str]) -> str:
        return runner_mod.git_diff(repo, args)

    def sparse(self, kdir: Path, build_dir: Path, objects: list[str],
               run_as: tuple[int, int] | None) -> list[str] | None:
        return None

    def faddr2line(self, kdir: Path, binary: Path, calls: dict[str, str]
                   ) -> dict[str, list[tuple[str, str]]]:
        return {}

    def compile_c(self, src: Path, dst: Path) -> None:
        dst.write_text("#!/bin/sh\n")

    def text_symbols(self, binary: Path) -> list[tuple[int, int, str]]:
        return []

    def coverage_setup(self, build_dir: Path, libgcov: str) -> None:
        self.coverage_dirs.append(build_dir)

    def gcov_json(self, build_dir: Path, files: list[str]) -> dict[str, str | None]:
        """The captured gcov JSON of each file given in self.gcov."""
        return {f: (DATA / self.gcov[f]).read_text() if f in self.gcov else None
                for f in files}


def make(fake_tree: Path, tmp_path: Path, consoles: list[str],
         target: str = "refdev") -> tuple[context.Context, FakeRunner]:
    runner = FakeRunner(consoles)
    ctx = context.Context(checkout=context.Checkout(REPO),
                          target=targets.load(REPO / "configs", target), runner=runner,
                          out=tmp_path / "out",
                          boot=context.BootSpec(kdir=fake_tree, build_dir=tmp_path / "build"))
    return ctx, runner


def records(ctx: context.Context) -> list[dict[str, Any]]:
    text = (ctx.out / "sweep/results.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def test_a_crashing_boot_is_resumed_after_its_point(fake_tree: Path, tmp_path: Path) -> None:
    # refdev.defect=null_deref: boot 1 panics at open's first point
    ctx, runner = make(fake_tree, tmp_path, ["crash_null_deref.log", "fop_open_console.log"])
    assert sweep.sweep(ctx, fresh=True, max_boots=4).code == 1
    recs = records(ctx)
    crash = [r for r in recs if r["kind"] == "crash"]
    assert [(r["op"], r["point"], r["verdict"]) for r in crash] == [("open", "1", "crash")]
    assert "Segfault with no mm" in crash[0]["detail"]
    assert runner.requests[0].command == "run" and runner.requests[1].command == "exec"
    assert "kfault.resume=open:1" in runner.requests[1].kernel_args
    assert recs[-1]["kind"] == "complete"
    assert runner.requests[0].filter_glob == "refdev_fault"
    # the report is the union of both boots, the crash a point of its own
    report = json.loads((ctx.out / "sweep/report/report.json").read_text())
    [crashed] = [p for p in report["points"] if p["verdict"] == "crash"]
    assert (crashed["operation"], crashed["nth"], crashed["ok"]) == ("open", 1, False)
    assert "Segfault with no mm" in crashed["evidence"]["detail"]
    assert "RIP: 0033:refdev_open+0x2bc/0x730" in crashed["evidence"]["detail"]
    assert report["summary"]["verdicts"]["crash"] == 1 and not report["summary"]["passed"]
    assert report["run"]["kunit_totals"]["total"] == 4     # the second boot's
    # the crashed boot printed no statistics: speed adds up every boot's points
    assert report["run"]["sweep_points"] == report["summary"]["points"] - 1 == 3
    summary = (ctx.out / "sweep/report/summary.md").read_text()
    assert "crash" in summary
    junit = (ctx.out / "sweep/report/junit.xml").read_text()
    assert 'type="crash"' in junit
    assert "v-crash" in (ctx.out / "sweep/report/report.html").read_text()


def test_a_crash_during_a_targeted_fill_in_is_resumed_after_it(
        fake_tree: Path, tmp_path: Path) -> None:
    ctx, runner = make(fake_tree, tmp_path, ["crash_fill_in.log", "fop_open_console.log"])
    assert sweep.sweep(ctx, fresh=True, max_boots=3).code == 1
    crash = [r for r in records(ctx) if r["kind"] == "crash"]
    assert [(r["op"], r["point"]) for r in crash] == [("open", "f1")]
    assert "kfault.resume=open:f1" in runner.requests[1].kernel_args
    report = json.loads((ctx.out / "sweep/report/report.json").read_text())
    [crashed] = [p for p in report["points"] if p["verdict"] == "crash"]
    assert (crashed["operation"], crashed["failed_site"]["symbol"]) == ("open", "refdev_open")


def test_a_killed_boot_is_picked_up_by_the_next_run(fake_tree: Path, tmp_path: Path) -> None:
    ctx, runner = make(fake_tree, tmp_path, ["fop_open_console.log"])
    (ctx.out / "sweep").mkdir(parents=True)
    (ctx.out / "sweep/build-id").write_text(context.build_id(ctx).content)
    (ctx.out / "sweep/running").write_text("1")
    ctx.boot.default_build().mkdir(parents=True)
    shutil.copyfile(DATA / "sweep_killed_boot.log", ctx.boot.default_build() / "test.log")
    sweep.sweep(ctx, fresh=False, max_boots=2)
    recs = records(ctx)
    assert {r["boot"] for r in recs} == {1, 2}
    assert "kfault.resume=fop_write:5" in runner.requests[0].kernel_args


def test_a_boot_that_never_started_is_one_error(fake_tree: Path, tmp_path: Path) -> None:
    ctx, _ = make(fake_tree, tmp_path, [])
    with pytest.raises(HarnessError, match="boot 1 did not start"):
        sweep.sweep(ctx, fresh=True, max_boots=1)


def test_run_reports_a_leak_as_a_failure(fake_tree: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    ctx, runner = make(fake_tree, tmp_path, ["sweep_probe_leak.log"])
    assert kunit.run(ctx).code == 1
    out = capsys.readouterr().out
    assert "kfault: FAIL probe: 27 point(s) leak: leaked refdev_dev.c:110" in out
    assert (ctx.out / "report/refdev/report.json").is_file()
    assert runner.requests[0].filter_glob == "refdev_*"


def test_run_uses_the_targets_suites(fake_tree: Path, tmp_path: Path) -> None:
    ctx, runner = make(fake_tree, tmp_path, ["fop_open_console.log"], target="netdevsim")
    kunit.run(ctx)
    assert runner.requests[0].filter_glob == "netdevsim_fault"


def test_repro_of_an_unknown_operation_names_the_known_ones(
        fake_tree: Path, tmp_path: Path) -> None:
    ctx, _ = make(fake_tree, tmp_path, ["fop_open_console.log"])
    with pytest.raises(HarnessError, match="no operation 'nope'.*operations: fop_open"):
        repro.repro(ctx, "nope:1")


def test_repro_finds_the_point_twice(fake_tree: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    ctx, runner = make(fake_tree, tmp_path, ["fop_open_console.log"] * 2)
    assert repro.repro(ctx, "fop_open:1").code == 0
    assert "repro: deterministic: yes" in capsys.readouterr().out
    assert "kfault.only=fop_open" in runner.requests[0].kernel_args


def test_repro_of_a_point_that_crashes_says_where_twice(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the null_deref defect: the boot dies at open's point 1, before its count line
    ctx, _ = make(fake_tree, tmp_path, ["crash_null_deref.log"] * 2)
    assert repro.repro(ctx, "open:1").code == 0
    out = capsys.readouterr().out
    assert "repro: open 1: crash: Kernel panic - not syncing: Segfault with no mm at " \
           "refdev_open+" in out
    assert "repro: deterministic: yes" in out


def test_determinism_of_identical_runs_is_complete(fake_tree: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ctx, runner = make(fake_tree, tmp_path, ["full_run_console.log"] * 3)
    assert determinism.determinism(ctx, 3).code == 0
    assert "96 of 96 (operation, id, verdict) agree in all 3 runs of refdev: 100.0 %" in \
        capsys.readouterr().out
    assert [r.command for r in runner.requests] == ["run", "exec", "exec"]


def test_determinism_counts_points_only_some_runs_have(fake_tree: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # two real runs of different builds: their probe points differ
    ctx, _ = make(fake_tree, tmp_path, ["full_run_console.log", "full_run_console_v1.log"])
    assert determinism.determinism(ctx, 2).code == 1
    assert "only in some runs" in capsys.readouterr().out


def test_agreement_is_the_intersection_over_the_union() -> None:
    a, b = {("op", "1", "handled"), ("op", "2", "leak")}, {("op", "1", "handled")}
    assert determinism.agreement([a, b]) == (1, 2)
    assert determinism.agreement([a, a]) == (2, 2)


def test_results_of_another_kernel_are_not_resumed(fake_tree: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ctx, runner = make(fake_tree, tmp_path, ["fop_open_console.log"])
    (ctx.out / "sweep").mkdir(parents=True)
    (ctx.out / "sweep/build-id").write_text("0" * 64)
    old = '{"boot": 1, "kind": "complete"}\n'
    (ctx.out / "sweep/results.jsonl").write_text(old)
    sweep.sweep(ctx, fresh=False, max_boots=1)
    assert "came from another kernel (build 000000000000, now" in capsys.readouterr().out
    assert {r["boot"] for r in records(ctx)} == {1} and records(ctx)[-1]["kind"] == "complete"
    assert runner.requests and runner.requests[0].command == "run"


def test_a_build_dir_of_another_checkout_is_rebuilt(fake_tree: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    ctx, _ = make(fake_tree, tmp_path, [])
    objs = ctx.boot.default_build() / "drivers/misc/kfault/module"
    objs.mkdir(parents=True)
    (objs / "refdev_core.o").write_text("the other clone's object")
    identity.record(ctx.boot.default_build(), identity.BuildId("/elsewhere/kfault", "1" * 64))
    context.prepare(ctx)
    assert "was built from checkout /elsewhere/kfault" in capsys.readouterr().out
    assert not objs.exists()
    assert identity.recorded(ctx.boot.default_build()) == context.build_id(ctx)
    context.prepare(ctx)                    # the same checkout again: nothing removed
    assert "was built from" not in capsys.readouterr().out


def test_any_suite_crash_in_init_is_a_point_armed_before_init(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 'make sweep SUITE=kfault_init_deref': the suite's init dereferences an
    # allocation it does not check; point nth=1 fails it before init runs
    ctx, runner = make(fake_tree, tmp_path, ["suites_init_deref_crash.log",
                                             "suites_init_deref_resumed.log"])
    ctx = context.suites_context(ctx, "kfault_init_deref", None)
    assert sweep.sweep(ctx, fresh=True, max_boots=3).code == 1
    assert runner.requests[0].filter_glob == "kfault_suites"
    assert "kfault.suites=kfault_init_deref" in runner.requests[0].kernel_args
    assert "kfault.suites_dirs=drivers/misc/kfault/kunit/kfault/" in runner.requests[0].kernel_args
    resumed = "kfault.resume=kfault_init_deref.kfault_init_deref_magic:1"
    assert resumed in runner.requests[1].kernel_args
    recs = [json.loads(line) for line in
            (ctx.out / "sweep/results.jsonl").read_text().splitlines()]
    crash = [r for r in recs if r["kind"] == "crash"]
    assert [(r["op"], r["point"], r["site"]) for r in crash] == [
        ("kfault_init_deref.kfault_init_deref_magic", "1", "kfault_init_deref_init+0x1a3/0x2b0")]
    assert {r["verdict"] for r in recs if r["kind"] == "point"} == {"passed"}
    assert recs[-1]["kind"] == "complete"       # kmemleak confirmed: no record
    # the console counts as the report does: fault points apart from baselines
    points = [r for r in recs if r["kind"] == "point"]
    base = sum(r["point"] == "0" for r in points)
    said = capsys.readouterr().out
    assert f"sweep: {len(points) - base} points and {base} baselines, " in said
    # the report names what the kernel was built from ("configs unknown" before)
    doc = json.loads((ctx.out / "sweep/report/report.json").read_text())
    assert doc["run"]["configs"] == list(context.builtin_fragments(ctx.checkout.config_dir))
    assert "kasan.config" in doc["run"]["configs"]


def test_a_suite_sweep_with_a_kunitconfig_reports_our_fragments_and_it(
        fake_tree: Path, tmp_path: Path) -> None:
    ctx, _ = make(fake_tree, tmp_path, [])
    mine = tmp_path / "my.kunitconfig"
    mine.write_text("CONFIG_LIST_KUNIT_TEST=y\n")
    suites = context.suites_context(ctx, "kfault_init_deref", mine)
    assert suites.boot.fragments[-1] == str(mine)
    assert "quiet.config" not in suites.boot.fragments and "kasan.config" in suites.boot.fragments
    assert suites.boot.kunitconfig_dir is not None
    written = (suites.boot.kunitconfig_dir / ".kunitconfig").read_text()
    assert written.endswith(f"# ---- {mine}\nCONFIG_LIST_KUNIT_TEST=y\n")


def test_a_suite_sweep_where_no_case_ran_is_bad_input_not_a_pass(
        fake_tree: Path, tmp_path: Path) -> None:
    # 'make sweep SUITE=iio-gain-time-scale' on the shared kernel, which has the
    # suite's sources but does not build it: the boot ran no case of it
    ctx, _ = make(fake_tree, tmp_path, ["suites_none_ran.log"])
    ctx = context.suites_context(ctx, "kfault_init_deref", None)
    with pytest.raises(HarnessError, match="no case of it ran in this kernel"):
        sweep.sweep(ctx, fresh=True, max_boots=2)


def test_a_failing_baseline_is_run_again_alone_and_blamed_by_bisection(
        fake_tree: Path, tmp_path: Path) -> None:
    # 'make sweep SUITE=kunit_device' (stock tree, 2026-12-01): cleanup_test
    # fails with nothing injected after kunit_device_test's points,
    # driver_test's baseline crashed the boot; alone in a fresh boot both
    # pass; the slices of the sweep the run booted (kunit_device_blame-*.log,
    # in the order it booted them) name the point that left the state
    ctx, runner = make(fake_tree, tmp_path, [
        "kunit_device_boot-1.log", "kunit_device_boot-2.log", "kunit_device_alone-1.log",
        *(f"kunit_device_blame-1-{i}.log" for i in range(1, 6)),
        "kunit_device_alone-2.log", *(f"kunit_device_blame-2-{i}.log" for i in range(1, 7))])
    ctx = context.suites_context(ctx, "kfault_init_deref", None)     # a suite the fake tree has
    swept = sweep.sweep(ctx, fresh=True, max_boots=3)
    assert swept.code == 1 and not runner.consoles
    args = [a for r in runner.requests for a in r.kernel_args
            if a.startswith(("kfault.only=", "kfault.until=", "kfault.resume="))]
    cleanup, driver = ("kunit_device.kunit_device_cleanup_test",
                       "kunit_device.kunit_device_driver_test")
    assert [a for a in args if a.startswith("kfault.only=")] == [
        f"kfault.only={cleanup}", f"kfault.only={driver}"]
    assert args.count(f"kfault.until={cleanup}") == 5
    assert args.count(f"kfault.until={driver}") == 6
    starts = [a.removeprefix("kfault.resume=kunit_device.kunit_device_test:") for a in args
              if a.startswith("kfault.resume=kunit_device.kunit_device_test:")]
    assert starts[:5] == ["19", "9", "14", "11", "10"]      # as the real run booted them
    assert swept.report is not None
    said = swept.report["run"]["baselines_alone"]
    assert set(said) == {cleanup, driver}
    assert all("alone in a fresh boot it is passed: it fails only after earlier cases"
               in text for text in said.values())
    assert "blamed on kunit_device.kunit_device_test:10: " in said[cleanup]
    assert "(5 boots," in said[cleanup]
    assert f"blamed on {cleanup}:10: " in said[driver]
    # the sweep's own boots confirm with kmemleak; a boot for a verdict does not wait for it
    assert [sweep.NO_SLOW_CASES in r.kernel_args for r in runner.requests] == \
        [False, False] + [True] * (len(runner.requests) - 2)


def test_a_bad_suite_glob_is_one_line(fake_tree: Path, tmp_path: Path) -> None:
    ctx, _ = make(fake_tree, tmp_path, [])
    with pytest.raises(HarnessError, match="SUITE='a b': want a KUnit suite glob"):
        context.suites_context(ctx, "a b", None)
    with pytest.raises(HarnessError, match="SUITE='list[*]': no struct kunit_suite"):
        context.suites_context(ctx, "list*", None)
    with pytest.raises(HarnessError, match="KUNITCONFIG=nope: no such kunitconfig"):
        context.suites_context(ctx, "list*", Path("nope"))


def test_a_boot_whose_console_lost_points_is_swept_again_from_the_gap_once(
        fake_tree: Path, tmp_path: Path) -> None:
    # a real console that lost port_add 2..119: the next boot resumes at
    # port_add:1; when the same gap comes back, the sweep stops with one line
    ctx, runner = make(fake_tree, tmp_path, ["console_lost_lines.log", "console_lost_lines.log"],
                       target="netdevsim")
    with pytest.raises(HarnessError, match=r"boot 2: the console lost .* \(again\)"):
        sweep.sweep(ctx, fresh=True, max_boots=5)
    assert "kfault.resume=port_add:1" in runner.requests[1].kernel_args
    recs = [json.loads(line) for line in
            (ctx.out / "sweep/results.jsonl").read_text().splitlines()]
    # point 1 finished before the gap and is kept once per boot; nothing after it
    assert [(r["boot"], r["op"], r["point"]) for r in recs] == [
        (1, "port_add", "1"), (2, "port_add", "1")]
    # the report's union holds boot 1's port_add points only where its records do:
    # the rest was swept again (a review counted them twice: 102 'new' leaks)
    from kfault.engine import resume
    log, _ = sweep.union(ctx, ctx.out / "sweep",
                         resume.load((ctx.out / "sweep/results.jsonl").read_text()))
    first = {r.line.key for r in log.results if r.boot == 1 and r.op == "port_add"}
    assert first == {"1"}


def test_a_suite_case_whose_baseline_crashed_is_skipped_not_resumed_at_point_1(
        fake_tree: Path, tmp_path: Path) -> None:
    from kfault.console.protocol import TryLine
    ctx, _ = make(fake_tree, tmp_path, [])
    suites = context.suites_context(ctx, "kfault_init_deref", None)
    base = TryLine(op="kunit_device.kunit_device_driver_test", nth=0, fill=0)
    assert sweep.skip_case(suites.suites, base) == "kunit_device.kunit_device_driver_test:400"
    assert sweep.skip_case(suites.suites, TryLine(op=base.op, nth=3, fill=0)) is None
    assert sweep.skip_case(ctx.suites, TryLine(op="open", nth=0, fill=0)) is None    # an op target


def test_a_sweep_stopped_at_the_boot_cap_says_it_is_incomplete(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # refdev.defect=null_deref: the boot crashes at open 1; one boot allowed
    ctx, _ = make(fake_tree, tmp_path, ["crash_null_deref.log"])
    swept = sweep.sweep(ctx, fresh=True, max_boots=1)
    assert not swept.complete and swept.code == 1      # the crash is a finding
    assert "sweep: INCOMPLETE: stopped at the cap of 1 boots; what is after open:1 was " \
           "not swept" in capsys.readouterr().out
    # the report says it too, at the top: the run, not only the console
    doc = json.loads((ctx.out / "sweep/report/report.json").read_text())
    assert doc["run"]["not_swept"] == ("stopped at the cap of 1 boots; what is after open:1 "
                                       "was not swept")
    assert not doc["summary"]["passed"]
    md = (ctx.out / "sweep/report/summary.md").read_text()
    assert "INCOMPLETE: stopped at the cap of 1 boots" in md.splitlines()[2]
    assert "| NOT SWEPT |" in md


def test_a_suite_sweep_stopped_at_the_boot_cap_calls_its_suite_capped() -> None:
    # make sweep SUITE=ext4_mballoc_test --max-boots 3 (2026-12-03) stopped in
    # the suite and its suites table still said "swept".  A real boot's console
    # (kunit_device's sweep), its records as the sweep keeps them, cut after
    # point 5 as a boot cap would
    from kfault.results import model, report
    log = model.build((DATA / "kunit_device_left_boot-1.log").read_text().splitlines(), "")
    records = [r for r in resume.points(log, 1)
               if r.op != "kunit_device.kunit_device_test" or int(r.point) <= 5]
    records = [r for r in records if r.op == "kunit_device.kunit_device_test"]
    [cap] = sweep.stopped_in(records, 3)
    assert cap == model.SuiteCap("kunit_device", "", "the sweep stopped at its cap of 3 "
                                 "boots in it; what is after kunit_device.kunit_device_test:5 "
                                 "was not swept")
    log.capped.append(cap)
    rep = report.build(log, meta=report.RunMeta())
    [status] = [x for x in rep.suites if x.name == "kunit_device"]
    assert status.status == "capped" and status.why == cap.why
    # a suite the policy already capped is not capped twice; no record: none
    capped = records + [dataclasses.replace(records[-1], kind="capped", op="kunit_device")]
    assert sweep.stopped_in(capped, 3) == [] and sweep.stopped_in([], 3) == []


def test_a_suite_defined_in_a_header_can_be_named(fake_tree: Path, tmp_path: Path) -> None:
    # 6.12 defines DAMON's suites in mm/damon/tests/*.h (included by the .c
    # they test); the tail of core-kunit.h, verbatim
    (fake_tree / "mm/damon/tests").mkdir(parents=True)
    shutil.copyfile(DATA / "damon_core-kunit.h", fake_tree / "mm/damon/tests/core-kunit.h")
    ctx, _ = make(fake_tree, tmp_path, [])
    dirs, files = context.suite_dirs(ctx, "damon")
    assert dirs == ["mm/damon/"]
    assert files == ["mm/damon/tests/core-kunit.h"]
    with pytest.raises(HarnessError, match="SUITE='damon-x': no struct kunit_suite"):
        context.suite_dirs(ctx, "damon-x")


def test_a_suite_named_kbuild_modname_can_be_named(fake_tree: Path, tmp_path: Path) -> None:
    # the night of 2026-12-03 found binfmt_elf in the kernel and in no source:
    # fs/tests/binfmt_elf_kunit.c says '.name = KBUILD_MODNAME' and is
    # compiled inside fs/binfmt_elf.c
    from tests.test_suite_sources import BINFMT_ELF_SUITE
    (fake_tree / "fs/tests").mkdir(parents=True)
    (fake_tree / "fs/tests/binfmt_elf_kunit.c").write_text(BINFMT_ELF_SUITE)
    (fake_tree / "fs/binfmt_elf.c").write_text('#include "tests/binfmt_elf_kunit.c"\n')
    ctx, _ = make(fake_tree, tmp_path, [])
    dirs, files = context.suite_dirs(ctx, "binfmt_elf")
    assert (dirs, files) == (["fs/"], ["fs/tests/binfmt_elf_kunit.c"])


def test_two_shards_merge_into_the_unsharded_sweep(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # make shard-test (2026-12-01): property-entry swept with kfault.shard=0/2
    # and 1/2 (40 and 43 points), merged, and compared with its unsharded sweep
    ctx, _ = make(fake_tree, tmp_path, [])
    ctx = context.suites_context(ctx, "kfault_init_deref", None)     # a suite the fake tree has
    shards = DATA / "shards"
    for i in (0, 1):
        d = ctx.out / context.Shard(i, 2).dir_name
        d.mkdir(parents=True)
        shutil.copyfile(shards / f"property-entry-shard-{i}-of-2.log", d / "boot-1.log")
        shutil.copyfile(shards / f"property-entry-shard-{i}-of-2.jsonl", d / "results.jsonl")
        (d / "started").write_text("2026-12-01T21:55:40+00:00\n")
        (d / "build-id").write_text(context.build_id(ctx).content + "\n")
    whole = tmp_path / "unsharded"
    whole.mkdir()
    shutil.copyfile(shards / "property-entry-unsharded.jsonl", whole / "results.jsonl")
    merged = sweep.merge(ctx, 2, whole)
    assert merged.code == 0 and merged.report is not None
    whole_ops = {r.op for r in resume.load((whole / "results.jsonl").read_text())
                 if r.kind == "point"}
    assert {p["operation"] for p in merged.report["baselines"]} == whole_ops
    got = resume.load((ctx.out / "sweep-merged-of-2/results.jsonl").read_text())
    assert sum(r.kind == "point" for r in got) == 83
    assert sweep.same_results(got, resume.load(
        (whole / "results.jsonl").read_text())) == []
    # a second night on the same tree, compared with the first by stable id
    first = tmp_path / "first-night.json"
    first.write_text(json.dumps(merged.report))
    capsys.readouterr()
    again = sweep.merge(ctx, 2, previous=first)
    said = capsys.readouterr().out
    assert again.code == 0
    assert f"against {first}: 0 new, 0 fixed, " in said and " 0 results appeared, 0 gone" in said
    assert (ctx.out / "sweep-merged-of-2/report/baseline.md").is_file()
    with pytest.raises(HarnessError):
        sweep.merge(ctx, 2, previous=tmp_path / "no-such-night.json")
    # an unsharded sweep that differs: the differing case is named, one line
    other = tmp_path / "other"
    other.mkdir()
    shutil.copyfile(shards / "property-entry-shard-0-of-2.jsonl", other / "results.jsonl")
    with pytest.raises(HarnessError, match=r"differ from .* at 43 result\(s\) of 3 case"):
        sweep.merge(ctx, 2, other)
    with pytest.raises(HarnessError, match="nowhere/results.jsonl: no such file"):
        sweep.merge(ctx, 2, tmp_path / "nowhere")
    # a shard of another kernel build, or missing, is one line, not a traceback
    (ctx.out / context.Shard(0, 2).dir_name / "build-id").write_text("other\n")
    with pytest.raises(HarnessError, match="sweep-shard-0-of-2 holds the results of another"):
        sweep.merge(ctx, 2)
    (ctx.out / context.Shard(0, 2).dir_name / "build-id").write_text(
        context.build_id(ctx).content + "\n")
    shutil.rmtree(ctx.out / context.Shard(1, 2).dir_name)
    with pytest.raises(HarnessError, match="sweep-shard-1-of-2/results.jsonl: no such file"):
        sweep.merge(ctx, 2)


def test_a_shard_is_i_of_n() -> None:
    assert context.parse_shard("1/4") == context.Shard(1, 4)
    assert context.suite_args(context.Suites("x*", ("lib/",), frozenset(),
                                             context.Shard(1, 4)))[-1] == "kfault.shard=1/4"
    for bad in ("4/4", "1", "a/2", "-1/2", "1/0"):
        with pytest.raises(HarnessError, match="want I/N with 0 <= I < N"):
            context.parse_shard(bad)


def test_alone_and_bisection_boots_that_print_nothing_are_said_so(
        fake_tree: Path, tmp_path: Path) -> None:
    # the kunit_device sweep's two boots, then every later boot prints no
    # console: the bisection stops at its first boot, the second alone boot
    # did not boot; both are said, and the report is still written
    ctx, runner = make(fake_tree, tmp_path, ["kunit_device_boot-1.log", "kunit_device_boot-2.log",
                                             "kunit_device_alone-1.log"])
    ctx = context.suites_context(ctx, "kfault_init_deref", None)
    swept = sweep.sweep(ctx, fresh=True, max_boots=3)
    assert swept.code == 1 and swept.report is not None
    said = swept.report["run"]["baselines_alone"]
    assert "bisecting it stopped: a boot did not start" in said[
        "kunit_device.kunit_device_cleanup_test"]
    assert said["kunit_device.kunit_device_driver_test"].startswith(
        "alone in a fresh boot it did not boot")
    assert sum(any(a.startswith("kfault.until=") for a in r.kernel_args)
               for r in runner.requests) == 1


def test_a_baseline_with_no_point_before_it_is_not_bisected(
        fake_tree: Path, tmp_path: Path) -> None:
    # the first case of the kunit_device sweep: nothing ran before its baseline
    ctx, runner = make(fake_tree, tmp_path, [])
    records = resume.load((DATA / "suites_kunit_device_results.jsonl").read_text())
    first = records[0].op
    assert sweep.preceding(records, first) == []
    assert sweep._blame(ctx, "kfault_suites", tmp_path, records, first, 1) == \
        "no point ran before it"
    assert runner.requests == []


def test_a_prebuilt_shard_boots_the_built_kernel_from_its_own_view(fake_tree: Path,
                                                                   tmp_path: Path) -> None:
    # make nightly: the kernel is built once; each shard boots it ('exec' only)
    # from a view of its own, where kunit.py writes that shard's test.log
    ctx, runner = make(fake_tree, tmp_path, ["suites_init_deref_crash.log",
                                             "suites_init_deref_resumed.log"])
    ctx = context.suites_context(ctx, "kfault_init_deref", None, context.Shard(0, 1))
    build = ctx.boot.default_build()
    with pytest.raises(HarnessError, match="--prebuilt: no kernel built in"):
        context.boot_view(ctx, tmp_path / "view")
    context.prepare(ctx)                    # what 'harness build' does first
    build.mkdir(parents=True, exist_ok=True)
    (build / "linux").write_text("a kernel\n")
    viewed = context.boot_view(ctx, tmp_path / "view")
    assert (tmp_path / "view/linux").resolve() == (build / "linux").resolve()
    assert sweep.sweep(viewed, fresh=True, max_boots=3).code == 1
    assert [r.command for r in runner.requests] == ["exec", "exec"]
    assert {r.build_dir for r in runner.requests} == {tmp_path / "view"}
    # built from other sources (the build's stamp says so): the shard refuses
    # to boot the old kernel; the test writes nothing into the checkout
    identity.record(build, identity.BuildId("another", "checkout"))
    with pytest.raises(HarnessError, match="was not built from these sources"):
        sweep.sweep(viewed, fresh=True, max_boots=3)


def test_a_point_that_wrote_out_of_bounds_ends_its_boot_and_the_next_resumes_after_it(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # make sweep SUITE=iov_iter KUNITCONFIG=all_tests.config (2026-12-02):
    # iov_kunit_copy_to_kvec point 5 made vmalloc-out-of-bounds writes; the
    # kernel printed its result, 'kfault: unusable ... why=wrote', and
    # panicked.  In the night before this, such writes went on and a later
    # suite's point crashed in kasan_quarantine_reduce(), outside any point
    from kfault.results import model
    log = model.build((DATA / "iov_iter_wrote_boot-1.log").read_text().splitlines(), "")
    assert log.unusable is not None
    assert (log.unusable.op, log.unusable.nth, log.unusable.why) == (
        "iov_iter.iov_kunit_copy_to_kvec", 5, "wrote")
    assert log.crash is not None and log.last_started() is None
    ctx, runner = make(fake_tree, tmp_path, ["iov_iter_wrote_boot-1.log",
                                             "iov_iter_wrote_boot-2.log"])
    ctx = context.suites_context(ctx, "kfault_init_deref", None)     # a suite the fake tree has
    swept = sweep.sweep(ctx, fresh=True, max_boots=2)
    out = capsys.readouterr().out
    assert "sweep: boot 1 ended after iov_iter.iov_kunit_copy_to_kvec:5: it reported a write " \
        "to memory it does not own" in out
    assert "crashed outside a fault point" not in out and not swept.complete
    assert "kfault.resume=iov_iter.iov_kunit_copy_to_kvec:5" in runner.requests[1].kernel_args
    # the multi-boot sweep asks for it; a single boot (make kunit, calibrate) does not
    assert all("kfault.end_on_damage=1" in r.kernel_args for r in runner.requests[:2])
    single, again = make(fake_tree, tmp_path / "single", ["full_run_console.log"])
    kunit.run(single)
    assert "kfault.end_on_damage=1" not in again.requests[0].kernel_args
    recs = records(ctx)
    assert not [r for r in recs if r["kind"] == "crash"]
    [five] = [r for r in recs if (r["boot"], r["op"], r["point"]) == (
        1, "iov_iter.iov_kunit_copy_to_kvec", "5")]
    assert five["verdict"] == "report"


def test_a_point_that_left_the_kunit_bus_changed_ends_its_boot_and_the_next_resumes_after_it(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # make sweep SUITE=kunit_device SWEEP_ARGS="--kernel-arg kfault.put_back=0"
    # (2026-12-04): with nothing taken off the bus, kunit_device_test:10's
    # freed driver stays; the kernel printed the point's result, 'kfault:
    # unusable ... why=left', and panicked, and the next boot resumed after it
    from kfault.results import model
    log = model.build((DATA / "kunit_device_left_ends_boot-1.log").read_text().splitlines(), "")
    assert log.unusable is not None
    assert (log.unusable.op, log.unusable.nth, log.unusable.why) == (
        "kunit_device.kunit_device_test", 10, "left")
    assert log.left[("kunit_device.kunit_device_test", 10)].stayed == (1, 0)
    ctx, runner = make(fake_tree, tmp_path, ["kunit_device_left_ends_boot-1.log",
                                             "kunit_device_left_ends_boot-2.log"])
    ctx = context.suites_context(ctx, "kfault_init_deref", None)     # a suite the fake tree has
    swept = sweep.sweep(ctx, fresh=True, max_boots=2)
    out = capsys.readouterr().out
    assert "sweep: boot 1 ended after kunit_device.kunit_device_test:10: it left on the KUnit " \
        "bus what kfault could not take off again" in out
    assert "sweep: boot 2 ended after kunit_device.kunit_device_test:33" in out
    assert "crashed outside a fault point" not in out and not swept.complete
    assert "kfault.resume=kunit_device.kunit_device_test:10" in runner.requests[1].kernel_args
    recs = records(ctx)
    assert not [r for r in recs if r["kind"] == "crash"]
    ten = [r for r in recs if (r["op"], r["point"]) == ("kunit_device.kunit_device_test", "10")]
    assert [(r["boot"], r["verdict"], r["left_drivers"]) for r in ten] == [(1, "report", 1)]


def test_a_target_file_of_the_users_gets_a_kernel_of_its_own(fake_tree: Path,
                                                             tmp_path: Path) -> None:
    # make kunit TARGET=../mydrv/mydrv.toml: the shared kernels carry only our
    # targets' fragments; its own are composed after our oracles
    mine = tmp_path / "mydrv"
    mine.mkdir()
    (mine / "mydrv.config").write_text("CONFIG_MYDRV_FAULT_KUNIT_TEST=y\n")
    (mine / "mydrv.toml").write_text(
        'name = "mydrv"\nfragments = ["mydrv.config"]\nsuites = "mydrv_fault"\n'
        'srcdirs = ["drivers/misc/mydrv"]\nprefix = "mydrv_"\n')
    (mine / "user.toml").write_text(
        'name = "mydrv-load"\nsrcdirs = ["drivers/misc/mydrv"]\nprefix = "mydrv_"\n'
        '[user]\nfragments = ["mydrv.config"]\n[[user.op]]\nname = "load"\n'
        'steps = ["insmod drivers/misc/mydrv/mydrv.ko"]\nteardown = ["rmmod mydrv"]\n')
    ctx, _ = make(fake_tree, tmp_path, [])
    assert context.for_target_file(ctx) is ctx              # one of ours: unchanged
    ours = dataclasses.replace(ctx, boot=context.BootSpec(kdir=fake_tree))
    for name, build, oracles in (("mydrv.toml", ".kunit-kfault-mydrv", configs.ORACLES),
                                 ("user.toml", ".kunit-kfault-modules-mydrv-load",
                                  configs.MODULE_ORACLES)):
        own = context.for_target_file(dataclasses.replace(
            ours, target=targets.resolve(REPO / "configs", str(mine / name))))
        assert own.boot.default_build() == fake_tree / ".kfault" / build
        assert own.boot.fragments == oracles + (str(mine / "mydrv.config"),)
        text = (context.modules_kunitconfig(own) / ".kunitconfig").read_text()
        assert "CONFIG_KASAN=y" in text
        assert text.rstrip().endswith("CONFIG_MYDRV_FAULT_KUNIT_TEST=y")
        # its reports say how to rerun a point with the file's path, not its
        # name, which configs/targets/ does not know (a review said TARGET=input)
        assert f"TARGET={mine / name} " in context.reproduce_template(own)


def test_a_boot_that_crashed_after_its_every_point_ends_the_sweep_complete_with_a_finding(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # make nightly (2026-12-04), shard 0's last boot (its points trimmed to the
    # first case's, its kmemleak listing dropped): KUnit printed its totals,
    # then device_shutdown() crashed at power-off on a device an earlier point
    # left behind.  The shard had ended "crashed outside a fault point; cannot
    # resume past it", INCOMPLETE, with nothing left to sweep.
    ctx, runner = make(fake_tree, tmp_path, ["night_halt_after_points.log"])
    ctx = context.suites_context(ctx, "kfault_init_deref", None)
    outcome = sweep.sweep(ctx, fresh=True, max_boots=3)
    assert outcome.code == 1 and outcome.complete
    assert len(runner.requests) == 1
    recs = records(ctx)
    assert [r["kind"] for r in recs[-3:]] == ["kmemleak", "halt", "complete"]
    halt = recs[-2]
    assert (halt["verdict"], halt["op"]) == ("crash", "")
    assert halt["title"] == "Kernel panic - not syncing: Segfault with no mm"
    assert "after every point of the boot had run" in halt["detail"]
    assert "device_shutdown" in halt["excerpt"]
    said = capsys.readouterr().out
    assert "every point ran, then the kernel crashed" in said
    assert "INCOMPLETE" not in said
    # the report holds it as the run's crash: JSON, JUnit
    doc = json.loads((ctx.out / "sweep/report/report.json").read_text())
    assert doc["crash"]["title"] == halt["title"]
    assert 'name="kfault.crash"' in (ctx.out / "sweep/report/junit.xml").read_text()
    kcidb_doc = json.loads((ctx.out / "sweep/report/kcidb.json").read_text())
    validate(kcidb_doc)                     # KCIDB I/O v5.3
    [crash] = [t for t in kcidb_doc["tests"] if t["path"] == "kfault.crash"]
    assert crash["status"] == "FAIL" and crash["misc"]["title"] == halt["title"]
