"""Which checkout and which content a build directory was built from.

kbuild decides what to rebuild from paths and modification times.  Two
checkouts linked in turn at the same path (drivers/misc/kfault) defeat it:
the newer objects of the other checkout look up to date.  So each build
directory records the checkout and a hash of its kernel-side sources and
the composed config; when they differ, kfault's objects are removed and
kbuild rebuilds them.  Sweep results are keyed by the same id.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

STAMP = "kfault-build.json"
SOURCES = ("Kconfig", "Kbuild", "module", "kunit")


@dataclass(frozen=True)
class BuildId:
    checkout: str           # the checkout's real path
    content: str            # sha256 of its kernel-side sources and the config

    @property
    def short(self) -> str:
        return self.content[:12]


def compute(repo: Path, config: Path, extra: list[Path] = []) -> BuildId:
    """The id of what a build of repo with config would be made from; extra: more
    source files (a target's own directory in the tree)."""
    digest = hashlib.sha256()
    files: list[Path] = []
    for name in SOURCES:
        path = repo / name
        files += [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for path in files + [config] + sorted(extra):
        digest.update(str(path.relative_to(repo) if path.is_relative_to(repo) else path)
                      .encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"")
    return BuildId(str(repo.resolve()), digest.hexdigest())


def recorded(build_dir: Path) -> BuildId | None:
    try:
        data = json.loads((build_dir / STAMP).read_text())
        return BuildId(str(data["checkout"]), str(data["content"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(build_dir: Path, bid: BuildId) -> None:
    build_dir.mkdir(parents=True, exist_ok=True)
    (build_dir / STAMP).write_text(json.dumps({"checkout": bid.checkout,
                                               "content": bid.content}) + "\n")


def refresh(build_dir: Path, bid: BuildId, objects: str = "drivers/misc/kfault") -> str | None:
    """Make build_dir fit bid: if it was built from another checkout or content,
    remove kfault's objects so that kbuild rebuilds them.  Returns what was done."""
    old = recorded(build_dir)
    said = None
    if old is not None and old != bid and (build_dir / objects).exists():
        shutil.rmtree(build_dir / objects)
        why = (f"checkout {old.checkout}" if old.checkout != bid.checkout
               else f"other sources ({old.short})")
        said = f"{build_dir} was built from {why}: kfault's objects removed, rebuilding"
    record(build_dir, bid)
    return said
