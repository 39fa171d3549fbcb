"""A night's policy (configs/nightly.toml): suites left out, with the reason,
and the caps that keep one suite from taking the night (pure)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from ..errors import HarnessError


@dataclass(frozen=True)
class Exclusion:
    suite: str          # a glob, as kfault.exclude takes it
    why: str


@dataclass(frozen=True)
class Policy:
    exclude: tuple[Exclusion, ...] = ()
    suite_seconds: int = 0      # 0: no cap (kfault.suite_ms)
    suite_boots: int = 0        # 0: no cap; boots that may end in one suite

    def why_excluded(self, suite: str) -> str | None:
        return next((e.why for e in self.exclude if fnmatchcase(suite, e.suite)), None)

    def kernel_args(self, capped: tuple[str, ...] = ()) -> list[str]:
        """What suites.c reads: kfault.exclude (the policy's globs and the
        suites capped by boots so far) and kfault.suite_ms."""
        globs = [e.suite for e in self.exclude] + list(capped)
        return ([f"kfault.exclude={','.join(globs)}"] if globs else []) + (
            [f"kfault.suite_ms={self.suite_seconds * 1000}"] if self.suite_seconds else [])


NONE = Policy()


def _positive(doc: dict[str, Any], key: str, origin: str) -> int:
    value = doc.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise HarnessError(f"{origin}: caps.{key} = {value!r}: want a whole number >= 0")
    return value


def parse(text: str, origin: str) -> Policy:
    """The policy in text; HarnessError (one line) on anything it cannot use."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise HarnessError(f"{origin}: {err}") from None
    caps = doc.get("caps", {})
    if not isinstance(caps, dict) or set(caps) - {"suite_seconds", "suite_boots"}:
        raise HarnessError(f"{origin}: [caps] takes suite_seconds and suite_boots")
    out = []
    for num, item in enumerate(doc.get("exclude", []), 1):
        suite, why = item.get("suite"), item.get("why")
        if not isinstance(suite, str) or not suite or any(c in suite for c in " ,:"):
            raise HarnessError(f"{origin}: exclude {num}: suite {suite!r}: want a suite glob")
        if not isinstance(why, str) or not why.strip():
            raise HarnessError(f"{origin}: exclude {num} ({suite}): say why it is left out")
        out.append(Exclusion(suite, " ".join(why.split())))
    return Policy(tuple(out), _positive(caps, "suite_seconds", origin),
                  _positive(caps, "suite_boots", origin))


def load(path: Path) -> Policy:
    if not path.is_file():
        raise HarnessError(f"POLICY={path}: no such file")
    return parse(path.read_text(), str(path))
