"""Where kfault finds its checkout (kfault/paths.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from kfault import paths
from kfault.errors import HarnessError

REPO = Path(__file__).resolve().parents[2]


def test_in_a_checkout_the_checkout_is_the_one_the_package_sits_in() -> None:
    assert paths.checkout() == REPO
    assert paths.user_dir(REPO) == REPO / "harness/kfault/user"


def test_a_wheel_carries_its_checkout_as_package_data(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "site-packages/kfault"
    (pkg / paths.WHEEL_DATA / "configs").mkdir(parents=True)
    (pkg / paths.WHEEL_DATA / "kunit").mkdir()
    (pkg / "user").mkdir()
    monkeypatch.setattr(paths, "package_dir", lambda: pkg)
    assert paths.checkout() == pkg / paths.WHEEL_DATA
    assert paths.user_dir(paths.checkout()) == pkg / "user"


def test_a_package_without_a_checkout_is_one_clear_error(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "lib/kfault"
    pkg.mkdir(parents=True)
    monkeypatch.setattr(paths, "package_dir", lambda: pkg)
    with pytest.raises(HarnessError, match="no configs/ and kunit/ beside this package"):
        paths.checkout()
