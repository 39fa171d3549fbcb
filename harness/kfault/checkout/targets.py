"""Targets as data: configs/targets/<name>.toml (pure, but for reading the file).

A target is the code under test: its kunitconfig fragments, the KUnit
suites that test it, its fault suite, where its source lives (relative to
the kernel tree) for attribution, its function-name prefix, its modules and
where its seeded defects are (patches, one per defect).  Nothing else in the harness names
a driver.
"""
from __future__ import annotations

import dataclasses

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import HarnessError
from . import known_bugs
from .known_bugs import Known
from .known_bugs import parse as parse_known


@dataclass(frozen=True)
class Modules:
    fragments: tuple[str, ...]
    load: tuple[str, ...]           # .ko paths in the build directory, load order
    tests: tuple[str, ...]          # KUnit test modules, loaded after load


@dataclass(frozen=True)
class UserOp:
    """One operation of a sweep from user space (harness/kfault/user/kfault-user.c):
    setup steps, the steps run with fail-nth armed, teardown steps."""
    name: str
    setup: tuple[str, ...]
    steps: tuple[str, ...]
    teardown: tuple[str, ...]
    pages: bool                     # order-0 page allocations fail too
    expect: tuple[int, ...]         # errnos that handle a failure (default ENOMEM)
    threads: bool = False           # a KUnit module's case threads count as the step's


@dataclass(frozen=True)
class User:
    """A sweep from user space in the modules kernel: module loads, system calls."""
    fragments: tuple[str, ...]      # added to the modules kernel
    ops: tuple[UserOp, ...]
    leak_dirs: tuple[str, ...]      # besides srcdirs and the ops' modules: leak check scope
    compare: str | None = None      # a report.json of the in-kernel sweep: sites to reach
    same_as: tuple[tuple[str, str], ...] = ()   # (user op, in-kernel op) pairs


STEP_VERBS = {"insmod": (2, 3), "rmmod": (2, 2), "open": (4, 4), "close": (2, 2),
              "read": (3, 3), "write": (3, 3), "ioctl": (3, 4), "echo": (3, 3)}


def check_step(step: str, origin: str) -> str:
    """A step of a user op, checked like kfault-user reads it."""
    words = step.split()
    arity = STEP_VERBS.get(words[0]) if words else None
    if arity is None or not arity[0] <= len(words) <= arity[1]:
        raise HarnessError(f"{origin}: step {step!r}: expected one of "
                           + ", ".join(sorted(STEP_VERBS)) + " with its arguments "
                           "(harness/kfault/user/kfault-user.c)")
    if words[0] in ("open", "close", "read", "write", "ioctl") and not (
            words[1].isdigit() and int(words[1]) < 8):
        raise HarnessError(f"{origin}: step {step!r}: the slot must be 0..7")
    return step


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
    user: User | None = None        # swept from user space (kfault-user), not a suite
    # a target file outside configs/targets (--target-file): its fragments are
    # absolute paths, and its kernel is one of its own
    origin: Path | None = None

    def source_files(self, kdir: Path) -> list[Path]:
        """The target's C files (through the tree, so the linked checkout's)."""
        return sorted(p for d in self.srcdirs for p in (kdir / d).glob("*.c"))

    def file_names(self, kdir: Path) -> set[str]:
        return {p.name for p in self.source_files(kdir)}


# every key a target file may hold, per table: anything else is a typo that
# would otherwise be ignored without a word
KEYS = {
    "": {"name", "description", "fragments", "suites", "sweep_suite", "srcdirs", "prefix",
         "modules", "defects", "default", "require_coverage", "known", "user"},
    "modules": {"fragments", "load", "tests"},
    "defects": {"patches"},
    "user": {"fragments", "op", "leak_dirs", "compare", "same_as"},
    "user.op": {"name", "setup", "steps", "teardown", "pages", "expect", "threads"},
}   # [[known]]: known_bugs.parse checks its own


def _keys(data: dict[str, Any], table: str, origin: str) -> None:
    unknown = sorted(set(data) - KEYS[table])
    if unknown:
        where = f"[{table}]" if table else "the top level"
        raise HarnessError(f"{origin}: unknown key {unknown[0]!r} in {where} (known: "
                           + ", ".join(sorted(KEYS[table])) + ")")


