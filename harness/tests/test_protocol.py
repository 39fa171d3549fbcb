"""One parser per "kfault:" line kind, on lines of consoles captured from real runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from kfault.console import protocol
from kfault.console.protocol import Verdict

DATA = Path(__file__).parent / "data"


def first(name: str, needle: str) -> str:
    return next(ln for ln in (DATA / name).read_text().splitlines() if needle in ln)


def test_a_result_line_in_ktap() -> None:
    rec = protocol.parse_line(first("fop_open_console.log", "kfault: op=fop_open nth=1 "))
    assert isinstance(rec, protocol.ResultLine)
    assert (rec.op, rec.nth, rec.fill, rec.key) == ("fop_open", 1, 0, "1")
    assert (rec.allocator, rec.file, rec.line) == ("kmalloc_cache", "refdev_session.c", 32)
    assert rec.verdict is Verdict.HANDLED and rec.verdict.ok and rec.ret == -12
    assert rec.addr == 0x608e85c9 and rec.id == "8daa0ffd" and rec.leaked == ()


def test_a_leak_result_keeps_its_leaked_sites() -> None:
    rec = protocol.parse_line(first("sweep_probe_leak.log", "verdict=leak"))
    assert isinstance(rec, protocol.ResultLine)
    assert rec.verdict is Verdict.LEAK and not rec.verdict.ok
    assert tuple(map(str, rec.leaked)) == ("refdev_dev.c:110 refdev_probe +1/+8192B",)
    site = rec.leaked[0]
    assert (site.where, site.function, site.calls, site.bytes) == (
        "refdev_dev.c:110", "refdev_probe", 1, 8192)


def test_count_and_point_lines() -> None:
    count = protocol.parse_line(first("fop_open_console.log", "kfault: count "))
    assert count == protocol.CountLine("fop_open", 3, 1)
    point = protocol.parse_line(first("fop_open_console.log", "kfault: point op=fop_open nth=4"))
    assert isinstance(point, protocol.PointLine)
    assert (point.site, point.file, point.addr) == ("-", None, 0)


def test_try_ran_and_done_lines_of_a_pass() -> None:
    log = "sweep_killed_boot.log"
    assert protocol.parse_line(first(log, "kfault: try op=probe pass=0 nth=1")) == \
        protocol.TryLine("probe", 1, 0)
    ran = protocol.parse_line(first(log, "kfault: ran op=probe nth=1 "))
    assert isinstance(ran, protocol.RanLine)
    assert (ran.key, ran.verdict, ran.id) == ("1", Verdict.HANDLED, "7fa3ae2c")
    done = protocol.parse_line(first("sweep_timeout_after_points.log", "kfault: done op=remove"))
    assert isinstance(done, protocol.DoneLine) and done.op == "remove"


def test_statistics_line() -> None:
    rec = protocol.parse_line(first("full_run_console.log", "points/s"))
    assert rec == protocol.StatsLine(595, 634, 2712, 219)
    # a kernel with the live leak check says how many objects it did not follow
    rec = protocol.parse_line(first("stats_live.log", "points/s"))
    assert isinstance(rec, protocol.StatsLine) and rec.points == 111 and rec.untracked == 0


def test_a_truncated_line_is_a_message_not_an_exception() -> None:
    line = first("fop_open_console.log", "kfault: op=fop_open nth=1 ")
    rec = protocol.parse_line(line[:60])
    assert isinstance(rec, protocol.MessageLine)


@pytest.mark.parametrize("text", ["no kfault here", "kfault_canary: not ours"])
def test_other_lines_are_not_records(text: str) -> None:
    assert protocol.parse_line(text) is None


def test_an_unknown_verdict_is_a_message() -> None:
    rec = protocol.parse_line("kfault: ran op=x nth=1 verdict=bogus nesting=0 site=a/b/c id=1")
    assert isinstance(rec, protocol.MessageLine)


def test_timestamps_are_stripped_once_for_everyone() -> None:
    assert protocol.strip_time("[   12.345678] kfault: x") == "kfault: x"
    assert protocol.strip_time("kfault: [x]") == "kfault: [x]"


def test_target_line_announces_the_code_under_test() -> None:
    rec = protocol.parse_line(first("full_run_console.log", "kfault: target "))
    assert isinstance(rec, protocol.TargetLine)
    assert (rec.name, rec.prefix, rec.srcdir) == ("refdev", "refdev_", "kfault/module/")
    assert rec.text_start < rec.text_end and rec.tags > 0


def test_a_targeted_try_line() -> None:
    rec = protocol.parse_line(first("crash_fill_in.log", "kfault: try op=open fill="))
    assert rec == protocol.TryLine("open", 1, 1, "refdev_open+0x13a/0x730")
    assert isinstance(rec, protocol.TryLine) and rec.key == "f1"


def test_kmemleak_summary_and_a_kernel_leak_head() -> None:
    rec = protocol.parse_line(first("full_run_console.log", "kmemleak confirmation:"))
    assert rec == protocol.KmemleakLine("refdev", True, 0, 89)
    head = protocol.parse_line(first("full_run_console.log", "kfault: kmemleak (kernel)"))
    assert head == protocol.LeakHeadLine(True, "0x8d3cad40", 16)


def test_each_kind_in_a_full_run_has_its_record() -> None:
    kinds = {type(rec).__name__ for _, rec in
             protocol.parse((DATA / "full_run_console.log").read_text().splitlines())}
    assert kinds >= {"TargetLine", "TryLine", "RanLine", "DoneLine", "CountLine", "PointLine",
                     "ResultLine", "VerdictCountLine", "StatsLine", "KmemleakLine",
                     "LeakHeadLine"}


RAN = ("kfault: ran op=open nth=2 verdict=handled nesting=0 "
       "site=kvmalloc_node/kvmalloc_node/refdev_open+0x24b/0x6e0 id=b9390ba0 events=1")


def test_a_ran_line_says_how_many_events_its_point_saw() -> None:
    # make kunit, 2026-12-01: open's point 2 failed event 2, so it saw one
    rec = protocol.parse_line(RAN)
    assert isinstance(rec, protocol.RanLine)
    assert (rec.op, rec.nth, rec.id, rec.events) == ("open", 2, "b9390ba0", 1)
    old = protocol.parse_line(RAN.replace(" events=1", ""))
    assert isinstance(old, protocol.RanLine) and old.events == -1
