"""Sweeps from user space: the plan, kfault-user's records, sites and verdicts."""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Callable

import pytest

from kfault.checkout import targets
from kfault.console import oops
from kfault.engine import userspace as usersweep
from kfault.errors import HarnessError
from kfault.commands import context, determinism
from kfault.commands import usersweep as usersweep_flow
from kfault.console.protocol import Verdict
from kfault.proc.runner import KunitRequest
from tests.test_flows import FakeRunner

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"


def user_context(fake_tree: Path, tmp_path: Path, runner: FakeRunner,
                 build_dir: Path | None = None) -> context.Context:
    return context.Context(checkout=context.Checkout(REPO),
                           target=targets.load(CONFIGS, "modtests"), runner=runner,
                           out=tmp_path / "out",
                           boot=context.BootSpec(kdir=fake_tree, build_dir=build_dir))


def test_the_plan_makes_module_paths_absolute_and_keeps_the_phases_in_order() -> None:
    t = targets.load(CONFIGS, "refdev-syscalls")
    assert t.user
    text = usersweep.plan(t.user.ops[:2], "/b", t.srcdirs)
    lines = text.splitlines()
    assert lines[:3] == ["op open pages=1 threads=0", "scope drivers/misc/kfault/module/",
                         "scope [refdev]"]
    del lines[1:3]
    assert lines[:5] == ["op open pages=1 threads=0",
                         "setup insmod /b/drivers/misc/kfault/module/refdev.ko",
                         "step open 0 /dev/refdev0 rw", "step close 0", "teardown rmmod refdev"]
    assert lines[5] == "end" and lines[6] == "op write pages=1 threads=0"
    assert usersweep.modules(t.user.ops[0]) == {"refdev"}
    up = targets.load(CONFIGS, "upstream-modules")
    assert up.user and usersweep.modules(up.user.ops[0]) == {"list_test"}


def test_a_line_cut_short_or_not_ours_is_no_record() -> None:
    assert usersweep.parse_line("step open 3 0 se") is None
    assert usersweep.parse_line("end open 3") is None
    assert usersweep.parse_line("hello") is None
    assert usersweep.parse_line("step open 3 0 bogus -12") is None
    assert usersweep.parse_line("kmsg open x text") is None
    # an id is eight hex digits; a leak names its file and line
    assert usersweep.parse_line("fired open 3 1 3ed1a2 3ed1a252 1 0 3") is None
    assert usersweep.parse_line("leak open 3 refdev_session.c - refdev_open 1 64") is None
    assert usersweep.parse_line("ids open 0 1 3ed1a252 xyz") is None
    assert usersweep.parse_line("ids open 0 3ed1a252") is None


def test_a_point_has_the_engines_id_or_its_counted_one() -> None:
    b = _boot("refdev-syscalls.records")
    p = _point(b, "open", 3)
    assert p.fired and usersweep.point_id(p, "-") == p.fired.id != usersweep.NO_ID
    assert usersweep.point_id(_point(b, "open", 0), "-") == usersweep.NO_ID
    # a crashed point: the engine never answered, the counting run's id stands
    crash = _boot("modtests-crash.records")
    cut = crash.unfinished
    assert cut and cut.end is None
    assert usersweep.point_id(dataclasses.replace(cut, fired=None), "b06ff5ef") == "b06ff5ef"


def test_an_id_no_point_has_is_recorded_missing() -> None:
    b = usersweep.boot(usersweep.parse(["missing exit_null 0badc0de 100", "finished"]))
    assert b.missing == [usersweep.MissingRec("exit_null", "0badc0de", 100)] and b.finished
    assert usersweep.parse_line("missing exit_null 96 100") is None


def test_an_operations_ids_come_in_lines() -> None:
    lines = ["ids op 0 1 " + " ".join(f"{i:08x}" for i in range(1, 65)),
             "ids op 0 65 " + " ".join(f"{i:08x}" for i in range(65, 71))]
    b = usersweep.boot(usersweep.parse(lines))
    assert len(b.ids["op"]) == 70 and b.expected_id("op", 65) == "00000041"
    # a line that does not follow on is not taken; a count again starts afresh
    b = usersweep.boot(usersweep.parse(lines[1:] + lines[:1]))
    assert len(b.ids["op"]) == 64


def test_the_scope_of_the_leak_check() -> None:
    rec = usersweep.parse_line("leak open 3 drivers/misc/kfault/module/refdev_session.c:37 "
                               "[refdev] refdev_open 1 64")
    tag = usersweep.Tag("drivers/misc/kfault/module/refdev_session.c", 37, "refdev",
                        "refdev_open")
    assert rec == usersweep.LeakRec("open", 3, tag, 1, 64)
    assert usersweep.in_scope(tag, (), {"refdev"})
    assert usersweep.in_scope(tag, ("drivers/misc/kfault/module",), set())
    assert not usersweep.in_scope(tag, ("drivers/misc/kfault/mod",), set())
    core = usersweep.parse_line("leak load 9 kernel/module/main.c:2207 - module_alloc_mem 1 8")
    assert isinstance(core, usersweep.LeakRec) and core.tag.module == ""
    assert usersweep.in_scope(core.tag, ("kernel/module",), set())


