"""kfault's own PEP 517 / PEP 660 build backend: no build requirements at all.

PyPI is not reachable here and pip builds in an isolated environment, so a
backend that needs setuptools from an index cannot install kfault; this one
needs only the standard library.  It builds

- an editable wheel (`pip install -e harness`): a finder that maps the
  package `kfault` and nothing else to this checkout's harness/kfault/, the
  `kfault` console script and the `pytest11` entry point;
- a wheel (`pip install harness`): the package, with the checkout's C side
  and configurations copied into kfault/checkout-data/ (kfault/paths.py).

Metadata comes from pyproject.toml's [project] table.
"""
from __future__ import annotations

import base64
import hashlib
import os
import tomllib
import zipfile
from pathlib import Path
from typing import Any, Iterator

# the wheel's layout is what kfault.paths reads back (stdlib only, importable
# from here: the backend runs in harness/)
from kfault.paths import CHECKOUT_PARTS, WHEEL_DATA

HERE = Path(__file__).resolve().parent          # harness/
CHECKOUT = HERE.parent
PACKAGE = HERE / "kfault"
SKIP_DIRS = {"__pycache__", ".git"}
SKIP_SUFFIXES = (".pyc", ".o", ".ko", ".cmd", ".mod", ".mod.c", ".order", ".symvers")


def _project() -> dict[str, Any]:
    with (HERE / "pyproject.toml").open("rb") as f:
        project: dict[str, Any] = tomllib.load(f)["project"]
    return project


def _version() -> str:
    for line in (PACKAGE / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise RuntimeError("kfault/__init__.py: no __version__")


def _dist() -> str:
    return f"kfault-{_version()}"


def _metadata() -> str:
    p = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {_version()}",
             f"Summary: {p['description']}", f"Requires-Python: {p['requires-python']}",
             f"License: {p['license']['text']}"]
    lines += [f"Requires-Dist: {d}" for d in p.get("dependencies", [])]
    return "\n".join(lines) + "\n"


def _entry_points() -> str:
    p = _project()
    out = ["[console_scripts]"] + [f"{k} = {v}" for k, v in p["scripts"].items()]
    for group, entries in p.get("entry-points", {}).items():
        out += ["", f"[{group}]"] + [f"{k} = {v}" for k, v in entries.items()]
    return "\n".join(out) + "\n"


def _files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if not name.endswith(SKIP_SUFFIXES):
                yield Path(dirpath) / name


def _write(wheel_directory: str, payload: dict[str, bytes]) -> str:
    dist = _dist()
    info = f"{dist}.dist-info"
    payload = dict(payload)
    payload[f"{info}/METADATA"] = _metadata().encode()
    payload[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: kfault build_backend\n"
                                b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    payload[f"{info}/entry_points.txt"] = _entry_points().encode()
    record = []
    for name, data in payload.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(data)}")
    record.append(f"{info}/RECORD,,")
    payload[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    name = f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / name, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in payload.items():
            z.writestr(path, data)
    return name


# The .pth file's one line (site.py runs lines that start with "import"): a
# finder for the package kfault alone, so that nothing else of harness/
# (tests, this backend) becomes importable; no module of ours to import,
# which pytest would try to rewrite.
# (site.py exec()s it in a function: the lambda sees only builtins, so it
# imports what it needs itself)
_FINDER = ('import sys; sys.meta_path.append(type("KfaultFinder", (), {{"find_spec": classmethod('
           'lambda c, n, p=None, t=None: __import__("importlib.machinery").machinery.PathFinder'
           '.find_spec(n, [{path!r}]) if n == "kfault" else None)}}))\n')


def build_editable(wheel_directory: str, config_settings: object = None,
                   metadata_directory: object = None) -> str:
    return _write(wheel_directory,
                  {"_kfault_editable.pth": _FINDER.format(path=str(HERE)).encode()})


def build_wheel(wheel_directory: str, config_settings: object = None,
                metadata_directory: object = None) -> str:
    payload = {f"kfault/{p.relative_to(PACKAGE)}": p.read_bytes() for p in _files(PACKAGE)}
    for part in CHECKOUT_PARTS:
        for p in _files(CHECKOUT / part):
            payload[f"kfault/{WHEEL_DATA}/{p.relative_to(CHECKOUT)}"] = p.read_bytes()
    return _write(wheel_directory, payload)


def get_requires_for_build_wheel(config_settings: object = None) -> list[str]:
    return []


def get_requires_for_build_editable(config_settings: object = None) -> list[str]:
    return []
