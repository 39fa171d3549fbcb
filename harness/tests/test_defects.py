from __future__ import annotations

import pytest

from kfault.results import calibration, model
from kfault.checkout import defects
from kfault.errors import HarnessError

SRC = (
    "static int f(void)\n"
    "{\n"
    "\tp = kmalloc(8, GFP_KERNEL);\t/* kfault-defect: a_leak leak, b_crash crash */\n"
    "\tkfree(p);\t/* kfault-defect: c_dfree report */\n"
    "}\n")


def test_markers_give_defect_verdict_and_line() -> None:
    found = defects.parse_markers("x.c", SRC)
    assert [(e.defect, e.verdict, e.where) for e in found] == [
        ("a_leak", "leak", "x.c:3"), ("b_crash", "crash", "x.c:3"), ("c_dfree", "report", "x.c:4")]


def test_a_malformed_marker_is_a_clear_error() -> None:
    with pytest.raises(HarnessError, match=r"x.c:1: bad kfault-defect marker 'a leaks'"):
        defects.parse_markers("x.c", "foo(); /* kfault-defect: a leaks */\n")


LEAK_LINE = ("    # probe_fault_sweep: kfault: op=probe nth=8 ran=8 attr=failslab "
             "allocator=vzalloc "
             "inner=- site=refdev_probe+0x479/0x1070 file=-:0 addr=0x608e4fb9 id=e94cea38 "
             "verdict=leak ret=-12 us=3825 leaked=[refdev_dev.c:110 refdev_probe +1/+8192B] "
             "report=[] detail=[]")


def test_leak_finding_matches_its_marker_and_nothing_else() -> None:
    log = model.build([LEAK_LINE], "refdev_")
    found = calibration.findings(log, model.Symbols({}, frozenset({"refdev_dev.c"})), [])
    assert found == [defects.Finding("leak", "refdev_dev.c", 110)]
    hit = calibration.Outcome(
        "ring_pages_leak", [defects.Expectation("leak", "refdev_dev.c", 110, "ring_pages_leak")],
        found)
    assert hit.detected
    miss = calibration.Outcome(
        "ring_pages_leak", [defects.Expectation("leak", "refdev_dev.c", 111, "ring_pages_leak")],
        found)
    assert not miss.detected
    # the clean boot passes only with no finding
    assert not calibration.Outcome("none", [], found).detected
    assert calibration.Outcome("none", [], []).detected
