from __future__ import annotations

import pytest

from harness.kunit_results import KunitResult


def test_kunit(kunit_result: KunitResult) -> None:
    """One KUnit case or fault point: it passed in the kernel."""
    if kunit_result.status == "SKIPPED":
        pytest.skip(" ".join(kunit_result.log[-1:]) or "skipped in the kernel")
    assert kunit_result.status == "SUCCESS", "\n".join(kunit_result.log)
