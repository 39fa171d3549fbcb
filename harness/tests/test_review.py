from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from kfault.results import baseline
from kfault.checkout import diff, gcov
from kfault.results import review_doc
from kfault.errors import HarnessError
from kfault.commands import context, review as review_flow

from .test_flows import make

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
LEAK_PATCH = REPO / "configs/review/open-unwind-leak.patch"


def test_a_patch_names_its_files_and_added_lines() -> None:
    text = LEAK_PATCH.read_text()
    p = diff.parse(text)
    assert p.files == ("module/refdev_session.c",)
    assert p.added == ()                # it only removes the free
    added = diff.parse(
        "--- a/drv.c\n+++ b/drv.c\n@@ -10,3 +10,5 @@ int probe(void)\n ctx = 0;\n"
        "+\tbuf = kzalloc(64, GFP_KERNEL);\n+\t/* kmalloc( in a comment */\n return 0;\n")
    assert [(a.path, a.line, a.allocates) for a in added.added] == [
        ("drv.c", 11, True), ("drv.c", 12, False)]


def test_a_new_site_is_reached_only_when_a_point_failed_it() -> None:
    site = diff.Added("module/refdev_session.c", 38, "kvmalloc_array(")
    hit = {"points": [{"failed_site": {"file": "refdev_session.c", "line": 38}}]}
    miss = {"points": [{"failed_site": {"file": "refdev_session.c", "line": 33}}]}
    assert review_doc.reached(site, hit) and not review_doc.reached(site, miss)
    md = review_doc.markdown("x.patch", diff.Patch(("a.c",), (
        diff.Added("a.c", 5, "p = kzalloc(8, GFP_KERNEL);"),)),
        baseline.Comparison((), (), (), (), ()), {}, miss, [])
    assert "- `a.c:5` `p = kzalloc(8, GFP_KERNEL);`: **not exercised**" in md


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted((root / "module").iterdir()):
        h.update(f.read_bytes())
    return h.hexdigest()


