"""Resume records from consoles captured in real runs (a kill -9, a crash)."""
from __future__ import annotations

from pathlib import Path

from kfault.results import model
from kfault.engine import resume
from kfault.console.protocol import TryLine

DATA = Path(__file__).parent / "data"


def lines(name: str) -> list[str]:
    return (DATA / name).read_text().splitlines()


def test_a_killed_boot_keeps_its_finished_points_and_resumes_after_the_last() -> None:
    # 'make sweep' killed with SIGKILL while fop_write's point 6 was running
    log = model.build(lines("sweep_killed_boot.log"), "refdev_")
    recs = resume.points(log, boot=1)
    assert recs and all(r.kind == "point" and r.boot == 1 for r in recs)
    assert recs[-1].op == "fop_write" and recs[-1].point == "5"
    assert log.last_started() == TryLine("fop_write", 6, 0)
    assert resume.resume_point(recs) == "fop_write:5"


def test_a_crash_becomes_a_record_and_the_next_boot_skips_its_point() -> None:
    text = lines("crash_null_deref.log")       # refdev.defect=null_deref
    log = model.build(text, "refdev_")
    crash = log.crash
    assert crash is not None
    at = log.last_started()
    assert at == TryLine("open", 1, 0)
    rec = resume.crash_record(crash, at, ("refdev_session.c", 38), boot=1,
                              context=resume.excerpt(text, crash))
    assert (rec.kind, rec.verdict, rec.op, rec.point) == ("crash", "crash", "open", "1")
    assert "Segfault with no mm" in rec.detail and "refdev_session.c:38" in rec.detail
    assert "RIP: 0033:refdev_open+0x2bc/0x730" in rec.excerpt
    assert (rec.file, rec.line) == ("refdev_session.c", 38)
    back = resume.load(rec.json() + "\n")[0]
    point = resume.as_result(back, "refdev", "refdev_fault")
    assert (point.line.file, point.line.line) == ("refdev_session.c", 38)
    assert "RIP: 0033:refdev_open" in point.line.detail
    assert resume.resume_point([rec]) == "open:1"


def test_records_round_trip_and_a_torn_last_line_is_dropped() -> None:
    recs = resume.points(model.build(lines("sweep_killed_boot.log"), "refdev_"), boot=2)
    text = "".join(r.json() + "\n" for r in recs)
    torn = text + recs[0].json()[:20]            # the writer was killed mid-line
    assert resume.load(torn) == recs


def test_a_log_ending_after_a_finished_pass_has_no_running_point() -> None:
    # kunit.py's --timeout (5 s) ended the boot during the kmemleak wait
    # after remove's last pass: the last 'try' did not fire ('done')
    text = lines("sweep_timeout_after_points.log")
    assert any("kfault: done op=remove" in ln for ln in text)
    assert model.build(text, "refdev_").last_started() is None


def test_a_crash_during_a_targeted_fill_in_is_a_point_and_resumed_after() -> None:
    # refdev.defect=null_deref with kfault.target=open:refdev_open+0x13a: the
    # targeted attempt fails the kzalloc whose result is dereferenced.  The
    # harness before this fix matched neither 'try op=open fill=1 target=...'
    # (resume) nor it as the last point (oops): 'crashed outside a fault point'.
    text = lines("crash_fill_in.log")
    log = model.build(text, "refdev_")
    at = log.last_started()
    assert at == TryLine("open", 1, 1, "refdev_open+0x13a/0x730") and at.key == "f1"
    assert log.crash is not None and log.crash.last_point == "open f1"
    assert log.crash.frame == "refdev_open+0x2bc/0x730"
    rec = resume.crash_record(log.crash, at, ("refdev_session.c", 38), boot=1)
    assert (rec.op, rec.point, rec.verdict) == ("open", "f1", "crash")
    assert resume.resume_point([rec]) == "open:f1"


def test_a_boot_that_died_without_a_panic_line_is_a_crash_not_a_hang() -> None:
    # make sweep SUITE='kunit*' KUNITCONFIG=lib/kunit, boot 41: the console
    # stops mid-trace in kunit_log_test, 0.75 s in; kunit.py saw the kernel die
    from kfault.console.protocol import TryLine
    at = TryLine(op="kunit-log-test.kunit_log_test", nth=7, fill=0)
    tail = (DATA / "kunit_py_crashed_tail.txt").read_text()
    rec = resume.hang_record(at, 41, 600, tail)
    assert (rec.verdict, rec.point) == ("crash", "7")
    assert "console lost its last lines" in rec.detail
    assert resume.hang_record(at, 41, 600, "").verdict == "hang"


def test_a_point_that_flooded_the_console_is_a_report_and_the_sweep_resumes_after_it() -> None:
    from kfault.console.protocol import TryLine
    from kfault.proc.runner import flood_said
    at = TryLine(op="kunit-log-test.kunit_log_test", nth=7, fill=0)
    said = flood_said("BUG: KASAN: x\nkfault: console flood: the boot was stopped after "
                      "268435460 bytes of output (more than 268435456)\n")
    rec = resume.hang_record(at, 3, 600, "", said)
    assert (rec.verdict, rec.point) == ("report", "7")
    assert rec.detail == ("the point flooded the console: console flood: the boot was "
                          "stopped after 268435460 bytes of output (more than 268435456)")
    assert resume.resume_point([rec]) == "kunit-log-test.kunit_log_test:7"


def test_a_crash_that_ended_the_boot_keeps_the_id_its_try_line_named() -> None:
    # make sweep SUITE=kunit-resource-test SWEEP_ARGS="--fresh --kernel-arg
    # kfault.guard=0": point 1 of init_resources panics the boot in its exit;
    # the guarded sweep's ran line names that point b5433cdf too
    log = model.build(lines("guard_off_crash_try_id.log"), "kunit_")
    at = log.last_started()
    assert at == TryLine("kunit-resource-test.kunit_resource_test_init_resources", 1, 0,
                         id="b5433cdf")
    assert log.crash is not None
    rec = resume.crash_record(log.crash, at, None, boot=1)
    assert (rec.verdict, rec.point, rec.id) == ("crash", "1", "b5433cdf")
    assert resume.load(rec.json() + "\n")[0].id == "b5433cdf"
    # and the report's result of it is named so too
    assert resume.as_result(rec, "suites", "-").line.id == "b5433cdf"
    assert resume.hang_record(at, 1, 600).id == "b5433cdf"
    # an op's try line names no id: its point is named by the site it fails
    assert resume.hang_record(TryLine("open", 1, 0), 1, 600).id == ""
