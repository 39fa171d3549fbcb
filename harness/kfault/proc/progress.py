"""Progress a person can follow while kunit.py builds and boots.

kunit.py prints nothing while make runs, and the harness often sends its
output to a file: a build looked dead for minutes.  Progress reads
kunit.py's output as it streams (the case headers and each parameter's
[PASSED]/[FAILED] line are the sweep's points) and, on a timer, counts the
objects in the build directory.  On a terminal it keeps one status line
up to date; otherwise (CI) it prints a plain line when something changed.
"""
from __future__ import annotations

import os
import re
import sys
import threading
from pathlib import Path
from typing import TextIO

COUNT = "kfault-objects"        # objects of the last complete build, for "of about N"
_CASE = re.compile(r"=+ (\w+?)(?:_fault_sweep)? +=+$")
_RESULT = re.compile(r"\[(PASSED|FAILED|SKIPPED|CRASHED)\] (\w+): (fail|no fault)")


def count_objects(build_dir: Path) -> int:
    n = 0
    for _root, _dirs, files in os.walk(build_dir):
        n += sum(f.endswith(".o") for f in files)
    return n


class Progress:
    """Fed kunit.py's lines (line()) and a timer (tick()), from two threads."""

    def __init__(self, build_dir: Path, label: str, stream: TextIO = sys.stdout,
                 tty: bool | None = None, echo: bool = False) -> None:
        self.build_dir = build_dir
        self.label = label
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.echo = echo            # kunit.py's own lines go to the same stream
        self.phase = "starting"
        self.operation = "-"
        self.points = 0
        self.findings = 0
        self.last = ""
        self.lock = threading.Lock()
        try:
            self.expected = int((build_dir / COUNT).read_text())
        except (OSError, ValueError):
            self.expected = 0

    def line(self, text: str) -> None:
        with self.lock:
            if "Building KUnit Kernel" in text or "Building with:" in text:
                self.phase = "building"
            elif "Starting KUnit Kernel" in text:
                self.phase = "booting"
                self._finish_build()
            elif "Testing complete" in text:
                self.phase = "done"
            m = _CASE.search(text)
            if m:
                self.operation = m.group(1)
            r = _RESULT.search(text)
            if r and r.group(3) == "fail":
                self.points += 1
                self.findings += r.group(1) in ("FAILED", "CRASHED")

    def _finish_build(self) -> None:
        try:
            (self.build_dir / COUNT).write_text(f"{count_objects(self.build_dir)}\n")
        except OSError:
            pass

    def status(self) -> str:
        if self.phase == "building":
            built = count_objects(self.build_dir)
            of = f" of about {self.expected}" if self.expected else ""
            return f"{self.label}: building: {built}{of} objects"
        if self.phase == "booting":
            return (f"{self.label}: running {self.operation}: {self.points} points done, "
                    f"{self.findings} failed so far")
        return ""

    def tick(self) -> None:
        with self.lock:
            if self.echo and self.phase != "building":
                return          # kunit.py's own lines say it
            text = self.status()
            if not text or text == self.last:
                return
            self.last = text
            if self.tty:
                self.stream.write("\r\x1b[K" + text)
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        with self.lock:
            if self.tty and self.last:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
