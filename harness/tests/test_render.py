"""JUnit XML, Markdown and HTML rendered from reports of real runs (see test_report.py)."""
from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from kfault.results import model, render, report

DATA = Path(__file__).parent / "data"
LEAK = "refdev_dev.c:110 refdev_probe +1/+8192B"


def build(name: str) -> report.Report:
    return report.build(model.build((DATA / name).read_text().splitlines(), "refdev_"),
                        report.RunMeta())


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def cells(self) -> list[dict[str, str]]:
        return [a for t, a in self.tags if "cell" in a.get("class", "").split()]


def tags(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def test_junit_of_the_full_run() -> None:
    rep = build("full_run_console.log")
    root = ET.fromstring(render.junit_xml(rep))
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 111                # 96 fault points and 15 baselines
    assert root.get("tests") == "111" and root.get("failures") == "0"
    assert [s.get("name") for s in root.findall("testsuite")][:2] == [
        "kfault.core_create", "kfault.probe"]
    assert root.findall(".//failure") == []
    first = cases[1]
    assert first.get("classname") == "kfault.core_create"
    assert first.get("name") == "core_create: 24ba78a2 kmalloc_cache <- refdev_core_create"
    props = {p.get("name"): p.get("value") for p in first.iter("property")}
    assert props == {"kunit_case": "core_create: fail 1 kmalloc_cache <- "
                     "refdev_core_create+0x374", "nth": "1"}
    assert (first.get("file"), first.get("line")) == ("refdev_core.c", "77")
    assert cases[0].get("name") == "core_create: baseline"


def test_junit_names_survive_code_that_moves() -> None:
    # two make kunit runs of refdev, builds apart: code offsets moved, so the
    # KUnit case names of the points both runs have differ; the JUnit names,
    # by stable id and function, do not
    runs = [build(name) for name in ("full_run_console.log", "full_run_console_v1.log")]
    by_id = [{(p.operation, p.failed_site.stable_id): p for p in rep.points
              if p.failed_site.stable_id} for rep in runs]
    both = by_id[0].keys() & by_id[1].keys()
    moved = [k for k in both if by_id[0][k].name != by_id[1][k].name]
    assert len(both) > 80 and len(moved) > 30
    assert all(render.case_name(by_id[0][k]) == render.case_name(by_id[1][k]) for k in both)
    names = [{c.get("name") for c in ET.fromstring(render.junit_xml(rep)).iter("testcase")}
             for rep in runs]
    assert {render.case_name(by_id[0][k]) for k in both} <= names[0] & names[1]


def test_junit_of_the_leak_run() -> None:
    root = ET.fromstring(render.junit_xml(build("sweep_probe_leak.log")))
    failures = root.findall(".//failure")
    assert len(root.findall(".//testcase")) == 29   # 27 points, baseline, missing results
    assert len(failures) == 27 and root.get("failures") == "27"
    assert (root.get("tests"), root.get("errors")) == ("29", "1")
    assert all(f.get("type") == "leak" and f"leaked: {LEAK}" in (f.text or "")
               for f in failures)
    [error] = root.findall(".//error")
    assert error.get("message") == "4 counted point(s) have no result"


def test_junit_reports_a_crash_and_survives_control_characters() -> None:
    rep = build("kunit_kernel_panic.log")
    root = ET.fromstring(render.junit_xml(rep))
    [error] = root.findall("testsuite[@name='kfault.crash']/testcase/error")
    assert (error.get("message") or "").startswith("Kernel panic - not syncing")
    leak = build("sweep_probe_leak.log")
    point = leak.points[0]
    odd = dataclasses.replace(point, evidence=dataclasses.replace(
        point.evidence, detail="colour \x1b[31mred\x1b[0m"))
    xml = render.junit_xml(dataclasses.replace(leak, points=(odd,) + leak.points[1:]))
    assert "colour ?[31mred" in (ET.fromstring(xml).findall(".//failure")[0].text or "")


def test_markdown_summary_of_the_full_run() -> None:
    md = render.markdown(build("full_run_console.log"))
    assert md.startswith("# kfault report: PASS\n")
    assert "**96 fault points in 15 operations: 96 ok, 0 failed.**" in md
    assert "| handled | 88 |" in md and "| absorbed | 8 |" in md
    assert "canary found, 0 refdev leak(s), 89 kernel leak(s) under its calls" in md
    assert "2712 ms, 219 points/s" in md
    assert "| core_create | 37 | 37 | 0 | 0 | 43 | handled |" in md
    assert "None: every fault point was handled or absorbed." in md


def test_markdown_summary_of_the_leak_run_groups_failures_with_file_line() -> None:
    md = render.markdown(build("sweep_probe_leak.log"))
    assert md.startswith("# kfault report: FAIL\n")
    assert "### probe: leak, 27 point(s)" in md
    assert f"- evidence: `leaked {LEAK}`" in md
    assert "- site: `vzalloc <- refdev_probe+0x479 (refdev_dev.c:117)`" in md
    assert "- probe: 4 counted point(s) have no result" in md


def test_html_has_one_cell_per_result_and_no_url() -> None:
    rep = build("full_run_console.log")
    page = render.html(rep)
    cells = tags(page).cells()
    assert len([c for c in cells if c.get("data-point", "0") != "0"]) == 96
    assert len([c for c in cells if c.get("data-point") == "0"]) == 15
    assert len({c["data-i"] for c in cells}) == 111     # each cell opens its own evidence
    assert "http" not in page.lower()
    assert not [t for t, a in tags(page).tags if t in ("link", "img", "iframe") or "src" in a]
    assert sum(1 for c in cells if "v-absorbed" in c["class"]) == 8


def test_html_colours_failures_and_marks_missing_results() -> None:
    cells = tags(render.html(build("sweep_reports_oldformat.log"))).cells()
    kinds = [c["class"].split()[1] for c in cells]
    assert kinds.count("v-report") == 8                 # 7 points and remove's baseline
    assert kinds.count("v-site-changed") == 7 and kinds.count("v-not-fired") == 1
    leak = tags(render.html(build("sweep_probe_leak.log"))).cells()
    assert sum("v-leak" in c["class"] for c in leak) == 27
    assert sum("v-missing" in c["class"] for c in leak) == 4


def test_html_escapes_what_the_kernel_printed() -> None:
    rep = build("sweep_probe_leak.log")
    point = rep.points[0]
    evil = dataclasses.replace(point, evidence=dataclasses.replace(
        point.evidence, report="<script>alert(1)</script>"))
    page = render.html(dataclasses.replace(rep, points=(evil,) + rep.points[1:]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_a_suites_passed_and_test_failed_points_are_ok_in_the_operations_table() -> None:
    assert {"handled", "absorbed", "passed", "test-failed"} == render.OK_VERDICTS


def test_html_anchors_by_stable_id_survive_code_that_moves() -> None:
    # the two refdev runs of builds apart (test_junit_names_survive_code_that_moves)
    runs = [build(name) for name in ("full_run_console.log", "full_run_console_v1.log")]
    ids = [{c.get("id") for t, c in tags(render.html(rep)).tags if t == "details"
            and c.get("class") == "pt"} for rep in runs]
    by_id = [{(p.operation, p.failed_site.stable_id): p for p in rep.points
              if p.failed_site.stable_id} for rep in runs]
    both = by_id[0].keys() & by_id[1].keys()
    assert {render.anchor(by_id[0][k]) for k in both} <= ids[0] & ids[1]
    assert "p-core_create-baseline" in ids[0] & ids[1]
    cells = tags(render.html(runs[0])).cells()
    assert all(c["href"] == "#" + c["data-i"] for c in cells if "href" in c)


def test_html_marks_known_findings_and_shows_reproducers() -> None:
    # make sweep SUITE=property-entry: pe_test_reference's baseline fails,
    # a known finding (configs/known-suite-bugs.toml) with its citation
    from kfault.checkout import known_bugs
    configs = Path(__file__).resolve().parents[2] / "configs"
    log = model.build((DATA / "suites_rerun_fails.log").read_text().splitlines(), "")
    rep = report.build(log, report.RunMeta(known=known_bugs.load_suite_findings(configs),
                                           reproduce="make repro POINT={op}:{point}"))
    [base] = [p for p in rep.baselines if p.operation == "property-entry.pe_test_reference"]
    assert base.known and not base.ok
    page = render.html(rep)
    cell = next(c for c in tags(page).cells()
                if c.get("data-i") == "p-property-entry.pe_test_reference-baseline")
    assert "known" in cell["class"].split() and "(known)" in cell["title"]
    assert '<span class="kchip">known</span>' in page
    assert "never puts the references" in page
    assert "make repro POINT=property-entry.pe_test_reference:0" in page
