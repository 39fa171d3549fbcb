"""Line coverage of a review's touched hunks: the coverage build's make options
(checkout/gcov.py), gcov's JSON (results/linecov.py) and the review's word on
each hunk, on gcov output of real coverage builds (data/gcov/)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kfault.checkout import diff, gcov
from kfault.commands import context, review as review_flow
from kfault.results import linecov, review_doc

from .test_flows import FakeRunner, make

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
LEAK_PATCH = REPO / "configs/review/open-unwind-leak.patch"
SESSION = "drivers/misc/kfault/module/refdev_session.c"
# the savedcmd of .vmlinux.o.cmd in the built-in kernel's build directory
VMLINUX_O_CMD = ("savedcmd_vmlinux.o := ld -m elf_x86_64 -z noexecstack --no-warn-rwx-segments "
                 "-r -o vmlinux.o   --whole-archive vmlinux.a --no-whole-archive --start-group "
                 "lib/lib.a --end-group\n")


def test_a_hunk_changes_what_it_adds_and_the_lines_around_what_it_removes() -> None:
    [hunk] = diff.parse(LEAK_PATCH.read_text()).hunks
    # "-\tkfree(s);" between line 53 (the label) and line 54 (the return)
    assert hunk.changed == (53, 54)
    added = diff.parse("--- a/f.c\n+++ b/f.c\n@@ -10,3 +10,4 @@ int f(void)\n a\n+b\n c\n d\n")
    assert added.hunks[0].changed == (11,)


def test_gcov_json_gives_each_files_line_counts() -> None:
    # refdev_session.c of the patched side of make review-test (open-unwind-leak.patch)
    text = (DATA / "gcov/refdev_session.json").read_text()
    counts = linecov.parse(text, "/k/linux/.kunit-kfault", "/k/linux")
    mine = counts[SESSION]
    # refdev_open: 50 opens got their session (line 37), 2 failed the ring's
    # kvmalloc_array (line 40's goto) and left by the label and return the
    # patch keeps (53, 54); 48 went on to return s (line 51)
    assert (mine[37], mine[40], mine[53], mine[54], mine[51]) == (100, 2, 2, 2, 48)
    assert 52 not in mine and 38 not in mine        # blank lines: not executable
    assert "include/linux/slab.h" in counts
    # a KUnit suite of lib/ (string-stream-test), from a per-file coverage build
    other = linecov.parse((DATA / "gcov/string-stream-test.json").read_text(),
                          "/k/linux/.kunit-kfault", "/k/linux")
    assert sum(c > 0 for c in other["lib/kunit/string-stream-test.c"].values()) > 200
    merged = linecov.merge([counts, counts])
    assert merged[SESSION][54] == 2 * mine[54]


@pytest.mark.parametrize("text", ["", "{}", '{"files": [{"lines": [{}]}]}', "[1]"])
def test_what_is_not_gcovs_json_is_one_error(text: str) -> None:
    with pytest.raises(linecov.CoverageError, match="not gcov's JSON"):
        linecov.parse(text, "/b", "/k")


def test_a_hunk_is_executed_when_a_changed_line_ran() -> None:
    [hunk] = diff.parse(LEAK_PATCH.read_text()).hunks
    assert linecov.hunk_lines(hunk, {54: 3, 52: 9}) == linecov.HunkLines((54,), (54,))
    assert not linecov.hunk_lines(hunk, {54: 0, 52: 9}).executed
    # no changed line is executable: the hunk's executable lines are looked at
    braces = dataclasses.replace(hunk, changed=(53,))
    assert linecov.hunk_lines(braces, {51: 0, 52: 4, 60: 9}) == linecov.HunkLines((51, 52), (52,))
    assert linecov.hunk_lines(braces, {}) == linecov.HunkLines((), ())


def test_the_coverage_build_instruments_the_touched_c_files_only() -> None:
    plan = gcov.plan(["lib/a.c", "lib/a.h", "drivers/x/b.c", "lib/a.c", "drivers/y/c.c"],
                     {"drivers/x/b.c": "obj-y += b.o\nCFLAGS_b.o += -DX\n",
                      "drivers/y/c.c": "ifdef CONFIG_Y\nCFLAGS_c.o += -DY\nendif\n"})
    assert plan.files == ("lib/a.c", "drivers/x/b.c")
    assert plan.refused == (("lib/a.h", "not a C file"),
                            ("drivers/y/c.c", "its Makefile sets CFLAGS_c.o under a condition"))
    build = Path("/k/linux/.kunit-kfault")
    # the make-line variable replaces the Makefile's: b.o keeps its -DX
    assert gcov.make_options(plan, build, VMLINUX_O_CMD) == [
        "--make_options=KFAULT_GCOV=y", "--make_options=CFLAGS_a.o=--coverage",
        "--make_options=CFLAGS_b.o=-DX --coverage",
        "--make_options=KBUILD_VMLINUX_LIBS=lib/lib.a /k/linux/.kunit-kfault/libgcov-kfault.a"]
    # the link of an earlier coverage build already names our libgcov: once
    again = VMLINUX_O_CMD.replace("lib/lib.a", f"lib/lib.a {build}/{gcov.LIBGCOV}")
    assert gcov.vmlinux_libs(again) == ["lib/lib.a"]
    assert gcov.vmlinux_libs(None) == ["lib/lib.a"]
    assert gcov.make_options(gcov.Plan(()), build, None) == []


def test_a_file_another_includes_is_counted_in_its_includers_object() -> None:
    # lib/kunit/executor_test.c is compiled inside executor.c: both objects
    # are instrumented, and executor.gcda holds the included file's counts
    plan = gcov.plan(["lib/kunit/executor_test.c"], {},
                     {"lib/kunit/executor_test.c": "lib/kunit/executor.c"})
    assert plan.files == ("lib/kunit/executor_test.c",)
    assert plan.objects == ("lib/kunit/executor_test.c", "lib/kunit/executor.c")
    assert "--make_options=CFLAGS_executor.o=--coverage" in gcov.make_options(
        plan, Path("/b"), VMLINUX_O_CMD)
    # the includer's own CFLAGS are carried, as the file's would be, and a
    # conditional one refuses it
    kept = gcov.plan(["lib/kunit/executor_test.c"],
                     {"lib/kunit/executor_test.c": "CFLAGS_executor.o += -DX\n"},
                     {"lib/kunit/executor_test.c": "lib/kunit/executor.c"})
    assert "--make_options=CFLAGS_executor.o=-DX --coverage" in gcov.make_options(
        kept, Path("/b"), VMLINUX_O_CMD)
    refused = gcov.plan(["lib/kunit/executor_test.c"],
                        {"lib/kunit/executor_test.c":
                         "ifneq ($(X),)\nCFLAGS_executor.o += -DX\nendif\n"},
                        {"lib/kunit/executor_test.c": "lib/kunit/executor.c"})
    assert refused.refused == (("lib/kunit/executor_test.c",
                                "its Makefile sets CFLAGS_executor.o under a condition"),)


def leak_patch_review(fake_tree: Path, tmp_path: Path) -> tuple[
        context.Context, FakeRunner, diff.Hunk, gcov.Plan]:
    """A review of LEAK_PATCH's one hunk on the fake tree's built kernel."""
    ctx, runner = make(fake_tree, tmp_path, [])
    ctx = dataclasses.replace(ctx, boot=dataclasses.replace(
        ctx.boot, build_dir=fake_tree / ".kfault/.kunit-kfault"))
    [hunk] = diff.parse(LEAK_PATCH.read_text()).hunks
    return ctx, runner, hunk, review_flow.coverage_plan(ctx, ["module/refdev_session.c"])


def test_the_review_reports_each_hunk_by_gcovs_counts(fake_tree: Path, tmp_path: Path) -> None:
    ctx, runner, hunk, plan = leak_patch_review(fake_tree, tmp_path)
    assert plan.files == (SESSION,)
    runner.gcov = {SESSION: "gcov/refdev_session.json"}
    [(h, said)] = review_flow.hunk_coverage(ctx, plan, [hunk]).items()
    assert said == linecov.HunkLines((53, 54), (53, 54))
    [use] = review_doc.hunk_uses([(hunk, ("refdev_open",))], {"points": []}, {hunk: said})
    assert use.exercised and not use.points
    assert review_doc.hunk_said(use) == (
        "- `module/refdev_session.c:51` (`refdev_open`): executed: line(s) 53, 54 of 53, 54 "
        "ran (gcov); no point's failure or report is in it")
    # no counts written although the object was built for them: not measured, said why
    runner.gcov = {}
    gcno = ctx.boot.default_build() / SESSION.replace(".c", ".gcno")
    gcno.parent.mkdir(parents=True)
    gcno.write_text("")
    [(_, why)] = review_flow.hunk_coverage(ctx, plan, [hunk]).items()
    assert why == ("not measured: its counts were not written (the kernel did not exit "
                   "cleanly?)")
    [idle] = review_doc.hunk_uses([(hunk, ("refdev_open",))], {"points": []}, {hunk: why})
    assert not idle.exercised
    assert review_doc.hunk_said(idle).endswith(
        "**not exercised** by any swept point (line coverage not measured: its counts were "
        "not written (the kernel did not exit cleanly?))")


def test_a_hunk_gcov_saw_not_run_is_inconclusive_whatever_the_points() -> None:
    [hunk] = diff.parse(LEAK_PATCH.read_text()).hunks
    report = {"points": [{"operation": "open", "nth": 1, "failed_site": {
        "file": "refdev_session.c", "line": 52, "symbol": "refdev_open+0x10/0x90"}}]}
    [use] = review_doc.hunk_uses([(hunk, ("refdev_open",))], report,
                                 {hunk: linecov.HunkLines((54,), ())})
    assert use.points == ("open 1",) and not use.exercised
    from kfault.results import baseline
    none = baseline.Comparison((), (), (), (), ())
    assert review_doc.verdict(none, [use]) == review_doc.INCONCLUSIVE
    assert review_doc.first_line(none, [use]) == (
        "kfault review: inconclusive: 0 new, 0 fixed, 0 unchanged; 0 of 1 touched hunk(s) "
        "executed (gcov), 1 not exercised")
    assert review_doc.hunk_said(use) == (
        "- `module/refdev_session.c:51` (`refdev_open`): **not executed**: none of line(s) 54 "
        "ran (gcov); 1 point(s) ran in it: open 1")
    doc = review_doc.as_json("p", diff.parse(LEAK_PATCH.read_text()), none, [use], [], [], None)
    assert doc["hunks"][0]["lines"] == {"looked": [54], "ran": []}
    assert doc["verdict"] == "inconclusive"


def test_a_live_check_that_missed_objects_says_so() -> None:
    # a real run's console whose statistics line counts objects the live
    # check did not follow (full_run_console.log, its line in today's format)
    from kfault.results import model, summary
    lines = [ln if "points/s" not in ln else
             ln + ", 7 objects not followed by the live check"
             for ln in (DATA / "full_run_console.log").read_text().splitlines()]
    log = model.build(lines, "refdev_")
    assert log.stats is not None and log.stats.untracked == 7
    said = summary.sweep(log)
    assert ("kfault: live leak check: 7 objects not followed (allocated with no allocation "
            "tag, or past the table): their leaks are kmemleak's alone") in said
    clean = model.build((DATA / "full_run_console.log").read_text().splitlines(), "refdev_")
    assert not any("live leak check" in x for x in summary.sweep(clean))


def test_a_gcc_without_libgcov_is_one_clear_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # a gcc that only echoes the name back, as one without libgcc-12-dev does
    from kfault.errors import HarnessError
    from kfault.proc import runner
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gcc").write_text("#!/bin/sh\necho libgcov.a\n")
    (fake / "gcc").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:/usr/bin:/bin")
    with pytest.raises(HarnessError, match="gcc has no libgcov.a"):
        runner.coverage_setup(tmp_path / "build", gcov.LIBGCOV)
    # no .gcda: the object never ran (or was not built), said as None
    assert runner.gcov_json(tmp_path / "build", ["lib/x.c"]) == {"lib/x.c": None}


def test_gcov_output_that_is_not_json_stops_the_review(fake_tree: Path, tmp_path: Path) -> None:
    from kfault.errors import HarnessError
    ctx, runner, hunk, plan = leak_patch_review(fake_tree, tmp_path)
    runner.gcov = {SESSION: "stats_live.log"}
    with pytest.raises(HarnessError, match=f"gcov on {SESSION} in .*: not gcov's JSON"):
        review_flow.hunk_coverage(ctx, plan, [hunk])


def test_a_makefiles_own_cflags_are_carried_unexpanded() -> None:
    # thunderbolt/0001's review measured no line of drivers/thunderbolt/test.c:
    # its Makefile sets "CFLAGS_test.o += $(DISABLE_STRUCTLEAK_PLUGIN)"
    tb = (DATA / "makefiles/thunderbolt.Makefile").read_text()
    assert gcov.own_cflags(tb, "test") == "$(DISABLE_STRUCTLEAK_PLUGIN)"
    plan = gcov.plan(["drivers/thunderbolt/test.c"], {"drivers/thunderbolt/test.c": tb})
    assert plan.files == ("drivers/thunderbolt/test.c",) and not plan.refused
    assert "--make_options=CFLAGS_test.o=$(DISABLE_STRUCTLEAK_PLUGIN) --coverage" in \
        gcov.make_options(plan, Path("/b"), None)
    assert gcov.own_cflags("CFLAGS_x.o := -I$(src)\nCFLAGS_x.o += \\\n\t-DA\n", "x") == \
        "-I$(src) -DA"
    assert gcov.own_cflags("CFLAGS_x.o = -DA\nCFLAGS_x.o = -DB\n", "x") == "-DB"
    assert gcov.own_cflags("CFLAGS_xy.o = -DA\n", "x") == ""
    # two touched files of one stem whose Makefiles disagree
    two = gcov.plan(["a/test.c", "b/test.c"], {"a/test.c": "CFLAGS_test.o += -DA\n",
                                               "b/test.c": "obj-y += test.o\n"})
    assert two.files == ("a/test.c",) and two.refused[0][0] == "b/test.c"
