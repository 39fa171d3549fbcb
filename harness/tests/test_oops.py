"""Crash parsing on UML panics captured from real runs of seeded defects."""
from __future__ import annotations

from pathlib import Path

from harness import oops

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
