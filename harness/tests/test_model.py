"""The run model, built from console output captured from real runs of our kernel."""
from __future__ import annotations

from pathlib import Path

from kfault.console import kmemleak, ktap
from kfault.results import model
from kfault.commands import context
from kfault.commands.sweep import crash_leftovers
from kfault.console.protocol import Verdict

DATA = Path(__file__).parent / "data"


def lines(name: str) -> list[str]:
    return (DATA / name).read_text().splitlines()


def build(name: str) -> model.RunLog:
    return model.build(lines(name), "refdev_")


def test_leak_run_names_the_leaked_site_for_every_point_after_it() -> None:
    # module/refdev_dev.c with the unwind's __free_pages() of the order-1
    # descriptor ring removed: every later probe failure leaks those pages.
    log = build("sweep_probe_leak.log")
    leaks = [r for r in log.points if r.line.verdict == Verdict.LEAK]
    assert len(leaks) == 27
    assert all(tuple(map(str, r.line.leaked)) == ("refdev_dev.c:110 refdev_probe +1/+8192B",)
               for r in leaks)
    assert min(r.line.nth for r in leaks) == 8  # points 1-7 fail before the ring exists
    assert {op: c.points for op, c in log.counts.items()} == {"probe": 31}
    groups = model.failures(log.results)
    assert list(groups) == [("probe", "leak", "leaked refdev_dev.c:110 refdev_probe +1/+8192B")]


def test_clean_console_run_has_sites_verdicts_and_speed() -> None:
    log = build("fop_open_console.log")
    assert {op: c.points for op, c in log.counts.items()} == {"fop_open": 3}
    assert [r.line.nth for r in log.results] == [0, 1, 3, 4]
    assert all(r.line.verdict.ok for r in log.results)
    first = log.results[1].line
    assert (first.allocator, first.site.split("+")[0]) == ("kmalloc_cache", "refdev_open")
    assert first.addr > 0 and len(first.id) == 8
    assert model.missing(log) == {}
    assert log.results[1].case == "fop_open_fault_sweep"


def test_a_truncated_line_is_not_a_result() -> None:
    text = lines("fop_open_console.log")
    cut = [ln[:60] if "kfault: op=" in ln else ln for ln in text]
    log = model.build(cut, "refdev_")
    assert log.results == []
    assert model.missing(log) == {"fop_open": 3}


def test_kernel_totals_of_a_clean_run() -> None:
    assert build("fop_open_console.log").totals == ktap.Totals(4, 0, 0, 4)


def test_kernel_totals_catch_results_kunit_py_dropped() -> None:
    # A run whose point names contained '#': kunit.py printed "passed: 119"
    # while the kernel counted 3 failures.
    assert build("totals_dropped_results.log").totals.failed == 3
    assert "passed: 119" in (DATA / "totals_dropped_results.log").read_text()


def test_one_defect_reported_at_five_points_is_one_group() -> None:
    # refdev.defect=cache_live_objects: every irq point leaves a request in
    # the cache and kmem_cache_destroy() WARNs.
    log = build("report_cache_live_objects.log")
    reports = [r for r in log.results if r.line.verdict == Verdict.REPORT]
    assert len(reports) == 5
    assert model.evidence(reports[0].line) == \
        "WARNING: CPU: - PID: - at mm/slub.c:1152 __slab_err.part.0+0x4b/0x4d"
    groups = model.failures(log.results)
    assert len(groups) == 1
    assert list(groups.values())[0] == reports
    assert reports[0].line.report_site.startswith("refdev_core_destroy+")


def test_old_kmemleak_kernel_leak_block_is_not_the_targets() -> None:
    # A real run: kmem_cache_create()'s sysfs error path leaks the kobject
    # name when fault injection fails it under refdev_core_create().
    text = lines("kmemleak_kernel_leak.log")
    assert [lk for lk in kmemleak.leaks(text) if not lk.kernel] == []
    assert any("sysfs_slab_add" in ln for ln in text)


