"""Comparing report dicts of real runs (fixtures described in test_report.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kfault.checkout import diff
from kfault.results import baseline, model, report, review_doc
from kfault.errors import HarnessError

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]
LEAK = "leaked refdev_dev.c:110 refdev_probe +1/+8192B"


def doc(name: str) -> dict[str, Any]:
    lines = (DATA / name).read_text().splitlines()
    rep = report.build(model.build(lines, "refdev_"), report.RunMeta())
    return baseline.validate(report.to_dict(rep), name)


def test_the_leak_run_against_the_clean_run_has_the_probe_findings_as_new() -> None:
    leak, clean = doc("sweep_probe_leak.log"), doc("full_run_console_v1.log")
    cmp = baseline.compare(leak, clean)
    assert len(cmp.new) == 27 and cmp.regressed
    assert {e.operation for e in cmp.new} == {"probe"}
    assert {e.key for e in cmp.new} == {p["failed_site"]["stable_id"] for p in leak["points"]}
    assert all((e.verdict, e.was, e.evidence) == ("leak", "handled", LEAK) for e in cmp.new)
    assert (cmp.fixed, cmp.unchanged, cmp.appeared) == ((), (), ())
    # the leak log keeps failed tests only: the clean run's other results are not in it
    assert len(cmp.disappeared) == 118 - 28


def test_the_clean_run_against_the_leak_run_has_them_fixed() -> None:
    cmp = baseline.compare(doc("full_run_console_v1.log"), doc("sweep_probe_leak.log"))
    assert len(cmp.fixed) == 27 and not cmp.new and not cmp.regressed
    assert all((e.verdict, e.was, e.evidence) == ("handled", "leak", LEAK) for e in cmp.fixed)
    assert len(cmp.appeared) == 90 and cmp.disappeared == ()
    lines = baseline.markdown(cmp, "leak.json")
    assert lines[0] == "## Compared with leak.json"
    assert "**0 new finding(s), 27 fixed, 0 unchanged" in lines[2]
    assert any("| leak -> handled |" in ln for ln in lines)


def test_a_run_against_itself_changes_nothing() -> None:
    old = doc("sweep_reports_oldformat.log")
    cmp = baseline.compare(old, old)
    assert (cmp.new, cmp.fixed, cmp.appeared, cmp.disappeared) == ((), (), (), ())
    # 15 failed points and remove()'s failed baseline, matched by nth where the
    # old kernel printed no stable id
    assert len(cmp.unchanged) == 16
    assert ("remove", "baseline") in {(e.operation, e.key) for e in cmp.unchanged}
    assert ("open", "nth=4") in {(e.operation, e.key) for e in cmp.unchanged}


def test_markdown_lists_are_capped() -> None:
    cmp = baseline.compare(doc("sweep_probe_leak.log"), doc("full_run_console_v1.log"))
    lines = baseline.markdown(cmp, limit=10)
    assert "| ... | 17 more | | |" in lines and "| ... | 80 more | | |" in lines


@pytest.mark.parametrize("data", [[], {"schema": "kfault-report/2"},
                                  {"schema": "kfault-report/1", "points": {}}])
def test_validate_rejects_what_is_not_a_report(data: object) -> None:
    with pytest.raises(HarnessError):
        baseline.validate(data, "x.json")


def test_vanished_passed_and_test_failed_points_are_not_findings() -> None:
    # any-suite sweeps (kunit/kfault/suites.c): passed and test-failed are ok
    # verdicts, so a run that lost them lost no finding; the report one lost is
    old = [doc(name) for name in ("suites_rerun_fails.log", "suites_init_deref_crash.log")]
    items = [p for d in old for p in d["points"] + d["baselines"]]
    assert {"passed", "test-failed", "report"} <= {p["verdict"] for p in items}
    both = dict(old[0], points=[p for d in old for p in d["points"]],
                baselines=[p for d in old for p in d["baselines"]])
    cmp = baseline.compare(dict(both, points=[], baselines=[]), both)
    assert len(cmp.disappeared) == len(items) and not cmp.new
    lost = sum(not p["ok"] for p in items)
    assert lost == sum(p["verdict"] == "report" for p in items) == 1
    assert f"disappeared ({lost} of them findings)" in baseline.markdown(cmp)[2]


def test_findings_where_the_base_did_not_look_are_not_new() -> None:
    # make review PATCH=docs/findings/driver-core/0001-*.patch (2026-12-02):
    # stock pe_test_reference fails its second run with nothing injected, so
    # the base swept no point of it; the fixed case's points are looked at for
    # the first time, and its findings there are not the patch's regressions
    base = json.loads((DATA / "review_pe" / "base.json").read_text())
    patched = json.loads((DATA / "review_pe" / "patched.json").read_text())
    cmp = baseline.compare(patched, base)
    op = "property-entry.pe_test_reference"
    assert [(e.operation, e.key, e.was, e.verdict) for e in cmp.fixed] == [
        (op, "baseline", "report", "passed")]
    assert cmp.unseen and {e.operation for e in cmp.unseen} == {op}
    assert not cmp.new and not cmp.regressed
    assert "where the baseline did not look" in "\n".join(baseline.markdown(cmp))


def test_a_passing_baseline_of_the_touched_case_runs_its_hunk() -> None:
    # the same review: the patch changes pe_test_reference itself, gcov could
    # not measure the file (its Makefile sets CFLAGS_property-entry-test.o),
    # and no point failed an allocation inside the case's own function; the
    # patched side's baseline of the case passed, so the case ran to its end
    from kfault.checkout.diff import Hunk
    from kfault.results import review_doc
    patched = json.loads((DATA / "review_pe" / "patched.json").read_text())
    hunk = Hunk("drivers/base/test/property-entry-test.c", 436, 7, "pe_test_reference")
    [use] = review_doc.hunk_uses([(hunk, ("pe_test_reference",))], patched, {hunk: "x"})
    assert use.exercised and use.points == (
        "property-entry.pe_test_reference 0 (its baseline passed: the case ran to its end)",)
    [other] = review_doc.hunk_uses([(hunk, ("pe_test_uints",))], {"points": [], "baselines": []},
                                   {hunk: "x"})
    assert not other.exercised


def test_results_in_a_suite_one_side_cut_short_are_not_compared() -> None:
    # a night's shard (2026-12-02): kunit_platform_driver was capped at
    # register_test point 27 (suite_seconds).  A night whose cap came at point
    # 20 has no points 20..26: they are not gone, and the other night's are not
    # new; a night that swept the suite to its end and lacks them lost them
    full = doc("night_kunit_shard1_boot1.log")
    case = "kunit_platform_driver.kunit_platform_driver_register_test"
    cut = [p for p in full["points"] if p["operation"] == case and p["nth"] >= 20]
    assert len(cut) == 7
    earlier = dict(full, points=[p for p in full["points"] if p not in cut])
    for cmp in (baseline.compare(earlier, full), baseline.compare(full, earlier)):
        assert (cmp.new, cmp.fixed, cmp.appeared, cmp.disappeared) == ((), (), (), ())
        assert sorted(e.nth for e in cmp.unswept) == list(range(20, 27))
    assert "7 in suites one side did not sweep to the end, not compared" in \
        baseline.markdown(baseline.compare(earlier, full))[2]
    swept = [dict(s, status="swept") if s["name"] == "kunit_platform_driver" else s
             for s in full["suites"]]
    cmp = baseline.compare(dict(earlier, suites=swept), dict(full, suites=swept))
    assert len(cmp.disappeared) == 7 and cmp.unswept == ()


def test_a_leak_only_kmemleak_saw_is_compared_too() -> None:
    # make review PATCH=docs/findings/sysctl/0001-... REVIEW_ARGS="--suite
    # sysctl_test": both sides' points agree (13 unchanged), and only the
    # stock side's kmemleak scan found the emptied directory's header
    # (known bug sysctl-insert-header-erase): the review said "0 fixed"
    base = baseline.validate(json.loads((DATA / "sysctl_erase_base_report.json").read_text()),
                             "base")
    patched = baseline.validate(json.loads(
        (DATA / "sysctl_erase_patched_report.json").read_text()), "patched")
    assert base["kmemleak"]["driver_leaks"] == 1 and patched["kmemleak"]["driver_leaks"] == 0
    cmp = baseline.compare(patched, base)
    [fixed] = cmp.fixed
    assert (fixed.operation, fixed.key, fixed.was, fixed.verdict) == (
        "kmemleak", "baseline", "leak", "passed")
    assert "sysctl-insert-header-erase" in fixed.evidence
    assert not cmp.new and len(cmp.unchanged) == 13
    [new] = baseline.compare(base, patched).new
    assert new.operation == "kmemleak"
    # a review's sides hold one scan per sweep, each named by its sweep
    two = dict(patched, kmemleak=None, kmemleaks=[
        dict(base["kmemleak"], sweep="sysctl_test"), dict(patched["kmemleak"], sweep="other")])
    assert [(r["operation"], r["ok"]) for r in baseline.kmemleak_results(two)] == [
        ("kmemleak:sysctl_test", False), ("kmemleak:other", True)]
    assert baseline.kmemleak_results({"kmemleak": {"driver_leaks": "x"}}) == []


def test_a_crash_that_fails_another_way_after_the_patch_is_said() -> None:
    # the first kunit/0008's review (TARGET=upstream-modules, trimmed to five
    # kunit_test points): point 340 crashed on both sides, "unchanged", but
    # after the patch in driver_remove_hook, a crash the patch made, not the
    # stock U5 one; the review counted it unchanged and said nothing else
    sides = [baseline.validate(json.loads(
        (DATA / f"kunit_cleanup_fix_{s}_report.json").read_text()), s)
        for s in ("base", "patched")]
    cmp = baseline.compare(sides[1], sides[0])
    # and point 339, the driver's leak before, crashed in driver_remove_hook()
    # after it: another verdict at the same point, said too
    leaked, other = baseline.moved(cmp)
    assert (leaked.nth, leaked.was, leaked.verdict) == (339, "leak", "crash")
    assert (other.operation, other.nth) == ("kunit_test", 340)
    assert other.was_evidence == "Kernel panic - not syncing: Segfault with no mm"
    assert other.evidence.startswith("Kernel panic - not syncing: Kernel mode fault at addr")
    assert other in cmp.unchanged and not cmp.new
    patch = diff.parse((REPO / "configs/review/open-unwind-leak.patch").read_text())
    md = review_doc.markdown("p", patch, cmp, sides[0], sides[1], [])
    at = md.index("## Unchanged, but failing another way")
    assert any("| crash: Kernel panic - not syncing: Segfault with no mm | crash: Kernel panic"
               in line for line in md[at:at + 8])
    # the same report with other addresses has not moved
    same = dict(sides[1], points=[dict(p, evidence=dict(p["evidence"] or {}, summary=(
        p["evidence"] or {}).get("summary", "").replace("0xa21f82ec", "0xdeadbeef")))
        for p in sides[1]["points"]])
    assert [e.nth for e in baseline.moved(baseline.compare(same, sides[1]))] == []
    assert [e.nth for e in baseline.moved(baseline.compare(sides[1], sides[1]))] == []


def test_a_leak_that_crashes_after_the_patch_is_not_just_unchanged() -> None:
    # kunit/0008 v3's review (TARGET=upstream-modules, 2026-12-03, trimmed to six
    # kunit_test points): the patch makes the cleanup's kthread before the case's,
    # so the ids of the two kthread_create() calls trade places; points 158/159
    # leaked (U4) before and crash (U3) after.  Both sides fail there, so the
    # review counted them unchanged and said nothing of the new verdict.
    sides = [baseline.validate(json.loads(
        (DATA / f"kunit_cleanup_v3_{s}_report.json").read_text()), s)
        for s in ("base", "patched")]
    cmp = baseline.compare(sides[1], sides[0])
    other = baseline.moved(cmp)
    assert [(e.nth, e.was, e.verdict) for e in other] == [
        (158, "leak", "crash"), (159, "leak", "crash")]
    assert all(e in cmp.unchanged for e in other) and not cmp.new
    assert sorted(e.nth for e in cmp.fixed) == [121, 156, 339, 340]
    assert review_doc.counts(cmp) == "0 new, 4 fixed, 2 unchanged (2 failing another way)"
    patch = diff.parse((REPO / "configs/review/open-unwind-leak.patch").read_text())
    md = review_doc.markdown("p", patch, cmp, sides[0], sides[1], [])
    at = md.index("## Unchanged, but failing another way")
    rows = [line for line in md[at:at + 8] if line.startswith("| kunit_test |")]
    assert len(rows) == 2
    assert all("| leak: leaked kunit-test.c:538" in r and "| crash: Kernel panic" in r
               for r in rows)


def test_a_crash_without_an_id_is_the_same_point_as_the_named_one_at_its_nth() -> None:
    # nights of 2026-12-03 (make nightly, then BASELINE= it), the case's
    # results trimmed from both report.json: iov_kunit_copy_from_folioq's
    # point 2 is a use-after-free (kunit_add_action's failure); one night it
    # crashed before printing the point's id, the next it only reported.
    # Compared by key, that was one result gone and one new
    night_a = baseline.validate(json.loads(
        (DATA / "iov_folioq_night_a_report.json").read_text()), "a")
    night_b = baseline.validate(json.loads(
        (DATA / "iov_folioq_night_b_report.json").read_text()), "b")
    [crash] = [p for p in night_a["points"] if p["nth"] == 2]
    assert crash["verdict"] == "crash" and not (crash.get("failed_site") or {}).get("stable_id")
    cmp = baseline.compare(night_b, night_a)
    assert (cmp.new, cmp.appeared, cmp.disappeared) == ((), (), ())
    [moved] = [e for e in cmp.unchanged if e.nth == 2]
    assert (moved.key, moved.was, moved.verdict) == ("0d81e209", "crash", "report")
    back = baseline.compare(night_a, night_b)
    assert (back.new, back.appeared, back.disappeared) == ((), (), ())
    # a point before it that differs: not the same sweep up to it, not matched
    other = dict(night_b, points=[dict(p, failed_site={"stable_id": "ffffffff"})
                                  if p["nth"] == 1 else p for p in night_b["points"]])
    assert [e.key for e in baseline.compare(other, night_a).appeared if e.nth == 2] == [
        "0d81e209"]
