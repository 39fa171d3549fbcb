"""Known findings and known kernel bugs, as data (pure, but for reading files).

Two kinds: a target file's [[known]] findings of its sweep, and the kernel
bugs of configs/known-bugs.toml that any sweep may run into (matched on
kmemleak's leaks of the kernel's own code under a target call).

A target file lists them as [[known]] tables:

    [[known]]
    op = "new_device"              # operation (fnmatch glob)
    verdict = "report"
    evidence = "refcount_warn_saturate"   # regex searched in the point's evidence
    why = "what it is, where it was seen, its upstream status"

A failing point that matches one is reported as KNOWN with that text, and
does not fail the run; every other failing point does (results/known.py
matches them).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..console.kmemleak import Leak
from ..console.protocol import Verdict
from ..errors import HarnessError


@dataclass(frozen=True)
class Known:
    op: str
    verdict: Verdict
    evidence: str
    why: str


KNOWN_KEYS = ("op", "verdict", "evidence", "why")


def parse(items: Any, origin: str) -> tuple[Known, ...]:
    """[[known]] entries of a target file or configs/known-bugs.toml; a key
    that is not one of KNOWN_KEYS is an error, not a typo ignored."""
    if not isinstance(items, list):
        raise HarnessError(f"{origin}: 'known' must be a list of tables ([[known]])")
    out = []
    for num, item in enumerate(items, 1):
        unknown = sorted(set(item) - set(KNOWN_KEYS)) if isinstance(item, dict) else []
        if unknown:
            raise HarnessError(f"{origin}: known entry {num}: unknown key {unknown[0]!r} in "
                               f"[known] (known: {', '.join(sorted(KNOWN_KEYS))})")
        if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) and item.get(k)
                for k in ("op", "verdict", "evidence", "why")):
            raise HarnessError(f"{origin}: known entry {num} needs op, verdict, evidence, why")
        try:
            verdict = Verdict(item["verdict"])
            re.compile(item["evidence"])
        except (ValueError, re.error) as err:
            raise HarnessError(f"{origin}: known entry {num}: {err}") from None
        out.append(Known(item["op"], verdict, item["evidence"], item["why"]))
    return tuple(out)


@dataclass(frozen=True)
class KernelBug:
    """A kernel bug no target caused (configs/known-bugs.toml)."""

    id: str
    title: str
    fixed: str
    kmemleak_frames: tuple[str, ...]
    # the kernel's live leak check (kunit/kfault/live.c) names a site outside
    # the target "path:line fn<-caller<-caller": chains that say it is this bug
    live_callers: tuple[str, ...] = ()

    def matches_leak(self, leak: Leak) -> bool:
        names = {f.function for f in leak.frames}
        return bool(self.kmemleak_frames) and all(f in names for f in self.kmemleak_frames)

    def as_known(self) -> Known | None:
        """A point whose every leaked site is this bug's (by its caller chain)
        is a known finding of any target, cited; None without live_callers."""
        if not self.live_callers:
            return None
        chain = "|".join(re.escape(c) for c in self.live_callers)
        return Known("*", Verdict.LEAK,
                     rf"^leaked (?:\S+ \S*(?:{chain})\S* [+-]\d+/[+-]\d+B(?:,|$))+$",
                     f"known kernel bug {self.id}: {self.title}; fixed upstream by {self.fixed}")


def bugs_as_known(bugs: tuple[KernelBug, ...]) -> tuple[Known, ...]:
    return tuple(k for b in bugs for k in [b.as_known()] if k is not None)


def parse_bugs(text: str, origin: str) -> tuple[KernelBug, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise HarnessError(f"{origin}: not TOML: {err}") from None
    out = []
    for num, item in enumerate(data.get("bug", []), 1):
        frames = item.get("kmemleak_frames", []) if isinstance(item, dict) else None
        live = item.get("live_callers", []) if isinstance(item, dict) else None
        if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) and item.get(k) for k in ("id", "title", "fixed")) \
                or not isinstance(frames, list) or not all(isinstance(f, str) for f in frames) \
                or not isinstance(live, list) or not all(isinstance(c, str) and c for c in live):
            raise HarnessError(f"{origin}: bug {num} needs id, title, fixed, kmemleak_frames "
                               "(and live_callers, if any, a list of strings)")
        out.append(KernelBug(item["id"], item["title"], item["fixed"], tuple(frames),
                             tuple(live)))
    return tuple(out)


def load_bugs(config_dir: Path) -> tuple[KernelBug, ...]:
    path = config_dir / "known-bugs.toml"
    return parse_bugs(path.read_text(), str(path)) if path.is_file() else ()


def load_suite_findings(config_dir: Path) -> tuple[Known, ...]:
    """The [[known]] findings of upstream KUnit suites (configs/known-bugs.toml):
    bugs in suites we sweep unedited, counted apart by 'make sweep SUITE='."""
    path = config_dir / "known-bugs.toml"
    if not path.is_file():
        return ()
    text = path.read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise HarnessError(f"{path}: not TOML: {err}") from None
    return parse(data.get("known", []), str(path)) + bugs_as_known(parse_bugs(text, str(path)))
