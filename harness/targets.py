"""Targets as data: configs/targets/<name>.toml (pure, but for reading the file).

A target is the code under test: its kunitconfig fragments, the KUnit
suites that test it, its fault suite, where its source lives (relative to
the kernel tree) for attribution, its function-name prefix, its modules and
where its seeded defects are (patches, one per defect).  Nothing else in the harness names
a driver.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import HarnessError
from .known import Known
from .known import parse as parse_known


@dataclass(frozen=True)
class Modules:
    fragments: tuple[str, ...]
    load: tuple[str, ...]           # .ko paths in the build directory, load order
    tests: tuple[str, ...]          # KUnit test modules, loaded after load


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    fragments: tuple[str, ...]      # relative to configs/
    suites: str                     # kunit.py filter glob
    sweep_suite: str | None
    srcdirs: tuple[str, ...]        # relative to the kernel tree
    prefix: str
    modules: Modules | None = None
    defect_patches: str | None = None   # a directory of this checkout: NAME.patch each
    default: bool = False           # the target when none is named
    require_coverage: bool = False  # a call site never failed fails the run (exit 3)
    known: tuple[Known, ...] = ()   # findings counted apart, with why (known.py)
    kmemleak: bool = True           # its fault suite ends with the kmemleak confirmation

    def source_files(self, kdir: Path) -> list[Path]:
        """The target's C files (through the tree, so the linked checkout's)."""
        return sorted(p for d in self.srcdirs for p in (kdir / d).glob("*.c"))

    def file_names(self, kdir: Path) -> set[str]:
        return {p.name for p in self.source_files(kdir)}


def _strings(data: dict[str, Any], key: str, origin: str, required: bool = True
             ) -> tuple[str, ...]:
    value = data.get(key, [] if not required else None)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (
            required and not value):
        raise HarnessError(f"{origin}: '{key}' must be a non-empty list of strings")
    return tuple(value)


def _string(data: dict[str, Any], key: str, origin: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise HarnessError(f"{origin}: '{key}' must be a non-empty string")
    return value


def parse(text: str, origin: str) -> Target:
    """A target from its TOML text; HarnessError naming the file and key if malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise HarnessError(f"{origin}: not TOML: {err}") from None
    modules = None
    if "modules" in data:
        m = data["modules"]
        if not isinstance(m, dict):
            raise HarnessError(f"{origin}: [modules] must be a table")
        modules = Modules(_strings(m, "fragments", origin), _strings(m, "load", origin),
                          _strings(m, "tests", origin, required=False))
    defects = data.get("defects", {})
    if not isinstance(defects, dict):
        raise HarnessError(f"{origin}: [defects] must be a table")
    if "kernel_arg" in defects:
        raise HarnessError(f"{origin}: defects.kernel_arg is gone: seeded defects are "
                           "patches now (defects.patches = \"configs/defects/NAME\")")
    defect_patches = _string(defects, "patches", origin) if defects else None
    sweep = data.get("sweep_suite")
    return Target(name=_string(data, "name", origin),
                  description=_string(data, "description", origin, "-"),
                  fragments=_strings(data, "fragments", origin),
                  suites=_string(data, "suites", origin),
                  sweep_suite=_string(data, "sweep_suite", origin) if sweep else None,
                  srcdirs=_strings(data, "srcdirs", origin),
                  prefix=_string(data, "prefix", origin),
                  modules=modules, defect_patches=defect_patches,
                  default=bool(data.get("default", False)),
                  require_coverage=bool(data.get("require_coverage", False)),
                  known=parse_known(data.get("known", []), origin))


def available(config_dir: Path) -> list[str]:
    return sorted(p.stem for p in (config_dir / "targets").glob("*.toml"))


def load(config_dir: Path, name: str | None = None) -> Target:
    """The named target, or the one whose file says 'default = true'."""
    if name is None:
        marked = [t for t in load_all(config_dir) if t.default]
        if len(marked) != 1:
            raise HarnessError(f"no single default target in {config_dir}/targets "
                               f"({len(marked)} say 'default = true'): name one with TARGET=")
        return marked[0]
    path = config_dir / "targets" / f"{name}.toml"
    if not path.is_file():
        raise HarnessError(f"unknown target {name!r}: no {path} "
                           f"(targets: {', '.join(available(config_dir))})")
    target = parse(path.read_text(), str(path))
    if target.name != name:
        raise HarnessError(f"{path}: name = {target.name!r}, but the file is {name}.toml")
    return target


def load_all(config_dir: Path) -> list[Target]:
    return [load(config_dir, name) for name in available(config_dir)]
