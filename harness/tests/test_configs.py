from __future__ import annotations

from pathlib import Path

import pytest

from harness import configs
from harness.errors import HarnessError

REPO = Path(__file__).resolve().parents[2]


def test_committed_kunitconfig_is_current() -> None:
    assert (REPO / "configs/.kunitconfig").read_text() == configs.compose(REPO / "configs")


def test_default_composition_has_the_oracles() -> None:
    syms = configs.required_symbols(configs.compose(REPO / "configs"))
    for sym in ("KASAN", "DEBUG_KMEMLEAK", "FAILSLAB", "FAIL_PAGE_ALLOC",
                "FAULT_INJECTION_STACKTRACE_FILTER", "FRAME_POINTER", "REFDEV",
                "REFDEV_KUNIT_TEST", "DEBUG_ATOMIC_SLEEP", "MEM_ALLOC_PROFILING"):
        assert syms[sym] == "y", sym
    assert syms["UML_PCI_OVER_VIRTIO"] == "n"


def test_conflicting_fragments_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.config").write_text("CONFIG_KASAN=y\n")
    (tmp_path / "b.config").write_text("# CONFIG_KASAN is not set\n")
    with pytest.raises(HarnessError, match="CONFIG_KASAN is y in .*a.config but n in"):
        configs.compose(tmp_path, ("a", "b"))


def test_unknown_fragment_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="unknown config fragment 'nope'"):
        configs.compose(tmp_path, ("nope",))


def test_garbage_line_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.config").write_text("CONFIG_KASAN=y\nKASAN y\n")
    with pytest.raises(HarnessError, match=r"a.config:2: not a Kconfig entry"):
        configs.compose(tmp_path, ("a",))


def test_module_composition_builds_the_driver_as_modules() -> None:
    text = configs.compose(REPO / "configs", configs.MODULE_FRAGMENTS)
    assert (REPO / "configs/modules/.kunitconfig").read_text() == text
    syms = configs.required_symbols(text)
    assert syms["REFDEV"] == "m" and syms["REFDEV_KUNIT_TEST"] == "m"
    assert syms["MODULES"] == "y" and syms["MODULE_UNLOAD"] == "y" and syms["HOSTFS"] == "y"
    assert "REFDEV_FAULT_KUNIT_TEST" not in syms     # needs the driver built in
