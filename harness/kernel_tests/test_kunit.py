from __future__ import annotations

import pytest

from kfault.results import known as known_mod
from kfault.results import model
from kfault.console import protocol
from kfault.checkout.known_bugs import Known
from kfault.console.kunit_results import KunitResult


def test_kunit(kunit_result: KunitResult, known: tuple[Known, ...]) -> None:
    """One KUnit case or fault point: it passed in the kernel.  A fault point's
    failure leads with its verdict and evidence, read from its own result line;
    a known finding of the target is an expected failure."""
    if kunit_result.status == "SKIPPED":
        pytest.skip(" ".join(kunit_result.log[-1:]) or "skipped in the kernel")
    rec = next((r for r in map(protocol.parse_line, kunit_result.log)
                if isinstance(r, protocol.ResultLine)), None)
    path = kunit_result.path
    hit = known_mod.match(known, model.Result("-", path[0], path[-2] if len(path) > 1 else "-",
                                              rec)) if rec else None
    if hit and kunit_result.status != "SUCCESS":
        pytest.xfail(f"known: {hit.why}")
    head = ([f"kfault: {rec.verdict}: {model.evidence(rec)} (failed {rec.allocator} <- "
             f"{rec.site}, id {rec.id})"] if rec else [])
    assert kunit_result.status == "SUCCESS", "\n".join(head + list(kunit_result.log))
