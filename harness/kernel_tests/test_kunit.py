from __future__ import annotations

import pytest

from harness import model, protocol
from harness.kunit_results import KunitResult


def test_kunit(kunit_result: KunitResult) -> None:
    """One KUnit case or fault point: it passed in the kernel.  A fault point's
    failure leads with its verdict and evidence, read from its own result line."""
    if kunit_result.status == "SKIPPED":
        pytest.skip(" ".join(kunit_result.log[-1:]) or "skipped in the kernel")
    rec = next((r for r in map(protocol.parse_line, kunit_result.log)
                if isinstance(r, protocol.ResultLine)), None)
    head = ([f"kfault: {rec.verdict}: {model.evidence(rec)} (failed {rec.allocator} <- "
             f"{rec.site}, id {rec.id})"] if rec else [])
    assert kunit_result.status == "SUCCESS", "\n".join(head + list(kunit_result.log))