DATA = Path(__file__).parent / "data" / "usersweep"


def _boot(name: str) -> usersweep.Boot:
    return usersweep.boot(usersweep.parse((DATA / name).read_text().splitlines()))


def _point(b: usersweep.Boot, op: str, nth: int) -> usersweep.Point:
    return next(p for p in b.points if p.op == op and p.nth == nth)


def test_a_whole_boot_of_records_is_read_into_its_points() -> None:
    # make sweep TARGET=refdev-syscalls (2026-12-01): six ops, each counted
    # once (point 0), then each counted allocation failed alone
    b = _boot("refdev-syscalls.records")
    assert b.finished and b.unfinished is None
    assert b.done == {"open": 4, "write": 2, "resize": 1, "channels": 1, "load_fw": 2,
                      "dma": 1}
    assert b.events["open"].events == b.events["open"].total == 4
    assert len(b.ids["open"]) == 4 and b.expected_id("open", 4) == b.ids["open"][3]
    assert b.expected_id("open", 5) == "-"
    first = _point(b, "open", 1)
    assert first.pid and first.end and first.fired and first.fired.fired
    assert first.fired.hit and first.fired.id == first.fired.expect == b.ids["open"][0]
    assert [(s.phase, s.ret) for s in first.steps] == [("setup", 0), ("step", -12),
                                                       ("step", -9), ("teardown", 0)]
    # the counting run: nothing failed, the open gives a descriptor
    assert _point(b, "open", 0).fired is None and _point(b, "open", 0).steps[1].ret >= 0
    # load_fw 2 failed only a bookkeeping allocation (rearmed past it) and
    # nothing after it; run again with one more allocation let through, the
    # failure went past the bookkeeping again and hit: two attempts
    tries = [p for p in b.points if (p.op, p.nth) == ("load_fw", 2)]
    attempts = [(p.fired.fired, p.fired.rearmed) for p in tries if p.fired]
    assert attempts == [(False, 1), (True, 1)]


def test_the_engine_names_the_failed_frames_and_its_site() -> None:
    b = _boot("refdev-syscalls.records")
    dumped = usersweep.injection(_point(b, "open", 3).kmsg)
    assert dumped and dumped[0] == "failslab"
    assert any(f.startswith("refdev_open+") and m == "refdev" for f, m in dumped[1])
    # memdup_user() fails with __GFP_NOWARN: no dump, but the engine's stack
    write = _point(b, "write", 1)
    assert usersweep.injection(write.kmsg) is None
    named = usersweep.captured(write.frames)
    assert [f.split("+")[0] for f, _ in named[:3]] == [
        "__kmalloc_node_track_caller_noprof", "memdup_user", "refdev_fop_write"]
    assert named[2][1] == "refdev" and named[0][1] == ""
    # the site is the allocation tag of the call: memdup_user's, in mm/util.c
    assert write.site and (write.site.caller, write.site.file) == ("memdup_user", "util.c")
    assert write.site.inner == "refdev_fop_write"


def _chains() -> dict[str, usersweep.Chain]:
    raw = json.loads((DATA / "refdev-syscalls.faddr2line.json").read_text())
    return {k: [tuple(x) for x in v] for k, v in raw.items()}    # type: ignore[misc]


def test_the_site_is_the_targets_call_past_the_allocator() -> None:
    b, chains = _boot("refdev-syscalls.records"), _chains()
    srcdirs = ("drivers/misc/kfault/module",)
    sites = {}
    for op, nth in (("open", 3), ("open", 4), ("write", 1), ("open", 1), ("dma", 1)):
        inj = usersweep.failure(_point(b, op, nth))
        assert inj
        sites[op, nth] = usersweep.site(inj[0], inj[1], chains, srcdirs, {"refdev"})
    assert sites["open", 3] and sites["open", 3].where == "refdev_session.c:33"
    assert sites["open", 4] and sites["open", 4].where == "refdev_session.c:37"
    # memdup_user is mm/util.c: the site is its caller in the driver
    w = sites["write", 1]
    assert w and (w.function, w.where) == ("refdev_fop_write", "refdev_fops.c:59")
    assert w.inner == "" and w.allocator == "memdup_user"
    # no target frame: the first call past the allocator (the VFS)
    o = sites["open", 1]
    assert o and o.where == "namei.c:144" and o.file == "fs/namei.c"
    # a page: no tracepoint sees its failure, the FAULT_INJECTION dump does
    d = sites["dma", 1]
    assert d and d.attr == "fail_page_alloc" and d.function == "refdev_alloc_dma"
    # every point's id is the engine's, and they differ
    ids = {p.fired.id for p in b.points if p.fired and p.fired.fired}
    assert len(ids) == sum(1 for p in b.points if p.fired and p.fired.fired)


