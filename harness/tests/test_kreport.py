"""Kernel report parsing on reports captured from seeded-defect boots."""
from __future__ import annotations

from pathlib import Path

import pytest

from kfault.console import kreport

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("fixture, kind, title, frame", [
    ("double_free", "kasan", "KASAN: double-free in refdev_probe", "refdev_probe"),
    # syzkaller's titles: the access is named (double-free has no access line)
    ("uaf_error_path", "kasan", "KASAN: slab-use-after-free Read in refdev_probe",
     "refdev_probe"),
    ("oob_error_path", "kasan", "KASAN: slab-out-of-bounds Write in refdev_set_channels",
     "refdev_set_channels"),
    ("atomic_sleep", "might_sleep", "BUG: sleeping function called from invalid context at "
     "include/linux/sched/mm.h:321", "refdev_irq"),
    ("cache_live_objects", "warning", "WARNING in __slab_err.part.0", "refdev_core_destroy"),
    ("vfree_kmalloc", "warning", "WARNING in remove_vm_area", "refdev_open"),
    ("lock_inversion", "lockdep", "lockdep: possible circular locking dependency",
     "refdev_set_channels"),
])
def test_first_report_kind_title_and_guilty_frame(fixture: str, kind: str, title: str,
                                                  frame: str) -> None:
    found = kreport.parse((DATA / f"kreport_{fixture}.log").read_text().splitlines(), "refdev_")
    first = found[0]
    assert (first.kind, first.title, first.frame, first.artefact) == (kind, title, frame, False)


def test_fault_injection_artefact_is_marked() -> None:
    # MEM_ALLOC_PROFILING WARNs when an injected failure hits a slab's
    # extension vector: the kernel's, not the driver's
    found = kreport.parse((DATA / "kreport_artefact.log").read_text().splitlines(), "refdev_")
    assert found[0].kind == "warning" and found[0].artefact
    assert found[0].title == "WARNING in alloc_tagging_slab_alloc_hook"


def test_titles_carry_no_addresses_cpus_or_pids() -> None:
    for name in ("double_free", "cache_live_objects"):
        text = (DATA / f"kreport_{name}.log").read_text().splitlines()
        for rep in kreport.parse(text, "refdev_"):
            assert "0x" not in rep.title and "PID" not in rep.title and "CPU" not in rep.title