def test_symbols_place_a_return_address_in_the_target_files() -> None:
    chains = {0x1000 - 1: [("inlined", "include/linux/slab.h:900"),
                           ("refdev_open", "drivers/misc/kfault/module/refdev_session.c:32")]}
    syms = model.Symbols(chains, frozenset({"refdev_session.c"}))
    assert syms.place(0x1000) == ("refdev_session.c", 32)
    assert syms.place(0x2000) is None and syms.place(0) is None


def test_kernel_leaks_are_counted_against_the_known_kernel_bugs() -> None:
    # a real confirmation: 29 kobject names of caches whose sysfs_slab_add()
    # failed under refdev_core_create(), one line each
    from kfault.checkout import known_bugs
    from kfault.results import known
    REPO = Path(__file__).resolve().parents[2]
    bugs = known_bugs.load_bugs(REPO / "configs")
    log = build("kmemleak_known_bugs.log")
    assert log.kmemleak is not None and log.kmemleak.kernel_leaks == 29
    assert [lk.frames[2].function for lk in log.leaks][:1] == ["sysfs_slab_add"]
    counts, other = known.kernel_leaks(log.leaks, bugs)
    assert counts == {"CVE-2024-25740": 29} and other == []
    assert "2420baa8e046" in bugs[0].fixed
    # a leak the list does not know is listed, not dropped
    odd = [line.replace("sysfs_slab_add", "some_other_path") for line in
           lines("kmemleak_known_bugs.log")[:3]]
    counts, other = known.kernel_leaks(model.build(odd, "refdev_").leaks, bugs)
    assert counts == {} and len(other) == 3


def test_a_console_that_lost_lines_says_which_points() -> None:
    # a netdevsim sweep whose printk buffer a debug print flooded: the lines of
    # port_add 2..119 never reached the console, and nothing said so
    log = model.build(lines("console_lost_lines.log"), "nsim")
    assert log.missing() == {"port_add": list(range(2, 120))}
    line = context.lost_points(log, Path("boot-1.log"))
    assert line is not None and "118 fault points (port_add 2..119 (118))" in line


def test_a_complete_console_lost_nothing() -> None:
    for name in ("full_run_console.log", "suites_init_deref_resumed.log", "crash_fill_in.log"):
        log = model.build(lines(name), "refdev_")
        assert log.missing() == {}, name


def test_a_resumed_suite_cases_counting_run_is_no_lost_point() -> None:
    # make sweep SUITE='kunit*' KUNITCONFIG=lib/kunit, boot 31 (protocol lines):
    # a resumed case prints 'try nth=0' for its counting run, then its points
    log = model.build(lines("suites_resumed_protocol.log"), "")
    assert log.tries[0][1].nth == 0 and log.tries[1][1].nth > 1
    assert log.missing() == {}


def test_results_lost_with_their_done_line_are_missing() -> None:
    # make sweep SUITE=slub_test KUNITCONFIG=all_tests.config, boot 1 before the
    # console pipe was widened (protocol lines): UML's pipe dropped
    # test_clobber_redzone_free's points 12..21 and its 'done' line; only the
    # jump from 'try nth=12' to 'try nth=22' says so.  These were kept as swept
    # before (126 of the 144 points, the next boot resumed elsewhere)
    from kfault.engine import resume
    log = model.build(lines("slub_test_lost_protocol.log"), "")
    assert "slub_test.test_clobber_redzone_free" not in {d.op for _, d in log.dones}
    lost = log.missing()
    assert lost["slub_test.test_clobber_redzone_free"] == list(range(12, 22))
    assert 12 in lost["slub_test.test_kmalloc_redzone_access"]
    assert resume.first_gap(log) == ("slub_test.test_clobber_redzone_free", 12)