def test_verdicts_of_real_points() -> None:
    b = _boot("refdev-syscalls.records")
    t = targets.load(CONFIGS, "refdev-syscalls")
    assert t.user
    ops = {o.name: o for o in t.user.ops}
    handled = usersweep.judge(_point(b, "open", 3), ops["open"], t.srcdirs)
    assert handled.verdict == Verdict.HANDLED and handled.ret == -12
    # kvmalloc's kmalloc failed, vmalloc did the job: the ioctl succeeded
    absorbed = usersweep.judge(_point(b, "resize", 1), ops["resize"], t.srcdirs)
    assert absorbed.verdict == Verdict.ABSORBED
    base = usersweep.judge(_point(b, "open", 0), ops["open"], t.srcdirs)
    assert base.verdict == Verdict.HANDLED and not base.detail
    # the same point, had it wanted another errno
    strict = dataclasses.replace(ops["open"], expect=(22,))
    wrong = usersweep.judge(_point(b, "open", 3), strict, t.srcdirs)
    assert wrong.verdict == Verdict.WRONG_ERRNO and "expected -22" in wrong.detail


def test_a_module_freed_with_its_allocations_live_is_a_leak_at_their_line() -> None:
    # make sweep TARGET=modtests SWEEP_ARGS="--only init_leak:266c745b":
    # kzalloc at :27 failed, init returned -ENOMEM and forgot the kcalloc of
    # :24; the engine read the module's call sites as it went, and alloc_tag
    # WARNs as the failed module is freed: one leak, not two
    b = _boot("modtests-init-leak-only.records")
    [p] = b.points
    assert [(x.tag.file, x.tag.line, x.calls, x.bytes) for x in p.leaks] == [
        ("drivers/misc/kfault/kunit/modtests/kfault_init_leak.c", 24, 1, 256)]
    assert usersweep.unload_leaks(p.kmsg) == [(usersweep.Tag(
        "drivers/misc/kfault/kunit/modtests/kfault_init_leak.c", 24, "kfault_init_leak",
        "kfault_init_leak_init"), 256)]
    t = targets.load(CONFIGS, "modtests")
    assert t.user
    judged = usersweep.judge(p, t.user.ops[0], t.srcdirs, prefix=t.prefix)
    assert judged.verdict == Verdict.LEAK and judged.ret == -12
    assert tuple(map(str, judged.leaked)) == ("kfault_init_leak.c:24 kfault_init_leak_init "
                                              "(1 live, 256 bytes)",)
    [mark] = usersweep.expectations("kfault_init_leak.c", (
        REPO / "kunit/modtests/kfault_init_leak.c").read_text())
    assert (mark.line, mark.verdict) == (24, "leak")
    assert usersweep.meets(mark, "leak", "kfault_init_leak.c", 27, judged.leaked)
    assert not usersweep.meets(mark, "crash", "kfault_init_leak.c", 24, ())
    # its init's frame was named while the init text was there
    assert any(f.startswith("kfault_init_leak_init+") and m == "kfault_init_leak"
               for f, m in usersweep.captured(p.frames))


def test_a_boot_that_crashed_in_module_exit() -> None:
    # kfault_exit_null: its init carried on without statistics, its exit
    # dereferenced the NULL pointer at rmmod; the boot resumed after point 95
    b = _boot("modtests-crash.records")
    cut = b.unfinished
    assert cut and (cut.op, cut.nth) == ("exit_null", 96) and not b.finished
    # the resumed operation's ids are recorded though its count is not a point
    assert b.expected_id("exit_null", 96) == "b06ff5ef"
    assert [p.nth for p in b.points] == [96]
    console = (DATA / "modtests-crash.console").read_text().splitlines()
    crash = usersweep.crash_of(console, "kfault_")
    assert crash and crash.frame == "kfault_exit_null_exit+0x3a/0x60"
    assert crash.module == "kfault_exit_null" and "Kernel mode fault" in crash.title
    failed = usersweep.last_injection(console, crash.line)
    assert failed and ("kfault_exit_null_init+0x2e6/0x1000", "kfault_exit_null") in failed[1]


