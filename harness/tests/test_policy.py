"""The night's policy (configs/nightly.toml) and the suite cap by boots."""
from __future__ import annotations

from pathlib import Path

import pytest

from kfault.checkout import policy
from kfault.engine.resume import Record, boot_cap
from kfault.errors import HarnessError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_the_committed_policy_loads_and_becomes_kernel_arguments() -> None:
    night = policy.load(CONFIGS / "nightly.toml")
    assert night.suite_seconds > 0 and night.suite_boots > 0
    assert night.why_excluded("kasan") and "493" in (night.why_excluded("kasan") or "")
    assert night.why_excluded("kfault_lib") and night.why_excluded("kasan_x") is None
    args = night.kernel_args(("ext4_mballoc_test",))
    assert args == [f"kfault.exclude={','.join(e.suite for e in night.exclude)},"
                    "ext4_mballoc_test", f"kfault.suite_ms={night.suite_seconds * 1000}"]
    assert policy.NONE.kernel_args() == []


@pytest.mark.parametrize("text, message", [
    ("[caps]\nsuite_seconds = -1\n", "caps.suite_seconds = -1: want a whole number >= 0"),
    ("[caps]\nsuite_boots = true\n", "caps.suite_boots = True"),
    ("[caps]\nsuite_minutes = 3\n", "[caps] takes suite_seconds and suite_boots"),
    ("[[exclude]]\nsuite = 'a,b'\nwhy = 'x'\n", "exclude 1: suite 'a,b': want a suite glob"),
    ("[[exclude]]\nsuite = 'kasan'\n", "exclude 1 (kasan): say why it is left out"),
    ("[caps\n", "night.toml: "),
])
def test_a_bad_policy_is_one_line(text: str, message: str) -> None:
    with pytest.raises(HarnessError) as err:
        policy.parse(text, "night.toml")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_missing_policy_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="POLICY=.*: no such file"):
        policy.load(tmp_path / "nope.toml")


def _crash(boot: int, op: str) -> Record:
    return Record(boot, "crash", op, "3", "crash")


def test_a_suite_is_capped_when_its_boots_reach_the_cap() -> None:
    recs = [_crash(1, "ext4.a"), Record(2, "point", "ext4.b", "1", "handled"),
            _crash(2, "ext4.b")]
    assert boot_cap(3, recs, 2) is None            # 2 boots ended in ext4
    recs.append(_crash(3, "other.a"))
    assert boot_cap(3, recs, 3) is None            # boot 3 ended in another suite
    recs.append(_crash(4, "ext4.c"))
    cap = boot_cap(3, recs, 4)
    assert cap is not None and (cap.kind, cap.op, cap.boot) == ("capped", "ext4", 4)
    assert cap.ok and "3 boots ended in it" in cap.detail
    assert boot_cap(3, recs + [cap, _crash(5, "ext4.d")], 5) is None   # once
    assert boot_cap(0, recs, 4) is None            # no cap