def _bool(data: dict[str, Any], key: str, origin: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise HarnessError(f"{origin}: '{key}' must be true or false, not {value!r}")
    return value


def _inside(paths: tuple[str, ...], key: str, origin: str) -> tuple[str, ...]:
    """Relative paths that stay inside the tree they are relative to."""
    for path in paths:
        if path.startswith("/") or ".." in Path(path).parts:
            raise HarnessError(f"{origin}: '{key}' entry {path!r} leaves its tree (a path "
                               "relative to it, without '..', is wanted)")
    return paths


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


def _user(data: Any, origin: str) -> User:
    if not isinstance(data, dict):
        raise HarnessError(f"{origin}: [user] must be a table")
    _keys(data, "user", origin)
    ops = data.get("op", [])
    if not isinstance(ops, list) or not ops or not all(isinstance(o, dict) for o in ops):
        raise HarnessError(f"{origin}: [user] needs [[user.op]] tables")
    parsed = []
    for num, op in enumerate(ops, 1):
        where = f"{origin}: user.op #{num}"
        _keys(op, "user.op", where)
        name = _string(op, "name", where)
        if not name.replace("_", "").replace("-", "").isalnum():
            raise HarnessError(f"{where}: name {name!r}: letters, digits, - and _ only")
        expect = op.get("expect", [12])
        if not isinstance(expect, list) or not all(isinstance(e, int) and e > 0
                                                   for e in expect):
            raise HarnessError(f"{where}: 'expect' must be a list of positive errnos")
        setup, steps, teardown = (
            tuple(check_step(s, where) for s in _strings(op, key, where, key == "steps"))
            for key in ("setup", "steps", "teardown"))
        parsed.append(UserOp(name, setup, steps, teardown, pages=_bool(op, "pages", where),
                             expect=tuple(expect), threads=_bool(op, "threads", where)))
    if len({o.name for o in parsed}) != len(parsed):
        raise HarnessError(f"{origin}: two [[user.op]] have the same name")
    same = data.get("same_as", {})
    if not isinstance(same, dict) or not all(isinstance(v, str) for v in same.values()):
        raise HarnessError(f"{origin}: user.same_as must map user ops to in-kernel ops")
    compare = data.get("compare")
    return User(_strings(data, "fragments", origin), tuple(parsed),
                _inside(_strings(data, "leak_dirs", origin, required=False), "leak_dirs",
                        origin),
                _string(data, "compare", origin) if compare else None,
                tuple(sorted(same.items())))


def parse(text: str, origin: str) -> Target:
    """A target from its TOML text; HarnessError naming the file and key if malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise HarnessError(f"{origin}: not TOML: {err}") from None
    _keys(data, "", origin)
    modules = None
    if "modules" in data:
        m = data["modules"]
        if not isinstance(m, dict):
            raise HarnessError(f"{origin}: [modules] must be a table")
        _keys(m, "modules", origin)
        modules = Modules(_strings(m, "fragments", origin), _strings(m, "load", origin),
                          _strings(m, "tests", origin, required=False))
    defects = data.get("defects", {})
    if not isinstance(defects, dict):
        raise HarnessError(f"{origin}: [defects] must be a table")
    if "kernel_arg" in defects:
        raise HarnessError(f"{origin}: defects.kernel_arg is gone: seeded defects are "
                           "patches now (defects.patches = \"configs/defects/NAME\")")
    _keys(defects, "defects", origin)
    defect_patches = _string(defects, "patches", origin) if defects else None
    sweep = data.get("sweep_suite")
    user = _user(data["user"], origin) if "user" in data else None
    return Target(name=_string(data, "name", origin),
                  description=_string(data, "description", origin, "-"),
                  fragments=_inside(_strings(data, "fragments", origin, required=user is None),
                                    "fragments", origin),
                  suites=_string(data, "suites", origin, "-" if user else None),
                  sweep_suite=_string(data, "sweep_suite", origin) if sweep else None,
                  srcdirs=_inside(_strings(data, "srcdirs", origin), "srcdirs", origin),
                  prefix=_string(data, "prefix", origin),
                  modules=modules, defect_patches=defect_patches,
                  default=_bool(data, "default", origin),
                  require_coverage=_bool(data, "require_coverage", origin),
                  known=parse_known(data.get("known", []), origin), user=user)


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
    # a known kernel bug's live leaks are a known finding of every target
    return dataclasses.replace(target, known=target.known + known_bugs.bugs_as_known(
        known_bugs.load_bugs(config_dir)))


def _fragment_paths(fragments: tuple[str, ...], base: Path, origin: str) -> tuple[str, ...]:
    """A target file's fragments, relative to its directory, as absolute paths."""
    found = []
    for name in fragments:
        path = (base / name).resolve()
        if not path.is_file():
            raise HarnessError(f"{origin}: fragment {name!r}: no {path} (fragments are "
                               "relative to the target file's directory)")
        found.append(str(path))
    return tuple(found)


def load_file(config_dir: Path, path: Path) -> Target:
    """A target file of the user's, anywhere (--target-file, TARGET=PATH): its
    fragments are relative to its own directory; known kernel bugs are ours."""
    if not path.is_file():
        raise HarnessError(f"target file {path}: no such file")
    path = path.resolve()
    target = parse(path.read_text(), str(path))
    if not target.name.replace("_", "").replace("-", "").isalnum():
        raise HarnessError(f"{path}: name {target.name!r}: letters, digits, - and _ only "
                           "(it names the target's build and report directories)")
    user = target.user and dataclasses.replace(
        target.user, fragments=_fragment_paths(target.user.fragments, path.parent, str(path)))
    return dataclasses.replace(
        target, fragments=_fragment_paths(target.fragments, path.parent, str(path)),
        user=user, origin=path,
        known=target.known + known_bugs.bugs_as_known(known_bugs.load_bugs(config_dir)))


def resolve(config_dir: Path, name: str | None) -> Target:
    """TARGET=: the name of a target of configs/targets, or the path of a
    target file (it ends in .toml or holds a '/')."""
    if name is not None and (name.endswith(".toml") or "/" in name):
        return load_file(config_dir, Path(name))
    return load(config_dir, name)


def load_all(config_dir: Path) -> list[Target]:
    return [load(config_dir, name) for name in available(config_dir)]
