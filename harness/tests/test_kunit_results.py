"""kunit.py's own parser, imported from the kernel tree, on a real console."""
from __future__ import annotations

import os
from pathlib import Path

from kfault.console import kunit_results

DATA = Path(__file__).parent / "data"
KDIR = Path(os.environ.get("KDIR") or Path.home() / ".cache/kfault/linux-source-6.12")


def test_every_case_and_fault_point_is_a_result_with_its_log() -> None:
    text = (DATA / "fop_open_console.log").read_text().splitlines()
    found = kunit_results.results(KDIR, text)
    assert [r.path[-1] for r in found] == [
        "fop_open: no fault (baseline)",
        "fop_open: fail 1 kmalloc_cache <- refdev_open+0x139",
        "fop_open: fail 3 kvmalloc_node <- refdev_open+0x24b (in kvmalloc_node)",
        "fop_open: fail 4 (silent)"]
    assert {r.status for r in found} == {"SUCCESS"}
    assert found[1].ident == ("refdev_fault.fop_open_fault_sweep."
                              "fop_open_fail_1_kmalloc_cache_refdev_open+0x139")
    assert any("kfault: op=fop_open nth=1" in line for line in found[1].log)
