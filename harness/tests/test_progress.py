"""Progress from kunit.py's output as it streams (a real run's output)."""
from __future__ import annotations

import io
from pathlib import Path

from kfault.proc.progress import Progress

DATA = Path(__file__).parent / "data"


def test_points_findings_and_operation_follow_the_output(tmp_path: Path) -> None:
    out = io.StringIO()
    p = Progress(tmp_path, "sweep", stream=out, tty=False)
    lines = (DATA / "kunit_py_sweep_output.txt").read_text().splitlines(keepends=True)
    for line in lines:
        p.line(line)
        if "fop_open_fault_sweep" in line:
            break
    assert p.phase == "booting" and p.operation == "fop_open"
    p.tick()
    first = out.getvalue()
    assert first.startswith("sweep: running fop_open: ") and "0 failed so far" in first
    p.tick()                                  # nothing changed: nothing printed
    assert out.getvalue() == first
    whole = Progress(tmp_path, "sweep", stream=io.StringIO(), tty=False)
    for line in lines:
        whole.line(line)
    assert (whole.points, whole.findings, whole.operation) == (81, 0, "remove")


def test_a_build_counts_objects_against_the_last_build(tmp_path: Path) -> None:
    (tmp_path / "kfault-objects").write_text("3\n")
    (tmp_path / "a.o").write_text("")
    out = io.StringIO()
    p = Progress(tmp_path, "modules", stream=out, tty=True)
    p.line("Building with:\n")
    p.tick()
    assert out.getvalue() == "\r\x1b[Kmodules: building: 1 of about 3 objects"
    p.line("[09:14:44] Starting KUnit Kernel (1/1)...\n")
    assert (tmp_path / "kfault-objects").read_text() == "1\n"


def test_echoed_output_gets_no_progress_lines_while_it_runs(tmp_path: Path) -> None:
    out = io.StringIO()
    p = Progress(tmp_path, "kunit", stream=out, tty=False, echo=True)
    p.line("[09:14:44] Starting KUnit Kernel (1/1)...\n")
    p.tick()
    assert out.getvalue() == ""
