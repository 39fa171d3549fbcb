"""A sweep's directory on disk, whichever engine fills it (pure but for its files).

Both sweeps (the in-kernel one, commands/sweep.py, and the one from user
space, commands/usersweep.py) keep their state the same way:

    build-id    the content id of the kernel the results came from; results
                of another kernel are not resumed but swept afresh
    started     when the sweep's first boot began (its report's duration
                covers every boot since)
    running     "BOOT" while a boot is being started, "BOOT PGID OWNER" once
                it runs: the boot's process group and the harness's pid.  A
                run killed with kill -9 leaves it behind; the next run stops
                what it left (pick_up) before writing into the directory.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Running:
    """What the running marker says."""

    boot: int
    pgid: int = 0           # 0: the boot had not started yet
    owner: int = 0          # the harness that started it, 0 if unknown


def parse_running(text: str) -> Running | None:
    parts = text.split()
    if not parts or not all(p.isdigit() for p in parts) or len(parts) > 3:
        return None
    nums = [int(p) for p in parts] + [0, 0]
    return Running(nums[0], nums[1], nums[2])


@dataclass(frozen=True)
class SweepDir:
    path: Path

    @property
    def stamp(self) -> Path:
        return self.path / "build-id"

    @property
    def running_file(self) -> Path:
        return self.path / "running"

    def built_from(self) -> str | None:
        """The build id the results came from, None if none is recorded."""
        return self.stamp.read_text().strip() if self.stamp.is_file() else None

    def stale(self, build: str) -> bool:
        """Results are there, of another kernel (or of no known one)."""
        return self.path.is_dir() and self.built_from() != build

    def open(self, fresh: bool) -> None:
        """Start afresh (fresh) or carry on; the sweep's start time is kept."""
        if fresh and self.path.is_dir():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        began = self.path / "started"
        if not began.is_file():
            began.write_text(datetime.now(timezone.utc).isoformat() + "\n")

    def write_stamp(self, build: str) -> None:
        self.stamp.write_text(build + "\n")

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat((self.path / "started").read_text().strip())

    def running(self) -> Running | None:
        if not self.running_file.is_file():
            return None
        return parse_running(self.running_file.read_text()) or Running(0)

    def mark_starting(self, boot: int) -> None:
        self.running_file.write_text(f"{boot}\n")

    def mark_running(self, boot: int, pgid: int) -> None:
        self.running_file.write_text(f"{boot} {pgid} {os.getpid()}\n")

    def clear_running(self) -> None:
        self.running_file.unlink(missing_ok=True)

    def pick_up(self, stop_process: Callable[[int], object],
                stop_group: Callable[[int], bool]) -> tuple[Running | None, bool]:
        """A run killed during a boot left its marker: stop the harness that
        ran it (it may outlive a killed 'make') and the boot's process group.
        Returns the marker and whether a boot was still running.  The marker
        stays until the caller has kept what the boot finished."""
        was = self.running()
        if was is None:
            return None, False
        if was.owner and was.owner != os.getpid():
            stop_process(was.owner)
        return was, bool(was.pgid) and stop_group(was.pgid)
