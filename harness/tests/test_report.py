"""The report model, built from consoles captured from real runs.

Fixtures (harness/tests/data/):
  full_run_console.log         the raw console of a complete passing run of every
                               suite (lines of the 32k-line log kept verbatim: the
                               boot banner, one counting attempt with its
                               FAULT_INJECTION dump, every kfault and KTAP line,
                               the KASAN canary's report)
  sweep_probe_leak.log         refdev_probe's unwind without the descriptor ring's
                               __free_pages(): kunit.py's output of failed tests only
  sweep_reports_oldformat.log  five operations of an earlier kfault (no inner=,
                               file=, ran= fields) whose remove() WARNed
  suites_reports_counted.log   the first 745 lines of a kunit* sweep's first boot: a
                               point whose code made 4 KASAN reports (reports=4)
  kunit_kernel_panic.log       kunit_tool's own captured panic
                               (tools/testing/kunit/test_data/test_kernel_panic_interrupt.log)
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kfault.results import model, render, report, reports_io
from kfault.errors import HarnessError

DATA = Path(__file__).parent / "data"
LEAK = "refdev_dev.c:110 refdev_probe +1/+8192B"
OPS = ["core_create", "probe", "open", "submit", "irq", "read", "resize", "channels",
       "firmware", "dma", "fop_open", "fop_write", "fop_load_fw", "release", "remove"]


def lines(name: str) -> list[str]:
    return (DATA / name).read_text().splitlines()


def run(name: str) -> model.RunLog:
    return model.build(lines(name), "refdev_")


def build(name: str) -> report.Report:
    return report.build(run(name), report.RunMeta())


def test_full_run_has_every_point_verdict_and_run_fact() -> None:
    rep = build("full_run_console.log")
    assert len(rep.points) == 96 and all(p.nth > 0 for p in rep.points)
    assert [b.operation for b in rep.baselines] == OPS
    assert rep.operations == OPS
    assert dict(rep.summary.verdicts) == {"absorbed": 8, "handled": 88}
    assert (rep.summary.ok, rep.summary.failed, rep.summary.failures) == (96, 0, ())
    assert rep.summary.passed
    assert rep.run.kernel_version == "6.12.117"
    assert rep.run.kunit_totals.passed == 219 and rep.run.kunit_totals.total == 219
    assert (rep.run.sweep_points, rep.run.sweep_ms, rep.run.points_per_s) == (595, 2712, 219)
    assert rep.kmemleak == report.Kmemleak(canary_found=True, driver_leaks=0, kernel_leaks=89)
    assert rep.run.targets == ("refdev",)
    assert rep.crash is None        # the KASAN canary's report is not a crash
    core = rep.summary.operations[0]
    assert (core.operation, core.counted, core.bookkeeping, core.reported) == (
        "core_create", 37, 43, 37)


def test_point_names_are_the_kunit_case_names() -> None:
    text = lines("full_run_console.log")
    ktap = [m.group(1) for m in (re.match(r"^ {8}ok \d+ (\w+: (?:fail|no fault).*)$", ln)
                                 for ln in text) if m]
    rep = build("full_run_console.log")
    assert len(ktap) == 111
    assert sorted(ktap) == sorted(p.name for p in rep.baselines + rep.points)


def test_failed_site_of_a_point() -> None:
    rep = build("full_run_console.log")
    first = rep.points[0]
    assert (first.suite, first.case, first.operation, first.nth) == (
        "refdev_fault", "core_create_fault_sweep", "core_create", 1)
    site = first.failed_site
    assert (site.symbol, site.offset, site.allocator, site.inner, site.attr) == (
        "refdev_core_create", "0x374", "kmalloc_cache", None, "failslab")
    assert (site.file, site.line, site.location) == ("refdev_core.c", 77, "kernel")
    assert (site.stable_id, site.addr) == ("24ba78a2", "0x6092f174")
    ids = [(p.operation, p.failed_site.stable_id) for p in rep.points]
    assert len(set(ids)) == len(ids)        # the baseline comparison's key is unique


def test_symbols_fill_in_file_and_line_the_kernel_did_not_know() -> None:
    log = run("full_run_console.log")
    addrs = model.addresses(log, {})
    assert 0x6092f352 in addrs              # kmem_cache_create_args, file=-:0
    chains = {0x6092f351: [("refdev_core_create", "/k/module/refdev_core.c:95")],
              0x6092f173: [("refdev_core_create", "/k/elsewhere.c:1")]}
    symbols = model.Symbols(chains, frozenset({"refdev_core.c", "elsewhere.c"}))
    rep = report.build(log, report.RunMeta(), symbols)
    by_addr = {p.failed_site.addr: p.failed_site for p in rep.points}
    assert (by_addr["0x6092f352"].where, by_addr["0x6092f352"].location) == (
        "refdev_core.c:95", "symbols")
    assert by_addr["0x6092f174"].where == "refdev_core.c:77"    # the kernel's wins


def test_symbols_take_the_innermost_target_frame_of_addr2line_chains() -> None:
    chains = {0x608e4201: [("kmem_cache_create", "include/linux/slab.h:379"),
                           ("refdev_core_create", "/src/kfault/module/refdev_core.c:95")],
              0x60000000: [("start_kernel", "init/main.c:900")]}
    symbols = model.Symbols(chains, frozenset({"refdev_core.c"}))
    assert symbols.place(0x608e4202) == ("refdev_core.c", 95)
    assert symbols.place(0x60000001) is None


def test_leak_run_points_carry_the_leaked_site() -> None:
    rep = build("sweep_probe_leak.log")
    assert len(rep.points) == 27 and len(rep.baselines) == 1
    assert all(p.verdict == "leak" and not p.ok for p in rep.points)
    assert all(p.evidence.leaked == (LEAK,) for p in rep.points)
    assert dict(rep.summary.missing) == {"probe": 4}     # passed tests' lines not kept
    assert not rep.summary.passed
    [group] = rep.summary.failures
    assert (group.operation, group.verdict, group.evidence, group.count) == (
        "probe", "leak", f"leaked {LEAK}", 27)
    assert group.nths[:3] == (8, 10, 13)
    assert "vzalloc <- refdev_probe+0x479 (refdev_dev.c:117)" in group.sites
    assert "misc_register <- refdev_probe+0x8e7" in group.sites


def test_reports_group_across_pids_and_baselines_count() -> None:
    rep = build("sweep_reports_oldformat.log")
    assert dict(rep.summary.verdicts) == {"absorbed": 10, "handled": 8, "not-fired": 1,
                                          "report": 7, "site-changed": 7}
    assert rep.summary.baselines_failed == 1
    remove = [g for g in rep.summary.failures if g.operation == "remove"]
    assert len(remove) == 1 and remove[0].nths == (0, 1, 2, 3, 4, 5)
    assert "PID: -" in remove[0].evidence and "refdev_dev.c:185" in remove[0].evidence
    silent = [p for p in rep.points if p.failed_site.symbol is None]
    assert "open: fail 2 (silent)" in [p.name for p in silent]
    assert all(p.failed_site.stable_id is None for p in rep.points if p.nth == 2)


def test_a_crash_is_reported_and_fails_the_run() -> None:
    rep = build("kunit_kernel_panic.log")
    doc = report.to_dict(rep)
    assert doc["crash"]["title"].startswith("Kernel panic - not syncing: VFS")
    assert doc["crash"]["case"] == "string-stream-test"
    assert doc["crash"]["frame"] is None and doc["points"] == []
    assert doc["summary"]["passed"] is False


def test_json_document_shape() -> None:
    start = datetime(2026, 11, 24, 21, 13, tzinfo=timezone.utc)
    meta = report.RunMeta(configs=("base", "kasan"), git_revision="9a06cef", started=start,
                          finished=start + timedelta(seconds=121.5))
    doc = report.to_dict(report.build(run("full_run_console.log"), meta))
    doc = json.loads(json.dumps(doc))       # JSON-able as is
    assert doc["schema"] == "kfault-report/1"
    assert doc["run"]["configs"] == ["base", "kasan"]
    assert doc["run"]["started"] == "2026-11-24T21:13:00+00:00"
    assert doc["run"]["duration_s"] == 121.5
    assert doc["run"]["kunit_totals"] == {"pass": 219, "fail": 0, "skip": 0, "total": 219}
    point = doc["points"][0]
    assert set(point) == {"suite", "case", "operation", "nth", "name", "verdict", "ok", "us",
                          "failed_site", "evidence", "reproduce", "known"}
    assert set(point["failed_site"]) == {"symbol", "offset", "file", "line", "location",
                                         "allocator", "inner", "attr", "stable_id", "addr"}
    assert set(point["evidence"]) == {"leaked", "report", "report_site", "detail", "ret",
                                      "summary", "reports", "flooded", "printed", "muted"}
    assert point["evidence"]["printed"] is None     # an older kernel's line says nothing
    assert point["evidence"]["ret"] == -12
    assert doc["kmemleak"] == {"canary_found": True, "driver_leaks": 0, "kernel_leaks": 89,
                               "known_bugs": {}}
    assert len(doc["baselines"]) == 15 and doc["baselines"][0]["nth"] == 0


def test_write_reports_writes_every_file(tmp_path: Path) -> None:
    out = tmp_path / "r"
    written = reports_io.write_reports(run("sweep_probe_leak.log"), out,
                                       report.RunMeta(configs=("base",)))
    assert sorted(p.name for p in out.iterdir()) == sorted(reports_io.FILES)
    doc = json.loads((out / "report.json").read_text())
    assert doc == written and doc["summary"]["verdicts"] == {"leak": 27}
    assert "# kfault report: FAIL" in (out / "summary.md").read_text()


def test_write_reports_with_a_baseline_adds_the_comparison(tmp_path: Path) -> None:
    clean, out = tmp_path / "clean", tmp_path / "leak"
    reports_io.write_reports(run("full_run_console.log"), clean, report.RunMeta())
    reports_io.write_reports(run("sweep_probe_leak.log"), out, report.RunMeta(),
                             baseline=clean / "report.json")
    text = (out / "baseline.md").read_text()
    assert "**27 new finding(s), 0 fixed, 0 unchanged" in text


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "is not JSON"),
    ('{"schema": "kfault-report/0", "points": [], "baselines": []}', "schema is"),
    ('[1, 2]', "not a kfault report"),
    ('{"schema": "kfault-report/1", "points": [{"nth": 1}], "baselines": []}',
     "points[0] lacks"),
])
def test_a_bad_baseline_is_a_one_line_error_and_nothing_is_written(
        tmp_path: Path, content: str | None, message: str) -> None:
    base = tmp_path / "old.json"
    if content is not None:
        base.write_text(content)
    with pytest.raises(HarnessError) as err:
        reports_io.write_reports(run("full_run_console.log"), tmp_path / "out",
                                 report.RunMeta(), baseline=base)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


def test_a_failed_point_says_how_to_rerun_it() -> None:
    from kfault.results.report import reproduce
    assert reproduce("make repro POINT={op}:{point}", "open", 3, "e3e5e880") == \
        "make repro POINT=open:e3e5e880"
    # a crash record has no id: its nth
    assert reproduce("make repro TARGET=netdevsim POINT={op}:{point}", "probe", 7, "") == \
        "make repro TARGET=netdevsim POINT=probe:7"
    suites = ("make sweep SUITE='kunit*' SWEEP_ARGS=\"--fresh {resume}"
              "--kernel-arg kfault.only={op}\"")
    assert reproduce(suites, "kunit_executor_test.filter_suites_test", 12, "adda602b") == (
        "make sweep SUITE='kunit*' SWEEP_ARGS=\"--fresh --kernel-arg kfault.resume="
        "kunit_executor_test.filter_suites_test:11 --kernel-arg "
        "kfault.only=kunit_executor_test.filter_suites_test\"")
    assert reproduce(suites, "hlist.t", 0, "00000000") == (
        "make sweep SUITE='kunit*' SWEEP_ARGS=\"--fresh --kernel-arg kfault.only=hlist.t\"")
    assert reproduce("", "open", 3, "e3e5e880") is None


def test_ids_are_the_kernels_fnv() -> None:
    # kunit/kfault/kfault_test.c's kfault_fnv_stable: the same vectors
    from kfault.results import ids
    assert ids.fnv(b"") == ids.FNV_SEED == 2166136261
    assert ids.fnv(b"a") == 0xe40c292c
    assert ids.stable_id("a") == "e40c292c"
    assert ids.stable_id("op", "x") == f"{ids.fnv(b'op|x'):08x}"


def test_a_case_failing_with_nothing_injected_is_a_failed_baseline_that_looked_at_nothing(
        ) -> None:
    # make sweep SUITE=kunit_device: kunit_device_cleanup_test fails its own
    # expectations at point 0; its 11 test-failed points only ever fail the
    # same assertion again, so they are not coverage
    log = model.build(lines("suites_failing_baseline.log"), "")
    rep = report.build(log, report.RunMeta())
    s = rep.summary
    case = "kunit_device.kunit_device_cleanup_test"
    assert s.failing_cases == (case,)
    assert [p.ok for p in rep.baselines if p.operation == case] == [False]
    mine = [p for p in rep.points if p.operation == case]
    assert mine and all((case, p.nth) in s.unreached for p in mine if p.ok)
    assert s.ok + s.failed + len(s.unreached) == s.points
    assert not s.passed
    md = render.markdown(rep)
    assert "fail with nothing injected, their points looked at nothing" in md
    assert f"- {case}: fails with nothing injected (its baseline)" in md
    doc = report.to_dict(rep)
    assert doc["summary"]["failing_cases"] == [case]


def test_a_point_says_how_many_memory_safety_reports_its_code_made() -> None:
    # make sweep SUITE='kunit*': parse_filter_test point 3 frees the glob it
    # then compares; KASAN reports it 4 times (guard.c counts error_report_end)
    log = model.build(lines("suites_reports_counted.log"), "")
    [r] = [r.line for r in log.results
           if r.line.op == "kunit_executor_test.parse_filter_test" and r.line.nth == 3]
    assert (r.reports, r.flooded) == (4, False)
    assert r.report.startswith("BUG: KASAN: slab-use-after-free in strcmp")
    assert sum(ln.startswith("BUG: KASAN:") for ln in lines("suites_reports_counted.log")) == 4
    rep = report.build(log, report.RunMeta())
    [p] = [p for p in rep.points if p.operation == r.op and p.nth == 3]
    doc = report.point_dict(p)
    assert (doc["evidence"]["reports"], doc["evidence"]["flooded"]) == (4, False)
    assert all(not q.evidence.flooded and q.evidence.reports == 0
               for q in rep.points if q is not p)


def test_a_baseline_broken_by_state_left_behind_is_blamed_by_bisecting_slices() -> None:
    # make sweep SUITE=kunit_device: kunit_device_cleanup_test's baseline failed
    # in the sweep and passed alone; slices of the sweep started at points of
    # kunit_device_test broke it up to point 10 (kunit_add_action() failed,
    # the driver stayed registered) and not from point 11 on: those are the
    # answers the run's blame-1-*.log boots gave
    from kfault.commands.sweep import bisect, preceding
    from kfault.engine import resume
    records = resume.load((DATA / "suites_kunit_device_results.jsonl").read_text())
    before = preceding(records, "kunit_device.kunit_device_cleanup_test")
    keys = [f"{r.op}:{r.point}" for r in before]
    assert keys[0] == "kunit_device.kunit_device_test:0"
    culprit = keys.index("kunit_device.kunit_device_test:10")
    asked: list[int] = []

    def breaks(start: int) -> bool:
        asked.append(start)
        return start <= culprit

    assert bisect(len(keys), breaks) == (culprit, len(asked))
    assert len(asked) <= len(keys).bit_length()
    assert 0 not in asked and len(keys) not in asked
    assert bisect(len(keys), lambda start: None) == (None, 1)
    assert bisect(1, breaks) == (0, 0)


def test_a_point_that_left_a_driver_on_the_kunit_bus_is_its_finding() -> None:
    # make sweep SUITE=kunit_device (2026-12-02): kunit_device_test's point 10
    # fails kunit_add_action() in kunit_driver_create(), whose error is not
    # checked (lib/kunit/device.c:101): the driver stays registered after the
    # case's cleanup freed it.  The check after each point (kunit/kfault/bus.c)
    # prints "kfault: left" and makes it the point's report
    from kfault.console import protocol
    from kfault.engine import resume
    log = model.build((DATA / "kunit_device_left_boot-1.log").read_text().splitlines(), "")
    assert log.left == {("kunit_device.kunit_device_test", 10): protocol.LeftLine(
        "kunit_device.kunit_device_test", 10, 1, 0)}
    point = next(r for r in log.results
                 if r.op == "kunit_device.kunit_device_test" and r.line.nth == 10)
    assert point.line.verdict == protocol.Verdict.REPORT
    assert point.line.report.startswith("kfault: left registered on the kunit bus")
    left = [r for r in resume.points(log, 1) if r.left_drivers or r.left_devices]
    assert [(r.op, r.point, r.left_drivers, r.left_devices) for r in left] == [
        ("kunit_device.kunit_device_test", "10", 1, 0)]


def test_what_a_point_left_on_the_kunit_bus_is_taken_off_and_no_later_case_sees_it() -> None:
    # make sweep SUITE=kunit_device (2026-12-04, bus.c putting the bus back):
    # the same points leave a freed driver (10, 12) or a live device (33, 35,
    # 63) on the bus; each stays its point's report, kfault takes it off, and
    # the cases after see a clean bus - every baseline passes, in one boot
    from kfault.console import protocol
    from kfault.engine import resume
    log = model.build((DATA / "kunit_device_put_back_boot-1.log").read_text().splitlines(), "")
    assert log.left[("kunit_device.kunit_device_test", 10)] == protocol.LeftLine(
        "kunit_device.kunit_device_test", 10, 1, 0, 1, 0)
    assert log.left[("kunit_device.kunit_device_driver_test", 63)] == protocol.LeftLine(
        "kunit_device.kunit_device_driver_test", 63, 0, 1, 0, 1)
    assert len(log.left) == 7 and all(left.stayed == (0, 0) for left in log.left.values())
    assert log.unusable is None and log.crash is None
    for op, nth in log.left:
        point = next(r for r in log.results if r.op == op and r.line.nth == nth)
        assert point.line.verdict == protocol.Verdict.REPORT
        assert point.line.report.startswith("kfault: left registered on the kunit bus")
    recs = resume.points(log, 1)
    assert not [r for r in recs if r.left_drivers or r.left_devices]
    assert {r.op: r.verdict for r in recs if r.point == "0"} == {
        "kunit_device.kunit_device_test": "passed",
        "kunit_device.kunit_device_cleanup_test": "passed",
        "kunit_device.kunit_device_driver_test": "passed"}
    assert len(recs) == 146


def test_the_blame_tries_the_last_point_that_left_state_on_the_bus_first() -> None:
    # the same sweep's records: kunit_device_cleanup_test's baseline failed
    # after kunit_device_test:10 left its driver; that point is the candidate
    # two boots confirm (the run's blame-1-*.log), no bisection
    from kfault.commands.sweep import last_left, preceding
    from kfault.engine import resume
    records = resume.load((DATA / "kunit_device_left_results.jsonl").read_text())
    before = preceding(records, "kunit_device.kunit_device_cleanup_test")
    at = last_left(before)
    assert at is not None and (before[at].op, before[at].point) == (
        "kunit_device.kunit_device_test", "10")
    assert last_left(before[:at]) is None


@pytest.mark.parametrize("culprit, boots", [
    # the check's candidate is the point: two boots confirm it
    ("kunit_device.kunit_device_test:10", 2),
    # the state came from a point after it: the candidate is refuted and the
    # slices are bisected as before
    ("kunit_device.kunit_device_test:20", None),
    # right after it: the bisection needs the slices the candidate booted
    ("kunit_device.kunit_device_test:11", None)])
def test_the_blame_confirms_or_refutes_the_bus_candidate(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, culprit: str, boots: int | None) -> None:
    # the records of make sweep SUITE=kunit_device (2026-12-02); each slice
    # boot answers as a kernel would whose state the culprit point left
    from kfault.commands import sweep
    from kfault.engine import resume
    from kfault.console.protocol import Verdict
    records = resume.load((DATA / "kunit_device_left_results.jsonl").read_text())
    op = "kunit_device.kunit_device_cleanup_test"
    keys = [f"{r.op}:{r.point}" for r in sweep.preceding(records, op)]
    asked: list[str] = []

    def fresh(ctx: object, suite: str, op_: str, console: Path,
              kernel_args: list[str]) -> sweep.FreshBaseline:
        start = keys.index(kernel_args[0].removeprefix("kfault.resume=")) + 1
        asked.append(keys[start])
        broke = start <= keys.index(culprit)
        return sweep.FreshBaseline(Verdict.TEST_FAILED if broke else Verdict.PASSED, False)

    monkeypatch.setattr(sweep, "_baseline_in", fresh)
    said = sweep._blame(None, "kunit_device", tmp_path, records, op, 1)  # type: ignore[arg-type]
    assert said.startswith(f"blamed on {culprit}: ")
    if boots is not None:
        assert "it left 1 driver(s) and 0 device(s) registered on the kunit bus" in said
        assert f"({boots} boots," in said and len(asked) == boots
    else:
        assert "registered on the kunit bus" not in said
        assert asked[:2] == ["kunit_device.kunit_device_test:10",
                             "kunit_device.kunit_device_test:11"]
        assert f"({len(asked)} boots," in said
        assert len(asked) == len(set(asked))        # no slice booted twice


def test_a_blame_replays_only_the_boot_that_ran_the_baseline() -> None:
    # make nightly (2026-12-02, shard 1, stopped): string_test_strchr's baseline
    # leaked in boot 4 and not alone; 666 results came before it, in 4 boots,
    # the first 3 ended by ext4_mballoc_test's hangs.  The blame replayed
    # slices from boot 1 on: each ran into an ext4 hang and waited 120 s.
    # Points of boots 1-3 left nothing in boot 4: it started afresh
    from kfault.commands import sweep
    from kfault.engine import resume
    records = resume.load((DATA / "night_shard1_before_strchr_results.jsonl").read_text())
    op = "string.string_test_strchr"
    [base] = [r for r in records if r.op == op and r.point == "0"]
    assert base.boot == 4 and base.verdict == "leak"
    everything = [r for r in records if r.kind in ("point", "crash")][:-1]
    assert len(everything) == 666 and sum(r.kind == "crash" for r in everything) == 3
    before = sweep.preceding(records, op)
    assert len(before) == 132 and {r.boot for r in before} == {4}
    assert not [r for r in before if r.op.startswith("ext4_mballoc_test")]
