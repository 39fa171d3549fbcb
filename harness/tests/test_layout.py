"""The harness's layout: subpackages import one way, no two modules share a name."""
from __future__ import annotations

import ast
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[1] / "kfault"
# each subpackage and the subpackages it may import from
LAYERS: dict[str, set[str]] = {
    "console": set(),
    "checkout": {"console"},
    "results": {"console", "checkout"},
    "proc": set(),
    "engine": {"console", "checkout", "results"},
    "commands": {"console", "checkout", "results", "engine", "proc"},
}


def _modules() -> list[Path]:
    return [p for p in HARNESS.rglob("*.py")
            if "tests" not in p.parts]


def _imported_packages(path: Path) -> set[str]:
    package = path.parent.relative_to(HARNESS).parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[:len(package) - node.level + 1])
            full = base + (node.module.split(".") if node.module else [])
            if full:
                found.add(full[0])
            else:
                found.update(a.name for a in node.names)
    return found


def test_subpackages_import_one_way() -> None:
    wrong, checked = [], 0
    for path in _modules():
        rel = path.relative_to(HARNESS).parts
        if len(rel) < 2 or rel[0] not in LAYERS:
            continue
        checked += 1
        for pkg in _imported_packages(path) & set(LAYERS):
            if pkg != rel[0] and pkg not in LAYERS[rel[0]]:
                wrong.append(f"{'/'.join(rel)} imports {pkg}")
    assert not wrong
    assert checked > 40         # the package's modules were found where they live


def test_no_two_modules_share_a_name() -> None:
    names: dict[str, list[str]] = {}
    for path in _modules():
        if path.name not in ("__init__.py", "__main__.py"):
            names.setdefault(path.stem, []).append(str(path.relative_to(HARNESS)))
    assert {n: p for n, p in names.items() if len(p) > 1} == {}
