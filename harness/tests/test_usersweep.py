"""Sweeps from user space: the plan, kfault-user's records, sites and verdicts."""
from __future__ import annotations

from pathlib import Path

from harness import targets, usersweep

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_the_plan_makes_module_paths_absolute_and_keeps_the_phases_in_order() -> None:
    t = targets.load(CONFIGS, "refdev-syscalls")
    assert t.user
    text = usersweep.plan(t.user.ops[:2], "/b", t.srcdirs)
    lines = text.splitlines()
    assert lines[:3] == ["op open pages=1", "scope drivers/misc/kfault/module/", "scope [refdev]"]
    del lines[1:3]
    assert lines[:5] == ["op open pages=1", "setup insmod /b/drivers/misc/kfault/module/refdev.ko",
                         "step open 0 /dev/refdev0 rw", "step close 0", "teardown rmmod refdev"]
    assert lines[5] == "end" and lines[6] == "op write pages=1"
    assert usersweep.modules(t.user.ops[0]) == {"refdev"}
    up = targets.load(CONFIGS, "upstream-modules")
    assert up.user and usersweep.modules(up.user.ops[1]) == {"list_test"}


def test_a_line_cut_short_or_not_ours_is_no_record() -> None:
    assert usersweep.parse_line("step open 3 0 se") is None
    assert usersweep.parse_line("end open 3") is None
    assert usersweep.parse_line("hello") is None
    assert usersweep.parse_line("step open 3 0 bogus -12") is None
    assert usersweep.parse_line("kmsg open x text") is None


def test_the_scope_of_the_leak_check() -> None:
    tag = usersweep.parse_tag("drivers/misc/kfault/module/refdev_session.c:37 [refdev] "
                              "func:refdev_open")
    assert tag == usersweep.Tag("drivers/misc/kfault/module/refdev_session.c", 37, "refdev",
                                "refdev_open")
    assert usersweep.in_scope(tag, (), {"refdev"})
    assert usersweep.in_scope(tag, ("drivers/misc/kfault/module",), set())
    assert not usersweep.in_scope(tag, ("drivers/misc/kfault/mod",), set())
    core = usersweep.parse_tag("kernel/module/main.c:2207 func:module_alloc_mem")
    assert core and core.module == "" and usersweep.in_scope(core, ("kernel/module",), set())
