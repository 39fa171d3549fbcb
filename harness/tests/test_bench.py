"""make bench's arithmetic and its page (the timed runs are the command's)."""
from __future__ import annotations

from datetime import datetime, timezone

from kfault.commands import bench


def test_points_are_sampled_evenly_first_and_last_included() -> None:
    keys = [f"c:{n}" for n in range(10)]
    assert bench.sample(keys, 4) == ["c:0", "c:3", "c:6", "c:9"]
    assert bench.sample(keys, 1) == ["c:0"]
    assert bench.sample(keys, 20) == keys


def test_the_page_projects_one_boot_per_point_and_says_so() -> None:
    b = bench.Bench(suite="kunit*", points=736, boots=2, ours=bench.Timed((70.0, 64.0, 66.0)),
                    per_point=bench.Timed((8.0, 9.0, 8.5)), sampled=("a.b:0", "a.b:3", "c.d:7"),
                    sharded=bench.Timed((40.0, 38.0, 41.0)), rebuild=bench.Timed((30.0,)),
                    machine="a CPU, 2 cores, 24 GiB")
    assert b.ours.median == 66.0 and b.projected == 8.5 * 736
    assert round(b.ratio) == 95
    page = bench.markdown(b, datetime(2026, 12, 1, 23, 0, tzinfo=timezone.utc), "6.12.117")
    assert "on 2026-12-01 23:00 UTC, kernel 6.12.117, ARCH=um; a CPU, 2 cores, 24 GiB" in page
    assert "**projected** from 3 sampled points (8.5 s each) | 6256 s" in page
    assert "**Ratio: 95x.** Boots per 100 points: 0.3 (kfault) against 100" in page
    assert "Speed-up: 1.65x" in page and "66.0 s (median of 70.0, 64.0, 66.0)" in page
    assert "touching one driver file: 30.0 s" in page
