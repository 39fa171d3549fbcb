"""A sweep's directory: build stamp, start time, the running marker and a killed run."""
from __future__ import annotations

import os
from pathlib import Path

from kfault.engine.state import Running, SweepDir, parse_running


def test_the_running_marker_before_and_after_the_boot_starts() -> None:
    assert parse_running("3\n") == Running(3)
    assert parse_running("3 4242 17") == Running(3, 4242, 17)
    assert parse_running("") is None and parse_running("x 1") is None


def test_results_of_another_kernel_are_stale_and_fresh_starts_over(tmp_path: Path) -> None:
    state = SweepDir(tmp_path / "sweep")
    assert not state.stale("abc")           # nothing there yet
    state.open(fresh=False)
    assert state.stale("abc")               # results of no recorded kernel
    state.write_stamp("abc")
    (state.path / "results.jsonl").write_text("{}\n")
    began = state.started
    state.open(fresh=False)
    assert not state.stale("abc") and state.started == began
    assert state.stale("def")
    state.open(fresh=True)
    assert not (state.path / "results.jsonl").exists() and state.built_from() is None


def test_a_killed_run_is_stopped_and_its_marker_kept_for_the_caller(tmp_path: Path) -> None:
    state = SweepDir(tmp_path)
    stopped: list[tuple[str, int]] = []

    def process(pid: int) -> None:
        stopped.append(("process", pid))

    def group(pgid: int) -> bool:
        stopped.append(("group", pgid))
        return True

    assert state.pick_up(process, group) == (None, False)
    state.mark_starting(2)
    assert state.pick_up(process, group) == (Running(2), False) and not stopped
    (tmp_path / "running").write_text(f"5 777 {os.getpid() + 1}\n")
    was, alive = state.pick_up(process, group)
    assert was == Running(5, 777, os.getpid() + 1) and alive
    assert stopped == [("process", os.getpid() + 1), ("group", 777)]
    assert state.running() == was           # the caller clears it
    state.mark_running(6, 888)
    stopped.clear()
    state.pick_up(process, group)
    assert stopped == [("group", 888)]      # this harness is not stopped
    state.clear_running()
    assert state.running() is None
