"""The boot loop both sweeps drive."""
from __future__ import annotations

import pytest

from kfault.engine.boots import Ended, boot_until_done
from kfault.errors import HarnessError


def test_each_boot_resumes_where_the_last_one_ended(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[int, str | None]] = []
    ends = [Ended(resume="open:3", said="boot 4 crashed at open 3"), Ended(resume="open:9"),
            Ended(complete=True)]

    def boot(num: int, resume: str | None) -> Ended:
        seen.append((num, resume))
        return ends.pop(0)

    run = boot_until_done(boot, 4, None, 10, "sweep")
    assert seen == [(4, None), (5, "open:3"), (6, "open:9")]
    assert (run.boots, run.complete, run.next_boot) == (3, True, 7)
    assert "sweep: boot 4 crashed at open 3" in capsys.readouterr().out


def test_a_boot_that_ends_where_the_last_resumed_stops_the_sweep() -> None:
    ends = [Ended(resume="open:3"), Ended(resume="open:3", stuck="boot 2 hung again at open:3")]

    def boot(num: int, resume: str | None) -> Ended:
        return ends.pop(0)

    with pytest.raises(HarnessError, match="boot 2 hung again at open:3"):
        boot_until_done(boot, 1, None, 10, "sweep")


def test_a_fatal_end_and_the_boot_cap(capsys: pytest.CaptureFixture[str]) -> None:
    def crash_outside(num: int, resume: str | None) -> Ended:
        return Ended(fatal="boot 1 crashed outside a fault point")

    with pytest.raises(HarnessError, match="outside a fault point"):
        boot_until_done(crash_outside, 1, "open:2", 10, "sweep")
    count = iter(range(100))

    def forever(num: int, resume: str | None) -> Ended:
        return Ended(resume=f"open:{next(count)}")

    run = boot_until_done(forever, 1, None, 3, "usersweep")
    assert (run.boots, run.complete) == (3, False)
    assert "usersweep: stopped after 3 boots" in capsys.readouterr().out
