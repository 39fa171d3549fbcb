"""Parsers run on console output captured from real runs of our kernel."""
from __future__ import annotations

from pathlib import Path

from harness import kmemleak, ktap, sweep

DATA = Path(__file__).parent / "data"


def lines(name: str) -> list[str]:
    return (DATA / name).read_text().splitlines()


def test_leak_run_names_the_leaked_site_for_every_point_after_it() -> None:
    # module/refdev_dev.c with the unwind's __free_pages() of the order-1
    # descriptor ring removed: every later probe failure leaks those pages.
    log = sweep.parse(lines("sweep_probe_leak.log"))
    leaks = [r for r in log.results if r.verdict == "leak"]
    assert len(leaks) == 27
    assert all(r.leaked == "refdev_dev.c:110 refdev_probe +1/+8192B" for r in leaks)
    assert min(r.nth for r in leaks) == 8       # points 1-7 fail before the ring exists
    assert log.counted == {"probe": 31}
    groups = sweep.failures(log)
    assert list(groups) == [("probe", "leak", "leaked refdev_dev.c:110 refdev_probe +1/+8192B")]


def test_clean_console_run_has_sites_verdicts_and_speed() -> None:
    log = sweep.parse(lines("fop_open_console.log"))
    assert log.counted == {"fop_open": 3}
    assert [r.nth for r in log.results] == [0, 1, 3, 4]
    assert all(r.ok for r in log.results)
    first = log.results[1]
    assert (first.allocator, first.site.split("+")[0]) == ("kmalloc_cache", "refdev_open")
    assert first.addr > 0 and len(first.site_id) == 8
    assert sweep.missing_points(log) == {}


def test_a_truncated_line_is_not_a_result() -> None:
    text = lines("fop_open_console.log")
    cut = [ln[:60] if "kfault: op=" in ln else ln for ln in text]
    log = sweep.parse(cut)
    assert log.results == []
    assert sweep.missing_points(log) == {"fop_open": 3}


def test_kernel_totals_of_a_clean_run() -> None:
    assert ktap.kernel_totals(lines("fop_open_console.log")) == ktap.Totals(4, 0, 0, 4)


def test_kernel_totals_catch_results_kunit_py_dropped() -> None:
    # A run whose point names contained '#': kunit.py printed "passed: 119"
    # while the kernel counted 3 failures.
    totals = ktap.kernel_totals(lines("totals_dropped_results.log"))
    assert totals.failed == 3
    assert "passed: 119" in (DATA / "totals_dropped_results.log").read_text()


def test_kmemleak_kernel_leak_is_not_the_drivers() -> None:
    # A real run: kmem_cache_create()'s sysfs error path leaks the kobject
    # name when fault injection fails it under refdev_core_create().
    text = lines("kmemleak_kernel_leak.log")
    assert kmemleak.driver_leaks(text) == []
    assert kmemleak.confirmation(text) == kmemleak.Confirmation(True, 0, 58)
    assert any("sysfs_slab_add" in ln for ln in text)


def test_one_defect_reported_at_five_points_is_one_group() -> None:
    # refdev.defect=cache_live_objects: every irq point leaves a request in
    # the cache and kmem_cache_destroy() WARNs.
    log = sweep.parse(lines("report_cache_live_objects.log"))
    reports = [r for r in log.results if r.verdict == "report"]
    assert len(reports) == 5
    assert reports[0].why == "WARNING: CPU: - PID: - at mm/slub.c:1152 __slab_err.part.0+0x4b/0x4d"
    groups = sweep.failures(log)
    assert len(groups) == 1
    assert list(groups.values())[0] == reports
    assert reports[0].report_site.startswith("refdev_core_destroy+")