def test_a_suite_case_that_fails_when_run_again_is_a_known_finding() -> None:
    # make sweep SUITE=property-entry: pe_test_reference passes once, then its
    # second unarmed run gets -EEXIST (references never put): point 0 reports it
    from kfault.checkout import known_bugs
    from kfault.commands import sweep
    log = model.build(lines("suites_rerun_fails.log"), "")
    base = [r for r in log.results if r.op == "property-entry.pe_test_reference"]
    assert [(r.line.nth, r.line.verdict) for r in base] == [(0, Verdict.REPORT)]
    assert "passes once, then fails" in base[0].line.report
    assert log.missing() == {}
    found = known_bugs.load_suite_findings(Path(__file__).resolve().parents[2] / "configs")
    why = sweep.known_findings(log, found)
    assert list(why) == [("property-entry.pe_test_reference", "0")]
    assert "never puts the references" in why["property-entry.pe_test_reference", "0"]
    assert sweep.known_findings(log, ()) == {}


def test_a_kmemleak_leak_goes_to_the_point_whose_thread_made_it() -> None:
    # make sweep SUITE=kunit-assert: point 110 of kunit_test_mem_assert_format
    # leaked the string of get_str_from_stream(); kmemleak names its thread
    log = model.build(lines("suites_kmemleak_by_thread.log"), "")
    assert log.threads[1506] == ("kunit-assert.kunit_test_mem_assert_format", 110)
    assert [(x.pid, x.size, x.comm) for x in log.leaks] == [(1506, 512, "kunit_try_catch")]
    assert [f.function for f in log.leaks[0].callers()[:2]] == [
        "string_stream_get_string", "get_str_from_stream"]
    placed = kmemleak.by_thread(log.leaks, log.threads)
    assert list(placed) == [("kunit-assert.kunit_test_mem_assert_format", 110)]
    assert kmemleak.by_thread(log.leaks, {}) == {}


def test_a_caught_crash_is_a_point_and_its_leftovers_are_its_own() -> None:
    # module/refdev_session.c with configs/defects/refdev/null_deref.patch:
    # open point 1 writes through the NULL session; kunit/kfault/guard.c
    # caught the fault and the boot went on (make sweep: one boot)
    log = build("guard_caught_crash.log")
    crashed = [r.line for r in log.results if r.line.verdict == Verdict.CRASH]
    assert [(r.op, r.nth) for r in crashed] == [("open", 1)]
    line = crashed[0]
    assert line.report.startswith("BUG: kfault: kernel mode fault at addr 0xb8, ip refdev_open+")
    assert line.report_site.startswith("refdev_open+") and line.report_addr > 0
    assert model.evidence(line) == line.report
    assert [str(x) for x in line.leaked] == ["refdev_session.c:35 refdev_open +1/+256B"]
    assert log.crash is None            # no boot died
    # kmemleak finds the ring the cut-short open left: the crash's, not a leak of its own
    assert [x.callers()[0].function for x in log.leaks if not x.kernel] == ["refdev_open"]
    assert crash_leftovers((), log) == 1


def test_a_suite_case_whose_init_faults_is_a_caught_crash() -> None:
    # make sweep SUITE=kfault_init_deref: point 1 fails the allocation the
    # suite's init dereferences unchecked; the case's thread faulted, the
    # guard caught it ("try faulted", as on x86_64) and the sweep went on
    log = model.build(lines("suites_init_deref_caught.log"), "")
    crashed = [r.line for r in log.results if r.line.verdict == Verdict.CRASH]
    assert [(r.op, r.nth) for r in crashed] == [("kfault_init_deref.kfault_init_deref_magic", 1)]
    assert crashed[0].report.startswith(
        "BUG: kfault: kernel mode fault at addr 0x0, ip kfault_init_deref_init+")
    assert log.crash is None
    assert [r.line.verdict for r in log.results if r.line.nth == 0] == [Verdict.PASSED]