def test_a_patch_that_does_not_apply_changes_nothing(
        fake_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.patch"
    bad.write_text(LEAK_PATCH.read_text().replace("-\tkfree(s);", "-\tkfree(t);"))
    ctx, runner = make(fake_tree, tmp_path, [])
    ctx = dataclasses.replace(ctx, boot=dataclasses.replace(
        ctx.boot, build_dir=fake_tree / ".kfault/.kunit-kfault"))
    monkeypatch.setenv("KFAULT_SCRATCH", str(tmp_path / "scratch"))
    monkeypatch.setattr(review_flow, "unprivileged", lambda: None)
    before = _digest(REPO)
    with pytest.raises(HarnessError, match=r"bad.patch does not apply .*refdev_session.c"):
        review_flow.review(ctx, bad, 1)
    assert _digest(REPO) == before and not runner.requests
    assert not list((tmp_path / "scratch").glob("*/patched"))


def test_a_patch_that_is_no_diff_is_bad_input(fake_tree: Path, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("just words\n")
    ctx, _ = make(fake_tree, tmp_path, [])
    with pytest.raises(HarnessError, match="no diff in it"):
        review_flow.review(ctx, text, 1)
    with pytest.raises(HarnessError, match="no such file"):
        review_flow.review(ctx, tmp_path / "missing.patch", 1)


def test_a_reversed_diff_names_the_file_without_its_prefix() -> None:
    # git diff -R of open-unwind-leak.patch: '+++ a/module/refdev_session.c'
    p = diff.parse((Path(__file__).parent / "data/open-unwind-fix.patch").read_text())
    assert p.files == ("module/refdev_session.c",)
    assert [(a.line, a.text.strip()) for a in p.added] == [(54, "kfree(s);")]
    assert not any(a.allocates for a in p.added)


def test_each_defect_patch_names_its_line() -> None:
    # configs/defects/refdev: one patch per seeded defect, the marker on a line it adds
    from kfault.checkout import defects
    patches = sorted((REPO / "configs/defects/refdev").glob("*.patch"))
    assert len(patches) == 16
    found = {p.stem: defects.from_patch(p.name, p.read_text()) for p in patches}
    assert all(exp and all(e.defect == name for e in exp) for name, exp in found.items())
    df = found["double_free"][0]
    assert (df.verdict, df.file, df.line) == ("report", "refdev_dev.c", 196)
    # the driver core's leak: placed at the device_register() whose failure leaks
    [pd] = found["port_put_device"]
    assert (pd.verdict, pd.file, pd.line) == ("leak", "refdev_dev.c", 78)
    with pytest.raises(HarnessError, match="no '/\\* kfault-defect"):
        defects.from_patch("x.patch", LEAK_PATCH.read_text())


def test_a_new_crash_row_has_its_title_and_a_command_for_the_patched_copy() -> None:
    entry = baseline.Entry("open", "nth=1", 1, "open: fail 1", "crash",
                           "Kernel panic - not syncing: Segfault with no mm; refdev_open+0x2b2 "
                           "at refdev_session.c:35  [<60115b70>] ? kthread+0x0/0x6d0", "handled")
    patched = {"points": [{"operation": "open", "nth": 1, "reproduce": "make repro POINT=open:1",
                           "failed_site": {"file": "refdev_session.c", "line": 35}}]}
    md = review_doc.markdown("p", diff.Patch(("m.c",), ()),
                             baseline.Comparison((entry,), (), (), (), ()), {}, patched, [],
                             "make -C /x/out/review/tree ")
    row = next(x for x in md if x.startswith("| open |"))
    assert "| refdev_session.c:35 | Kernel panic - not syncing: Segfault with no mm |" in row
    assert "`make -C /x/out/review/tree repro POINT=open:1`" in row


def test_new_findings_that_failed_alike_are_one_row() -> None:
    # netdevsim-port-leak.patch: 98 port_add points leak the port alike
    entries = tuple(baseline.Entry("port_add", f"id{n}", n, f"port_add: fail {n}", "leak",
                                   "leaked dev.c:1366 __nsim_dev_port_add +1/+1024B", "handled")
                    for n in range(3, 6))
    patched = {"points": [{"operation": "port_add", "nth": n, "reproduce": f"make repro P={n}",
                           "failed_site": {"file": "dev.c", "line": 400 + n}}
                          for n in range(3, 6)]}
    md = review_doc.markdown("p", diff.Patch(("dev.c",), ()),
                             baseline.Comparison(entries, (), (), (), ()), {}, patched, [])
    rows = [x for x in md if x.startswith("| port_add |")]
    assert len(rows) == 1
    assert "port_add: fail 3 (and 2 more)" in rows[0] and "dev.c:403, dev.c:404, dev.c:405" \
        in rows[0] and "`make repro P=3`" in rows[0]


def test_sparse_says_clean_or_its_warnings_and_nothing_without_c_files() -> None:
    cmp = baseline.Comparison((), (), (), (), ())
    p = diff.Patch(("module/refdev_session.c",), ())
    warn = ["module/refdev_session.c:34:18: warning: Using plain integer as NULL pointer"]
    md = review_doc.markdown("p", p, cmp, {}, {}, [], "", warn)
    assert "## sparse on the touched C files" in md and warn[0] in md
    assert "clean" in review_doc.markdown("p", p, cmp, {}, {}, [], "", [])[-2:]
    assert not any("sparse" in x for x in review_doc.markdown("p", p, cmp, {}, {}, [], "", None))


def test_a_kernel_file_brings_the_suites_of_its_directory(fake_tree: Path,
                                                          tmp_path: Path) -> None:
    # swnode-props-leak.patch touches drivers/base/swnode.c: property-entry's
    # suite lives in drivers/base/test/ and tests drivers/base/
    (fake_tree / "drivers/base/test").mkdir(parents=True)
    (fake_tree / "drivers/base/test/property-entry-test.c").write_text(
        "static struct kunit_suite s = {\n\t.name = \"property-entry\",\n};\n")
    (fake_tree / "lib").mkdir()
    (fake_tree / "lib/list-test.c").write_text(
        "static struct kunit_suite l = { .name = \"list-kunit-test\", };\n")
    ctx, _ = make(fake_tree, tmp_path, [])
    # not built in the review's kernel: named, not swept
    chosen = review_flow.covering_suites(ctx, ["drivers/base/swnode.c"])
    assert [c.suite for c in chosen.not_built] == ["property-entry"] and not chosen.swept
    assert chosen.said() == ["not swept: property-entry (in its test directory: "
                             "drivers/base/swnode.c) is not built in the review's kernel "
                             "(drivers/base/test/property-entry-test.c)"]
    obj = tmp_path / "build/drivers/base/test/property-entry-test.o"
    obj.parent.mkdir(parents=True)
    obj.write_text("")
    chosen = review_flow.covering_suites(ctx, ["drivers/base/swnode.c"])
    assert [c.suite for c in chosen.swept] == ["property-entry"] and not chosen.not_built
    assert review_flow.covering_suites(ctx, ["drivers/net/x.c"]).said() == []
    assert review_flow.covering_suites(ctx, []).swept == ()


def test_a_named_target_is_swept_even_when_the_patch_touches_none_of_it(
        fake_tree: Path, tmp_path: Path) -> None:
    ctx, _ = make(fake_tree, tmp_path, [])
    name = ctx.target.name
    assert review_flow.target_sweep(ctx, ["lib/idr.c"], False) == (
        False, f"not swept: the target {name} (the patch touches none of it)")
    assert review_flow.target_sweep(ctx, ["lib/idr.c"], True) == (
        True, f"swept the target {name} (TARGET= names it; the patch touches none of it)")
    assert review_flow.target_sweep(ctx, ["module/refdev_session.c"], False) == (
        True, f"swept the target {name} (the patch touches it)")


def test_a_suite_in_an_included_c_file_is_built_when_its_includer_is(
        fake_tree: Path, tmp_path: Path) -> None:
    (fake_tree / "lib/kunit").mkdir(parents=True)
    (fake_tree / "lib/kunit/executor_test.c").write_text(
        "static struct kunit_suite e = {\n\t.name = \"kunit_executor_test\",\n};\n")
    (fake_tree / "lib/kunit/executor.c").write_text(
        "int x;\n#if IS_BUILTIN(CONFIG_KUNIT_TEST)\n#include \"executor_test.c\"\n#endif\n")
    ctx, _ = make(fake_tree, tmp_path, [])
    touched = ["lib/kunit/executor_test.c"]
    assert [c.suite for c in review_flow.covering_suites(ctx, touched).not_built] == [
        "kunit_executor_test"]
    obj = tmp_path / "build/lib/kunit/executor.o"
    obj.parent.mkdir(parents=True)
    obj.write_text("")
    chosen = review_flow.covering_suites(ctx, touched)
    assert [c.suite for c in chosen.swept] == ["kunit_executor_test"] and not chosen.not_built
    plan = review_flow.coverage_plan(ctx, touched)
    assert plan.objects == ("lib/kunit/executor_test.c", "lib/kunit/executor.c")


def test_suites_past_the_limit_are_named_not_dropped(fake_tree: Path, tmp_path: Path) -> None:
    (fake_tree / "lib").mkdir()
    for n in range(review_flow.MAX_SUITES + 2):
        (fake_tree / f"lib/t{n}.c").write_text(
            f"static struct kunit_suite s = {{ .name = \"s{n}\", }};\n")
        (tmp_path / "build/lib").mkdir(parents=True, exist_ok=True)
        (tmp_path / f"build/lib/t{n}.o").write_text("")
    ctx, _ = make(fake_tree, tmp_path, [])
    chosen = review_flow.covering_suites(ctx, ["lib/t3.c"])
    assert chosen.swept[0].suite == "s3"           # the touched file's own, first
    assert len(chosen.swept) == review_flow.MAX_SUITES and len(chosen.left_out) == 2
    assert sum("past the first" in line for line in chosen.said()) == 2
    # --suites 2: the two closest; --suite GLOB: only what it names, the rest said
    assert len(review_flow.covering_suites(ctx, ["lib/t3.c"], most=2).swept) == 2
    named = review_flow.covering_suites(ctx, ["lib/t3.c"], only="s[15]")
    assert [c.suite for c in named.swept] == ["s1", "s5"]
    assert sum("not named by --suite s[15]" in line for line in named.said()) == 6
    with pytest.raises(HarnessError, match="--suite 'nope' names no suite this kernel builds"):
        review_flow.covering_suites(ctx, ["lib/t3.c"], only="nope")
    # a built suite that no reason ties to the touched file: swept when named
    (fake_tree / "kernel").mkdir()
    (fake_tree / "kernel/sysctl-test.c").write_text(
        "static struct kunit_suite s = { .name = \"sysctl_test\", };\n")
    touched = ["fs/proc/proc_sysctl.c"]
    assert review_flow.covering_suites(ctx, touched).swept == ()
    with pytest.raises(HarnessError, match="names no suite this kernel builds"):
        review_flow.covering_suites(ctx, touched, only="sysctl_test")   # not built
    (tmp_path / "build/kernel").mkdir()
    (tmp_path / "build/kernel/sysctl-test.o").write_text("")
    chosen = review_flow.covering_suites(ctx, touched, only="sysctl_test")
    assert chosen.said() == ["swept sysctl_test (named by --suite: sysctl_test)"]


def test_bad_review_inputs_are_one_line(fake_tree: Path, tmp_path: Path) -> None:
    ctx, runner = make(fake_tree, tmp_path, [])
    with pytest.raises(HarnessError, match="need KDIR to be a git work tree"):
        review_flow.review_revisions(ctx, "HEAD~1", "HEAD", 1)
    both = tmp_path / "both.patch"
    both.write_text("--- a/module/x.c\n+++ b/module/x.c\n@@ -1 +1 @@\n-a\n+b\n"
                    "--- a/drivers/net/y.c\n+++ b/drivers/net/y.c\n@@ -1 +1 @@\n-a\n+b\n")
    with pytest.raises(HarnessError, match="touches this checkout and the kernel tree"):
        review_flow.review(ctx, both, 1)
    assert not runner.requests


def test_touched_hunks_are_exercised_by_the_points_that_ran_in_them() -> None:
    # refdev's report.json of a real make kunit; open-unwind-leak.patch's one
    # hunk is in refdev_open, where the open points fail their allocations
    report = json.loads((DATA / "refdev_kunit_report.json").read_text())
    parsed = diff.parse(LEAK_PATCH.read_text())
    [hunk] = parsed.hunks
    [use] = review_doc.hunk_uses([(hunk, ("refdev_open",))], report)
    assert use.exercised and all(p.startswith(("open ", "fop_open ")) for p in use.points)
    none = baseline.Comparison((), (), (), (), ())
    assert review_doc.verdict(none, [use]) == review_doc.CLEAN
    # a hunk in a function no point reached proves nothing
    [idle] = review_doc.hunk_uses([(hunk, ("refdev_not_swept",))], report)
    assert not idle.exercised
    assert review_doc.verdict(none, [idle]) == review_doc.INCONCLUSIVE
    assert review_doc.first_line(none, [use, idle]).startswith(
        "kfault review: no new finding: 0 new, 0 fixed, 0 unchanged; 1 of 2 touched hunk(s) "
        "run by a swept point, 1 not exercised")
    md = review_doc.markdown("p", parsed, none, report, report, [], uses=[idle],
                             swept=["not swept: the target refdev"])
    assert md[0].startswith("kfault review: inconclusive")
    assert "**not exercised** by any swept point" in "\n".join(md)
    doc = review_doc.as_json("p", parsed, none, [use], [], [], None)
    assert doc["verdict"] == "no new finding" and doc["hunks"][0]["exercised"]


def test_a_hunk_without_gits_function_gets_the_files_enclosing_function() -> None:
    text = (REPO / "module/refdev_session.c").read_text()
    line = next(i for i, ln in enumerate(text.splitlines(), 1)
                if ln.startswith("struct refdev_session *refdev_open("))
    assert diff.enclosing_function(text, line + 10) == "refdev_open"
    assert diff.enclosing_function(text, 1) == ""


def test_a_hunk_that_adds_a_function_is_named_after_it_not_the_one_before() -> None:
    # sound/0003 (docs/findings/sound) adds tplg_test_add_component() after a
    # function's end; the review named that hunk after the function before it
    before = (REPO / "module/refdev_session.c").read_text()
    lines = before.splitlines()
    start = next(i for i, ln in enumerate(lines)
                 if ln.startswith("struct refdev_session *refdev_open("))
    end = next(i for i in range(start, len(lines)) if lines[i] == "}")
    helper = ["", "static int refdev_helper(struct refdev_session *s)", "{",
              "\treturn s ? 0 : -EINVAL;", "}"]
    after = "\n".join(lines[:end + 1] + helper + lines[end + 1:]) + "\n"
    patch = diff.net({"module/refdev_session.c": (before, after)})
    assert len(patch.hunks) == 1
    h = patch.hunks[0]
    assert diff.enclosing_function(after, h.start + 3) == "refdev_open"
    assert diff.hunk_functions(after, h) == ("refdev_helper",)
    # a hunk inside one function keeps that function's name
    inside = after.replace("\treturn s ? 0 : -EINVAL;", "\treturn s ? 0 : -ENODEV;")
    h2 = diff.net({"module/refdev_session.c": (after, inside)}).hunks[0]
    assert diff.hunk_functions(inside, h2) == ("refdev_helper",)
    # a hunk that adds two helpers is named after both, in order
    # (thunderbolt/0002's first hunk was named after the last of its four)
    two = helper + ["", "static int refdev_helper2(struct refdev_session *s)", "{",
                    "\treturn s ? 1 : -EINVAL;", "}"]
    both = "\n".join(lines[:end + 1] + two + lines[end + 1:]) + "\n"
    h3 = diff.net({"module/refdev_session.c": (before, both)}).hunks[0]
    assert diff.hunk_functions(both, h3) == ("refdev_helper", "refdev_helper2")
    # a hunk that changes only a definition line is named after that function
    renamed = both.replace("static int refdev_helper2(struct refdev_session *s)",
                           "static int refdev_helper2(const struct refdev_session *s)")
    h4 = diff.net({"module/refdev_session.c": (both, renamed)}).hunks[0]
    assert diff.hunk_functions(renamed, h4) == ("refdev_helper2",)


def test_a_finding_where_the_base_was_cut_short_makes_the_review_inconclusive() -> None:
    # a night's shard (2026-12-02): a finding of a suite the base capped before
    # it is not new - and the review cannot be clean either
    from tests.test_baseline import doc
    patched = doc("night_kunit_shard1_boot1.log")
    finding = next(p for p in patched["points"] if not p["ok"])
    suite = finding["operation"].split(".")[0]
    base = dict(patched, points=[p for p in patched["points"] if p is not finding],
                suites=[dict(s, status="capped") if s["name"] == suite else s
                        for s in patched["suites"]])
    cmp = baseline.compare(patched, base)
    assert not cmp.new and [e.nth for e in cmp.unswept] == [finding["nth"]]
    report = json.loads((DATA / "refdev_kunit_report.json").read_text())
    parsed = diff.parse(LEAK_PATCH.read_text())
    [use] = review_doc.hunk_uses([(parsed.hunks[0], ("refdev_open",))], report)
    assert review_doc.verdict(cmp, [use]) == review_doc.INCONCLUSIVE
    md = review_doc.markdown("p", parsed, cmp, base, patched, [], uses=[use], swept=[])
    assert "## Findings not compared" in md
    assert review_doc.as_json("p", parsed, cmp, [use], [], [], None)["unswept"][0]["nth"] == \
        finding["nth"]


def test_the_patched_side_builds_in_its_copys_farm(
        fake_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy's build directory is where its farm keeps it, and that is what
    the unprivileged user is given (make test's review-test saw a path that
    did not exist)."""
    ctx, runner = make(fake_tree, tmp_path, [])
    build = fake_tree / ".kfault/.kunit-kfault"
    (build / "drivers").mkdir(parents=True)
    ctx = dataclasses.replace(ctx, boot=dataclasses.replace(ctx.boot, build_dir=build))
    given: list[Path] = []
    monkeypatch.setattr(review_flow, "unprivileged", lambda: (999, 999))
    monkeypatch.setattr(runner, "give", lambda path, uid, gid: given.append(path),
                        raising=False)
    side = review_flow.patched_side(ctx, tmp_path / "side", [], [], "no patch")
    linux = tmp_path / "side/linux"
    assert side.boot.kdir == linux
    assert side.boot.default_build() == linux / ".kfault/.kunit-kfault"
    assert (linux / ".kfault/.kunit-kfault/drivers").is_dir()     # the build, copied
    assert given == [linux / ".kfault/.kunit-kfault", tmp_path / "side/kfault"]


def test_a_review_with_a_kunitconfig_copies_and_checks_the_suites_kernel(
        fake_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # make review KUNITCONFIG=tools/testing/kunit/configs/all_tests.config:
    # apparmor's policy_unpack_test is built only there; both sides sweep it
    # in their own copy of that kernel
    ctx, runner = make(fake_tree, tmp_path, [])
    build = fake_tree / ".kfault/.kunit-kfault"
    suites = fake_tree / ".kfault" / context.SUITES_BUILD
    (build / "drivers").mkdir(parents=True)
    (suites / "security/apparmor").mkdir(parents=True)
    (suites / "security/apparmor/policy_unpack_test.o").write_text("")
    (fake_tree / "security/apparmor").mkdir(parents=True)
    (fake_tree / "security/apparmor/policy_unpack_test.c").write_text(
        "static struct kunit_suite s = {\n\t.name = \"apparmor_policy_unpack\",\n};\n")
    ctx = dataclasses.replace(ctx, boot=dataclasses.replace(ctx.boot, build_dir=build))
    touched = ["security/apparmor/policy_unpack_test.c"]
    assert [c.suite for c in review_flow.covering_suites(ctx, touched).not_built] == [
        "apparmor_policy_unpack"]
    all_tests = Path("tools/testing/kunit/configs/all_tests.config")
    chosen = review_flow.covering_suites(ctx, touched, kunitconfig=all_tests)
    assert [c.suite for c in chosen.swept] == ["apparmor_policy_unpack"]
    given: list[Path] = []
    monkeypatch.setattr(review_flow, "unprivileged", lambda: (999, 999))
    monkeypatch.setattr(runner, "give", lambda path, uid, gid: given.append(path),
                        raising=False)
    side = review_flow.patched_side(ctx, tmp_path / "side", [], [], "no patch", True)
    linux = tmp_path / "side/linux"
    assert (linux / ".kfault" / context.SUITES_BUILD / "security/apparmor").is_dir()
    assert linux / ".kfault" / context.SUITES_BUILD in given
    assert review_flow.coverage_builds(side, all_tests) == [
        linux / ".kfault/.kunit-kfault", linux / ".kfault" / context.SUITES_BUILD]
    assert review_flow.coverage_builds(side, None) == [linux / ".kfault/.kunit-kfault"]


def test_both_sides_are_compiled_with_the_coverage_flags(fake_tree: Path,
                                                         tmp_path: Path) -> None:
    # the review of iov_iter/0001 said "8 new" of leaks both sides had: only
    # the patched side had --coverage, gcc inlined differently, and the
    # stable ids (made of the call path) differed
    ctx, _ = make(fake_tree, tmp_path, [])
    plan = gcov.Plan(("lib/kunit_iov_iter.c",))
    copy = dataclasses.replace(ctx, boot=dataclasses.replace(ctx.boot, kdir=tmp_path / "b"))
    base, patched = review_flow.compiled_alike(ctx, copy, copy, plan)
    assert base.boot.coverage == patched.boot.coverage == plan
    # the user's own tree is never rebuilt with them
    own, _ = review_flow.compiled_alike(ctx, ctx, copy, plan)
    assert own.boot.coverage is None


def test_sparse_checks_a_file_in_the_kernel_that_compiles_it(tmp_path: Path) -> None:
    # net/0005's review ran sparse in the default kernel, which has no MPTCP:
    # the review printed token_test.c's compile errors as sparse's findings
    kdir, default, suites = tmp_path / "linux", tmp_path / "kfault", tmp_path / "suites"
    (kdir / "net/mptcp").mkdir(parents=True)
    (kdir / "net/mptcp/token_test.c").write_text("int t;\n")
    (kdir / "lib/kunit").mkdir(parents=True)
    (kdir / "lib/kunit/executor_test.c").write_text("int e;\n")
    (kdir / "lib/kunit/executor.c").write_text("#include \"executor_test.c\"\n")
    for build, obj in ((suites, "net/mptcp/token_test.o"), (default, "lib/kunit/executor.o"),
                       (suites, "lib/kunit/executor.o")):
        (build / obj).parent.mkdir(parents=True, exist_ok=True)
        (build / obj).write_text("")
    touched = ["net/mptcp/token_test.c", "lib/kunit/executor_test.c", "fs/gone.c"]
    where, nowhere = review_flow.compiled_in(kdir, [default, suites], touched)
    assert where == {suites: ["net/mptcp/token_test.o"], default: ["lib/kunit/executor.o"]}
    assert nowhere == ["fs/gone.c"]
    assert review_flow.compiled_in(kdir, [default], touched[:1]) == ({}, touched[:1])


def test_a_series_hunks_are_numbered_as_the_patched_file_is() -> None:
    # sound/0002 changed line 249 of the file as it left it; sound/0003 then
    # added a helper above it: the review looked for 249 in the final file,
    # found it in d_probe_null_comp and called the hunk not executed
    before = "".join(f"line {n}\n" for n in range(1, 21))
    middle = before.replace("line 15\n", "line 15 asserted\n")
    after = middle.replace("line 2\n", "line 2\nhelper a\nhelper b\nhelper c\n")
    first = "--- a/t.c\n+++ b/t.c\n@@ -15 +15 @@ f(void)\n-line 15\n+line 15 asserted\n"
    second = "--- a/t.c\n+++ b/t.c\n@@ -2,0 +3,3 @@\n+helper a\n+helper b\n+helper c\n"
    assert [a.line for a in diff.parse(first + second).added] == [15, 3, 4, 5]
    net = diff.net({"t.c": (before, after)})
    assert net.files == ("t.c",)
    assert [(a.line, a.text) for a in net.added] == [
        (3, "helper a"), (4, "helper b"), (5, "helper c"), (18, "line 15 asserted")]
    assert after.splitlines()[18 - 1] == "line 15 asserted"
    assert [h.changed for h in net.hunks] == [(3, 4, 5), (17, 18)]  # 17: before the gap
    made = diff.net({"new.c": ("", "int x;\n")})
    assert [(a.path, a.line) for a in made.added] == [("new.c", 1)]
    assert diff.net({"same.c": (before, before)}).hunks == ()
