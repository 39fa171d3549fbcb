from __future__ import annotations

from pathlib import Path

import pytest

from kfault.checkout import configs, targets
from kfault.commands import context
from kfault.errors import HarnessError

REPO = Path(__file__).resolve().parents[2]


CONFIGS = REPO / "configs"


def composed(path: str) -> str:
    return configs.compose(CONFIGS, context.compositions(CONFIGS)[CONFIGS / path])


def test_committed_kunitconfigs_are_current() -> None:
    assert (CONFIGS / ".kunitconfig").read_text() == composed(".kunitconfig")
    context.write_configs(CONFIGS, check=True)


def test_one_kernel_carries_the_oracles_and_every_target() -> None:
    syms = configs.required_symbols(composed(".kunitconfig"))
    for sym in ("KASAN", "DEBUG_KMEMLEAK", "FAILSLAB", "FAIL_PAGE_ALLOC",
                "FAULT_INJECTION_STACKTRACE_FILTER", "FRAME_POINTER", "DEBUG_ATOMIC_SLEEP",
                "MEM_ALLOC_PROFILING", "KFAULT"):
        assert syms[sym] == "y", sym
    for target in targets.load_all(CONFIGS):
        for fragment in target.fragments:
            frag = configs.parse_fragment((CONFIGS / fragment).read_text(), fragment)
            assert all(syms[k] == v for k, v in frag.items()), target.name
    assert syms["UML_PCI_OVER_VIRTIO"] == "n"


def test_oracle_fragments_name_no_target() -> None:
    for name in configs.ORACLES + configs.MODULE_ORACLES:
        frag = configs.parse_fragment((CONFIGS / name).read_text(), name)
        assert not [k for k in frag if k.startswith(("REFDEV", "NETDEVSIM"))], name


def test_conflicting_fragments_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.config").write_text("CONFIG_KASAN=y\n")
    (tmp_path / "b.config").write_text("# CONFIG_KASAN is not set\n")
    with pytest.raises(HarnessError, match="CONFIG_KASAN is y in .*a.config but n in"):
        configs.compose(tmp_path, ("a.config", "b.config"))


def test_unknown_fragment_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="unknown config fragment 'nope.config'"):
        configs.compose(tmp_path, ("nope.config",))


def test_garbage_line_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.config").write_text("CONFIG_KASAN=y\nKASAN y\n")
    with pytest.raises(HarnessError, match=r"a.config:2: not a Kconfig entry"):
        configs.compose(tmp_path, ("a.config",))


def test_module_composition_builds_the_driver_as_modules() -> None:
    text = composed("modules/.kunitconfig")
    assert (CONFIGS / "modules/.kunitconfig").read_text() == text
    syms = configs.required_symbols(text)
    assert syms["REFDEV"] == "m" and syms["REFDEV_KUNIT_TEST"] == "m"
    assert syms["MODULES"] == "y" and syms["MODULE_UNLOAD"] == "y" and syms["HOSTFS"] == "y"
    assert "REFDEV_FAULT_KUNIT_TEST" not in syms     # needs the driver built in
