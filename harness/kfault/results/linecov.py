"""Line coverage of the touched files (pure): gcov's JSON (gcov --json-format
--stdout, one document per .gcda) and what it says of a patch's hunks."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..checkout.diff import Hunk


class CoverageError(ValueError):
    """gcov's output is not the JSON document gcc 9+ writes."""


def parse(text: str, build_dir: str, kdir: str) -> dict[str, dict[int, int]]:
    """Each source file of one gcov JSON document, by its path in the kernel
    tree ("lib/kunit/string-stream.c"; a header too), and the execution count
    of each of its executable lines.  gcov runs in the build directory and
    names a file relative to it (the build directory is inside the tree:
    "../lib/...")."""
    try:
        doc = json.loads(text)
        out: dict[str, dict[int, int]] = {}
        for f in doc["files"]:
            path = os.path.normpath(os.path.join(build_dir, str(f["file"])))
            rel = os.path.relpath(path, os.path.normpath(kdir))
            counts = out.setdefault(PurePosixPath(rel).as_posix(), {})
            for line in f["lines"]:
                n = int(line["line_number"])
                counts[n] = counts.get(n, 0) + int(line["count"])
        return out
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise CoverageError(f"not gcov's JSON: {err}") from None


def merge(docs: list[dict[str, dict[int, int]]]) -> dict[str, dict[int, int]]:
    """One count per line over several documents (a header is in many)."""
    out: dict[str, dict[int, int]] = {}
    for doc in docs:
        for path, counts in doc.items():
            mine = out.setdefault(path, {})
            for n, c in counts.items():
                mine[n] = mine.get(n, 0) + c
    return out


@dataclass(frozen=True)
class HunkLines:
    """What gcov says of one hunk: the executable lines it looked at (the
    changed ones, else the whole hunk when none of those is executable) and
    those that ran."""

    looked: tuple[int, ...]
    ran: tuple[int, ...]

    @property
    def executed(self) -> bool:
        return bool(self.ran)


def hunk_lines(hunk: Hunk, counts: dict[int, int]) -> HunkLines:
    """The hunk's executable changed lines and which of them ran; when no
    changed line is executable (a label, a brace), every executable line the
    hunk spans."""
    looked = [n for n in hunk.changed if n in counts]
    if not looked:
        looked = [n for n in sorted(counts) if hunk.holds(n)]
    return HunkLines(tuple(looked), tuple(n for n in looked if counts[n] > 0))