class ReplayRunner(FakeRunner):
    """Each UML boot 'writes' the next captured records and console."""

    def __init__(self, boots: list[str], data: Path = DATA) -> None:
        super().__init__([])
        self.boots = list(boots)
        self.data = data
        self.args: list[list[str]] = []
        self.stopped: list[int] = []

    def stop_group(self, pgid: int) -> bool:
        self.stopped.append(pgid)
        return True

    def run_kunit(self, req: KunitRequest, output: Path | None = None,
                  on_start: Callable[[int], None] | None = None) -> int:
        if output:
            output.write_text("build\n")
        return 0

    def boot_uml(self, kernel: Path, args: list[str], log: Path, timeout: int,
                 on_start: Callable[[int], None] | None = None,
                 run_as: tuple[int, int] | None = None) -> int | None:
        self.args.append(args)
        env = dict(a.split("=", 1) for a in args if a.startswith("KFAULT_"))
        name = self.boots.pop(0) if self.boots else ""
        if not name:            # a boot that printed nothing (a second pass, here)
            log.write_text("")
            return 0
        shutil.copyfile(self.data / f"{name}.console", log)
        shutil.copyfile(self.data / f"{name}.records",
                        Path(env["KFAULT_USER_DIR"]) / f"boot-{env['KFAULT_BOOT']}.records")
        return 0


