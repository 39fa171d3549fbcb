"""Crash parsing on UML panics captured from real runs of seeded defects."""
from __future__ import annotations

from pathlib import Path

from kfault.console import oops

DATA = Path(__file__).parent / "data"


def crash(name: str) -> oops.Crash:
    found = oops.find_crash((DATA / name).read_text().splitlines(), "refdev_")
    assert found is not None
    return found


def test_null_deref_blames_the_faulting_instruction() -> None:
    c = crash("crash_null_deref.log")      # refdev.defect=null_deref
    assert c.title == "Kernel panic - not syncing: Segfault with no mm"
    assert c.rip and c.frame == "refdev_open+0x2bc/0x730"
    assert c.function_offset == ("refdev_open", 0x2bc)
    assert c.case == "open_fault_sweep" and c.last_point == "open 1"


def test_a_crash_inside_the_kernel_blames_the_innermost_driver_caller() -> None:
    c = crash("crash_kfree_vmalloc.log")   # refdev.defect=kfree_vmalloc: kfree() of vzalloc memory
    assert not c.rip and c.frame == "refdev_probe+0xb1b/0x1170" and c.addr == 0x608e565b
    assert c.case == "probe_fault_sweep"


def test_a_clean_log_has_no_crash() -> None:
    assert oops.find_crash((DATA / "fop_open_console.log").read_text().splitlines(),
                           "refdev_") is None


def test_a_bug_panic_of_any_suite_blames_the_first_frame_past_the_panic() -> None:
    # make sweep SUITE=dev-addr-list-test, boot 2: the suite's exit unregisters
    # the netdev its failed init already freed; KASAN reports, then BUG()
    crash = oops.find_crash((DATA / "suites_dev_addr_bug_panic.log").read_text().splitlines(), "")
    assert crash is not None
    assert crash.title.startswith(
        "BUG: failure at net/core/dev.c:11607/unregister_netdevice_many_notify()!")
    assert crash.frame == "unregister_netdevice_many_notify.cold+0x53/0xa9"
    assert crash.last_point == "dev-addr-list-test.dev_addr_test_basic 2"


def test_the_trace_after_an_any_suite_crash_holds_the_suites_frame() -> None:
    # make sweep SUITE=sysctl_test, boot 2: a NULL buffer from a failed
    # kunit_kzalloc() reaches memcpy; the suite's own frame is further down
    lines = (DATA / "suites_sysctl_crash.log").read_text().splitlines()
    crash = oops.find_crash(lines, "")
    assert crash is not None and crash.frame == "memcpy_orig+0x109/0x115" and crash.rip
    frames = [fn for fn, _ in oops.trace_after(lines, crash)]
    assert frames[:4] == ["proc_put_long+0x12e/0x1f0", "__do_proc_dointvec+0x261/0xc30",
                          "proc_dointvec+0x4e/0x80",
                          "sysctl_test_dointvec_read_happy_single_positive+0x198/0x540"]


def test_a_crash_in_code_the_driver_called_names_where_it_faulted() -> None:
    # calibrate's kfree_vmalloc: refdev's unwind kfree()s a vzalloc()ed buffer;
    # UML faults inside kfree (RIP), the driver's frame is its caller
    lines = (DATA / "crash_in_kfree.log").read_text().splitlines()
    crash = oops.find_crash(lines, "refdev_")
    assert crash is not None
    assert (crash.frame, crash.faulted, crash.rip) == (
        "refdev_probe+0xd97/0x1570", "kfree+0x5f/0x540", False)
    from kfault.console.protocol import TryLine
    from kfault.engine import resume
    rec = resume.crash_record(crash, TryLine("probe", 7, 0), ("refdev_dev.c", 197), 1)
    assert rec.detail == ("Kernel panic - not syncing: Segfault with no mm; faulted in "
                          "kfree+0x5f/0x540, called from refdev_probe+0xd97/0x1570 at "
                          "refdev_dev.c:197")


def test_a_fault_the_guard_caught_is_a_crash_of_the_call_not_of_the_boot() -> None:
    # make kunit's refdev open sweep with a NULL dereference on its error path:
    # guard.c printed the oops and the sweep went on (no panic line)
    lines = (DATA / "guard_caught_crash.log").read_text().splitlines()
    assert oops.find_crash(lines, "refdev_") is None
    c = oops.caught(lines, "refdev_")
    assert c is not None
    assert c.title == "kernel mode fault at addr 0xb8, ip refdev_open+0x2b2/0x6e0"
    assert c.rip and c.frame == "refdev_open+0x2b2/0x6e0"
    assert lines[c.line].endswith("BUG: kfault: kernel mode fault at addr 0xb8, "
                                  "ip refdev_open+0x2b2/0x6e0")
    # another driver's prefix: the fault is placed where no frame of it is
    other = oops.caught(lines, "netdevsim_")
    assert other is not None and other.frame == "-"
    assert oops.caught((DATA / "crash_null_deref.log").read_text().splitlines(),
                       "refdev_") is None