def test_a_sweep_resumes_after_the_point_that_crashed(fake_tree: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    runner = ReplayRunner(["modtests-crash", "modtests-last"])
    ctx = user_context(fake_tree, tmp_path, runner, tmp_path / ".kunit-kfault")
    assert usersweep_flow.modules_build(ctx.boot) == tmp_path / ".kunit-kfault-modules"
    code = usersweep_flow.user_sweep(ctx, fresh=True, max_boots=4)
    said = capsys.readouterr().out
    # boot 1 died at exit_null 96: boot 2 starts after it
    assert [a for a in runner.args[1] if a.startswith("KFAULT_RESUME=")] == [
        "KFAULT_RESUME=exit_null:96"]
    assert "boot 1 crashed at exit_null 96: Kernel panic" in said
    report = json.loads((ctx.out / "usersweep/modtests/report/report.json").read_text())
    [crashed] = [p for p in report["points"] if p["verdict"] == "crash"]
    assert crashed["operation"] == "exit_null" and crashed["nth"] == 96
    assert "kfault_exit_null_exit+0x3a/0x60" in crashed["evidence"]["detail"]
    # its id: the one the counting run gave it, as the engine's failure said
    assert crashed["failed_site"]["stable_id"] == "b06ff5ef"
    assert crashed["reproduce"] == \
        'make sweep TARGET=modtests SWEEP_ARGS="--only exit_null:b06ff5ef"'
    assert report["run"]["kernel_version"] == "6.12.117" and report["run"]["configs"] == [
        "targets/modtests.config"]
    # no faddr2line here: the marks cannot be placed, and say so
    assert "expected crash at kfault_exit_null.c:38: NOT FOUND" in said
    assert code.code == 1
    plan = (ctx.out / "usersweep/modtests/plan.txt").read_text()
    assert "setup insmod" not in plan and \
        f"step insmod {tmp_path}/.kunit-kfault-modules/drivers/misc/kfault/kunit/modtests/" \
        "kfault_init_leak.ko" in plan


def test_only_reruns_one_point_by_its_id_and_finds_it_again(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the sweep: boot 1 crashes at exit_null 96, boot 2 ends the op
    runner = ReplayRunner(["modtests-crash", "modtests-last", "modtests-crash"])
    ctx = user_context(fake_tree, tmp_path, runner)
    usersweep_flow.user_sweep(ctx, fresh=True, max_boots=4)
    assert len(runner.args) == 2       # no second pass
    with pytest.raises(HarnessError, match="--only 'nope:3': expected OP:ID"):
        usersweep_flow.user_sweep(ctx, fresh=False, max_boots=1, only="nope:3")
    with pytest.raises(HarnessError, match="--only 'exit_null:96': expected OP:ID"):
        usersweep_flow.user_sweep(ctx, fresh=False, max_boots=1, only="exit_null:96")
    capsys.readouterr()
    # its reproducer: the counting run and that one point, in one boot
    # (here: the same records again)
    assert usersweep_flow.user_sweep(ctx, fresh=False, max_boots=1,
                                     only="exit_null:b06ff5ef").code == 0
    assert "KFAULT_RESUME=only:exit_null:b06ff5ef" in runner.args[-1]
    said = capsys.readouterr().out
    # no faddr2line here: the crash is not placed, in the sweep or again
    assert ("repro: exit_null [b06ff5ef] was crash at - in the sweep; again at point 96: "
            "the same site and verdict") in said


def test_determinism_compares_the_runs_points(fake_tree: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    runner = ReplayRunner(["modtests-crash", "modtests-last"] * 2)
    ctx = user_context(fake_tree, tmp_path, runner)
    assert determinism.determinism(ctx, 2).code == 0
    said = capsys.readouterr().out
    assert "determinism: run 1: 5 points" in said
    assert "determinism: 5 of 5 (operation, id, verdict) agree in all 2 runs of modtests" in said
    assert (ctx.out / "determinism/run-2/usersweep/modtests/report/report.json").is_file()
    with pytest.raises(HarnessError, match="need at least 2 runs"):
        determinism.determinism(ctx, 1)


def _cut(tmp_path: Path, name: str, upto: Callable[[list[str]], int]) -> Path:
    """A captured boot's records cut short (a killed boot's), its console kept."""
    cut = tmp_path / "data"
    cut.mkdir(exist_ok=True)
    lines = (DATA / f"{name}.records").read_text().splitlines()
    (cut / f"{name}-cut.records").write_text("\n".join(lines[:upto(lines)]) + "\n")
    shutil.copyfile(DATA / f"{name}.console", cut / f"{name}-cut.console")
    return cut


def test_a_killed_run_is_picked_up_at_its_last_finished_point(
        fake_tree: Path, tmp_path: Path) -> None:
    runner = ReplayRunner(["modtests-last"])
    ctx = user_context(fake_tree, tmp_path, runner)
    out = tmp_path / "sweep"
    out.mkdir()
    # the killed run's boot: its records end inside exit_null 99, no crash
    cut = _cut(tmp_path, "modtests-last", lambda ls: ls.index("begin exit_null 99") + 3)
    shutil.copyfile(cut / "modtests-last-cut.records", out / "boot-1.records")
    shutil.copyfile(DATA / "modtests-last.console", out / "boot-1.console")
    (out / "running").write_text("1 4242 4243\n")
    usersweep_flow.run_boots(ctx, tmp_path, out, max_boots=2)
    assert runner.stopped == [4242] and not (out / "running").exists()
    assert "KFAULT_RESUME=exit_null:98" in runner.args[0] and "KFAULT_BOOT=2" in runner.args[0]


def test_frames_are_placed_by_name_and_size() -> None:
    # two static functions of one name: the frame's size says which
    symbols = [(0x1000, 0x40, "dentry_name"), (0x2000, 0x3c0, "dentry_name"),
               (0x3000, 0x10, "other")]
    assert usersweep.frame_addresses(symbols, ["dentry_name+0x12b/0x3c0", "nope+0x1/0x2",
                                               "other+0x0/0x10"]) == {
        "dentry_name+0x12b/0x3c0": 0x2000 + 0x12a, "other+0x0/0x10": 0x3000}


def test_a_points_id_is_the_engines(fake_tree: Path, tmp_path: Path) -> None:
    # modtests-last: exit_null 97..100 after the crash; each point's id is the
    # site the engine failed, which the counting run gave it
    ctx = user_context(fake_tree, tmp_path, ReplayRunner([]))
    out = tmp_path / "sweep"
    out.mkdir()
    for ext in ("records", "console"):
        shutil.copyfile(DATA / f"modtests-last.{ext}", out / f"boot-1.{ext}")
    found = usersweep_flow.analyse(ctx, tmp_path, out)
    b = _boot("modtests-last.records")
    got = {(r.line.nth, r.line.id) for r in found.log.results if r.line.nth}
    assert got == {(n, b.expected_id("exit_null", n)) for n in (97, 98, 99, 100)}
    assert found.points == 4 and found.not_fired == 0


class HangingRunner(ReplayRunner):
    """Replays the captured boots; the boot at index hang is killed by the timeout."""

    def __init__(self, boots: list[str], hang: int = -1, build_fails: str = "",
                 data: Path = DATA) -> None:
        super().__init__(boots, data)
        self.hang = hang
        self.build_fails = build_fails

    def run_kunit(self, req: KunitRequest, output: Path | None = None,
                  on_start: Callable[[int], None] | None = None) -> int:
        if output:
            output.write_text(self.build_fails or "build\n")
        return 1 if self.build_fails else 0

    def boot_uml(self, kernel: Path, args: list[str], log: Path, timeout: int,
                 on_start: Callable[[int], None] | None = None,
                 run_as: tuple[int, int] | None = None) -> int | None:
        status = super().boot_uml(kernel, args, log, timeout, on_start)
        return None if len(self.args) - 1 == self.hang else status


def test_a_boot_killed_by_the_timeout_is_a_hang_at_its_point(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # modtests-crash's records end inside exit_null 96: killed, no panic
    runner = HangingRunner(["modtests-crash", "modtests-last"], hang=0)
    ctx = user_context(fake_tree, tmp_path, runner)
    usersweep_flow.user_sweep(ctx, fresh=True, max_boots=4)
    said = capsys.readouterr().out
    assert f"boot 1 hung at exit_null 96; killed after {ctx.boot.timeout} s" in said
    assert "KFAULT_RESUME=exit_null:96" in runner.args[1]


def test_a_boot_that_ends_at_the_point_it_resumed_after_stops(
        fake_tree: Path, tmp_path: Path) -> None:
    runner = HangingRunner(["modtests-crash", "modtests-crash"])
    ctx = user_context(fake_tree, tmp_path, runner)
    with pytest.raises(HarnessError, match=r"boot 2 ended at exit_null:96 again: see "):
        usersweep_flow.user_sweep(ctx, fresh=True, max_boots=4)


def test_a_boot_that_ends_between_points_stops_with_the_helpers_word(
        fake_tree: Path, tmp_path: Path) -> None:
    # modtests-last's records cut after exit_null 98's end: no point is
    # unfinished, and the helper never said 'finished'
    cut = _cut(tmp_path, "modtests-last", lambda ls: ls.index("begin exit_null 99"))
    runner = HangingRunner(["modtests-last-cut"], data=cut)
    ctx = user_context(fake_tree, tmp_path, runner)
    with pytest.raises(HarnessError, match="boot 1 ended between points, the helper "
                                           "unfinished"):
        usersweep_flow.user_sweep(ctx, fresh=True, max_boots=4)


def test_a_failed_modules_build_is_one_line(fake_tree: Path, tmp_path: Path) -> None:
    runner = HangingRunner([], build_fails="CC  x.o\nx.c:3: error: expected ';'\n")
    ctx = user_context(fake_tree, tmp_path, runner)
    with pytest.raises(HarnessError, match="the modules kernel's build failed: "
                                           "x.c:3: error: expected ';'"):
        usersweep_flow.user_sweep(ctx, fresh=True, max_boots=1)


class SyscallsRunner(ReplayRunner):
    """make sweep TARGET=refdev-syscalls's records replayed, refdev.ko's frames
    placed by the faddr2line answers captured with them."""

    def boot_uml(self, kernel: Path, args: list[str], log: Path, timeout: int,
                 on_start: Callable[[int], None] | None = None,
                 run_as: tuple[int, int] | None = None) -> int | None:
        self.args.append(args)
        env = dict(a.split("=", 1) for a in args if a.startswith("KFAULT_"))
        log.write_text("")
        if self.boots.pop(0) if self.boots else "":
            shutil.copyfile(DATA / "refdev-syscalls.records",
                            Path(env["KFAULT_USER_DIR"]) / f"boot-{env['KFAULT_BOOT']}.records")
        return 0

    def faddr2line(self, kdir: Path, binary: Path, calls: dict[str, str]
                   ) -> dict[str, list[tuple[str, str]]]:
        chains = _chains()
        return {f: chains[f] for f in calls.values() if f in chains}


def test_compare_checks_the_in_kernel_sweeps_sites_are_reached(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the in-kernel side: refdev's report.json of a real 'make kunit'
    report = json.loads((DATA.parent / "refdev_kunit_report.json").read_text())
    build = fake_tree / ".kfault/.kunit-kfault-modules"
    build.mkdir(parents=True)
    (build / "modules.order").write_text("drivers/misc/kfault/module/refdev.o\n")
    # and one site the user op cannot reach: the comparison must say so
    report["points"].append(dict(report["points"][0], operation="resize", nth=99,
                                 failed_site=dict(report["points"][0]["failed_site"],
                                                  file="refdev_session.c", line=999)))
    compare = tmp_path / "report.json"
    compare.write_text(json.dumps(report))
    t = targets.load(CONFIGS, "refdev-syscalls")
    assert t.user
    t = dataclasses.replace(t, user=dataclasses.replace(t.user, compare=str(compare)))
    ctx = dataclasses.replace(user_context(fake_tree, tmp_path, SyscallsRunner(["x"])),
                              target=t)
    swept = usersweep_flow.user_sweep(ctx, fresh=True, max_boots=2)
    said = capsys.readouterr().out
    assert "usersweep: compare open with in-kernel fop_open: " in said
    assert ("kfault: FAIL compare resize: in-kernel resize reaches refdev_session.c:999, "
            "user space does not") in said
    assert swept.code == 1
    # every other in-kernel site of the compared ops was reached
    assert said.count("kfault: FAIL compare") == 1
    assert "usersweep: 1 attempt(s) failed only the kernel's bookkeeping" in said


def _only(tmp_path: Path, kmemleak: Callable[[str], str] = lambda t: t,
          name: str = "modtests-init-leak-only") -> Path:
    """make sweep TARGET=modtests SWEEP_ARGS="--only init_leak:266c745b"
    (2026-12-01): one boot of init_leak 96 whose kmemleak scan found the
    object that its process (pid 40) leaked in the module's init."""
    out = tmp_path / "sweep"
    out.mkdir()
    for ext in ("records", "console"):
        shutil.copyfile(DATA / f"{name}.{ext}", out / f"boot-1.{ext}")
    (out / "boot-1.kmemleak").write_text(
        kmemleak((DATA / "modtests-init-leak-only.kmemleak").read_text()))
    return out


def test_a_kmemleak_object_goes_to_the_point_whose_process_allocated_it(
        fake_tree: Path, tmp_path: Path) -> None:
    ctx = user_context(fake_tree, tmp_path, ReplayRunner([]))
    found = usersweep_flow.analyse(ctx, tmp_path, _only(tmp_path))
    assert found.unplaced == []
    [leak] = [r.line for r in found.log.results if r.line.verdict == Verdict.LEAK]
    assert (leak.op, leak.nth) == ("init_leak", 96)


def test_a_kmemleak_object_of_an_ok_point_makes_it_a_leak(fake_tree: Path,
                                                          tmp_path: Path) -> None:
    # the same object, as if exit_null 98's process (pid 41 of modtests-last)
    # had allocated it
    ctx = user_context(fake_tree, tmp_path, ReplayRunner([]))
    out = _only(tmp_path, lambda t: t.replace("pid 40,", "pid 41,"), name="modtests-last")
    found = usersweep_flow.analyse(ctx, tmp_path, out)
    [r] = [r for r in found.log.results if r.op == "exit_null" and r.line.nth == 98]
    assert r.line.verdict == Verdict.LEAK
    assert r.line.detail.startswith("kmemleak: 1 object(s) allocated by this point's process "
                                    "(pid 41), 128 bytes")


def test_a_kmemleak_object_no_point_allocated_is_unplaced(fake_tree: Path,
                                                          tmp_path: Path) -> None:
    # the same object allocated by a process no point of the boot ran in
    ctx = user_context(fake_tree, tmp_path, ReplayRunner([]))
    out = _only(tmp_path, lambda t: t.replace("pid 40,", "pid 999,"))
    found = usersweep_flow.analyse(ctx, tmp_path, out)
    assert [(x.comm, x.pid) for x in found.unplaced] == [("kfault-user", 999)]


def test_a_user_sweep_stopped_at_the_boot_cap_says_it_is_incomplete(
        fake_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # boot 1 crashes at exit_null 96 and the cap allows no second boot
    ctx = user_context(fake_tree, tmp_path, ReplayRunner(["modtests-crash"]))
    swept = usersweep_flow.user_sweep(ctx, fresh=True, max_boots=1)
    assert not swept.complete
    out = capsys.readouterr().out
    assert "usersweep: INCOMPLETE: stopped at the cap of 1 boots" in out
    # the report says so too, and an operation no boot reached is not "none"
    doc = swept.report
    assert doc is not None and ctx.target.user is not None
    assert doc["run"]["not_swept"].startswith("stopped at the cap of 1 boots")
    assert not doc["summary"]["passed"]
    swept_ops = {p["operation"] for p in doc["points"]}
    left = [o.name for o in ctx.target.user.ops if o.name not in swept_ops]
    assert all(f"usersweep: {op}: 0 points: not swept (the boot cap)" in out for op in left)
    assert not left or ", ".join(left) in doc["run"]["not_swept"]


def test_a_return_address_frame_is_looked_up_as_its_call() -> None:
    # faddr2line places the call: one byte before the return address
    assert usersweep.call_sites(["refdev_fop_write+0x85/0xe0", "x+0x0/0x10", "nope"]) == {
        "refdev_fop_write+0x84": "refdev_fop_write+0x85/0xe0", "x+0x0": "x+0x0/0x10"}


def test_a_crash_at_the_last_point_of_the_last_operation_needs_no_other_boot(
        fake_tree: Path, tmp_path: Path) -> None:
    # a boot that crashes at the last counted point of the last operation
    # leaves nothing for another boot to sweep
    ctx = user_context(fake_tree, tmp_path, ReplayRunner([]))
    b = _boot("modtests-crash.records")
    cut = b.unfinished
    assert cut and usersweep_flow._was_last(ctx, b, cut) is False
    last = dataclasses.replace(cut, nth=b.events["exit_null"].events)
    assert usersweep_flow._was_last(ctx, b, last)
    # the last point of an operation that is not the last one
    first = usersweep.Boot(events={"init_leak": usersweep.EventsRec("init_leak", 0, 100, 100)})
    assert not usersweep_flow._was_last(ctx, first, usersweep.Point("init_leak", 100))


def test_another_trees_source_path_is_named_as_this_tree_names_it() -> None:
    # a review's patched modules kernel links objects the stock tree compiled:
    # its addr2line said /root/.cache/kfault/linux-source-6.12/.kfault/
    # .kunit-kfault-modules/../mm/slub.c, the machinery filter did not see
    # mm/, and the point was named "refdev_init (in trace_kmalloc (kmem.h:54))"
    tree = {"mm/slub.c", "include/trace/events/kmem.h", "drivers/base/platform.c"}
    stock = "/root/.cache/kfault/linux-source-6.12"
    assert usersweep.in_tree(f"{stock}/mm/slub.c", tree.__contains__) == "mm/slub.c"
    assert usersweep.in_tree(f"{stock}/include/trace/events/kmem.h", tree.__contains__) == \
        "include/trace/events/kmem.h"
    assert usersweep.in_tree("/elsewhere/x.c", tree.__contains__) == "/elsewhere/x.c"


def _upstream_context(fake_tree: Path, tmp_path: Path) -> context.Context:
    return context.Context(checkout=context.Checkout(REPO),
                           target=targets.load(CONFIGS, "upstream-modules"),
                           runner=ReplayRunner([]), out=tmp_path / "out",
                           boot=context.BootSpec(kdir=fake_tree))


def _caught(tmp_path: Path, kmemleak: str = "") -> Path:
    """make sweep TARGET=upstream-modules SWEEP_ARGS="--only kunit_test:a8e51e36"
    (2026-12-03): kunit_test 156, U3's NULL dereference in kunit-resource-test's
    exit, caught by the guard in KUnit's cleanup kthread (modsuites.c); the
    boot went on to its end.  Its window: since 4294937395, until 4294937400."""
    out = tmp_path / "sweep"
    out.mkdir()
    for ext in ("records", "console"):
        shutil.copyfile(DATA / f"upstream-modules-only-caught.{ext}", out / f"boot-1.{ext}")
    (out / "boot-1.kmemleak").write_text(kmemleak)
    return out


def test_a_fault_caught_in_a_kunit_modules_thread_is_a_crash_of_its_point(
        fake_tree: Path, tmp_path: Path) -> None:
    ctx = _upstream_context(fake_tree, tmp_path)
    found = usersweep_flow.analyse(ctx, tmp_path, _caught(tmp_path))
    assert (found.caught, found.took_down) == (1, 0)
    [r] = [r for r in found.log.results if r.line.nth == 156]
    assert r.line.verdict == Verdict.CRASH and r.boot == 1
    assert r.line.report == "kernel mode fault at addr 0x68, ip __lock_acquire+0x10f/0x69e0"
    # blamed where U3 was when it took the boot down: KUnit's cleanup (the
    # sweep placed it at test.c:911; no faddr2line here)
    assert r.line.detail.startswith("kernel mode fault at addr 0x68, ip __lock_acquire"
                                    "+0x10f/0x69e0; kunit_cleanup+0xe5/0x210\n")
    # the counting run's points before it are judged as ever
    assert all(x.line.verdict.ok for x in found.log.results if x.line.nth != 156)


def test_a_kmemleak_object_of_a_kthread_goes_to_the_point_whose_window_holds_it(
        fake_tree: Path, tmp_path: Path) -> None:
    # a real object of the one-boot sweep (a KUnit case thread's, pid 3641),
    # its time moved into point 156's window, and once outside every window
    block = (DATA / "upstream-modules-kthread.kmemleak").read_text()
    ctx = _upstream_context(fake_tree, tmp_path)
    inside = block.replace("jiffies 4294941788", "jiffies 4294937398")
    found = usersweep_flow.analyse(ctx, tmp_path, _caught(tmp_path, inside))
    assert found.unplaced == []
    late = block.replace("jiffies 4294941788", "jiffies 4294937500")
    (tmp_path / "late").mkdir()
    found = usersweep_flow.analyse(ctx, tmp_path, _caught(tmp_path / "late", late))
    assert [(x.comm, x.pid) for x in found.unplaced] == [("kunit_try_catch", 3641)]
    recs = usersweep.boot(usersweep.parse(
        (DATA / "upstream-modules-only-caught.records").read_text().splitlines()))
    [p] = [p for p in recs.points if p.nth == 156]
    assert (p.since, p.until) == (4294937395, 4294937400)
    assert usersweep.owner(recs.points, 4294937398, 3641) is p
    assert usersweep.owner(recs.points, 4294937500, 3641) is None


def test_a_fault_that_left_the_kernel_unusable_is_placed_by_its_oops() -> None:
    # the one-boot sweep's point 340: U5's fault in a driver's probe, caught,
    # then found inside driver_probe_device(): the boot ended in guard.c's panic
    lines = (DATA / "upstream-modules-unusable.console").read_text().splitlines()
    c = oops.find_crash(lines, "kunit_")
    assert c is not None
    assert c.title == ("kernel mode fault at addr 0x0, ip driver_probe_hook+0xcb/0x1a0; "
                       "it left the kernel unusable")
    assert c.frame == "kunit_device_register_internal.constprop.0+0x2a8/0x4b0"
    assert c.faulted == "driver_probe_hook+0xcb/0x1a0"
    assert "came inside driver_probe_device()" in "\n".join(lines[c.line:])
