"""Allocation call sites in a target's sources, found by reading them (pure).

The denominator of sweep coverage: every call to an allocating kernel API
in the target's C files.  A call may span lines, so a site is the range from the
API's name to the end of the statement; addr2line may name any line in it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ALLOC_APIS = (
    "kmalloc", "kzalloc", "kcalloc", "kmalloc_array", "krealloc", "krealloc_array",
    "kmemdup", "kstrdup", "kstrndup", "memdup_user", "memdup_array_user", "vmalloc",
    "vzalloc", "vmalloc_array", "kvmalloc", "kvzalloc", "kvmalloc_array", "kvcalloc",
    "kmem_cache_create", "kmem_cache_alloc", "kmem_cache_zalloc", "alloc_pages",
    "alloc_page", "__get_free_pages", "get_zeroed_page", "devm_kzalloc", "devm_kmalloc",
    "devm_kcalloc", "devm_kmalloc_array", "devm_kmemdup", "devm_kstrdup", "ida_alloc",
    "misc_register",
)
_CALL = re.compile(r"\b(" + "|".join(sorted(ALLOC_APIS, key=len, reverse=True)) + r")\s*\(")


@dataclass(frozen=True)
class Site:
    """One allocation call in the source."""

    file: str       # basename, as the kernel's tags and addr2line name it
    line: int       # line of the API name
    last: int       # last line of the statement
    api: str

    def covers(self, file: str, line: int) -> bool:
        return file == self.file and self.line <= line <= self.last

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.api}"


def _strip_comments(text: str) -> str:
    """Blank out comments, keeping line numbers."""
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def find_sites(name: str, text: str) -> list[Site]:
    """Allocation calls in one C file's text."""
    code = _strip_comments(text)
    sites = []
    for m in _CALL.finditer(code):
        before = code[:m.start()]
        if re.search(r"#\s*define[^\n]*$", before):
            continue
        line = before.count("\n") + 1
        end = code.find(";", m.end())
        last = line + code[m.start():end if end >= 0 else len(code)].count("\n")
        sites.append(Site(name, line, last, m.group(1)))
    return sites


def target_sites(files: list[Path]) -> list[Site]:
    sites: list[Site] = []
    for path in files:
        sites += find_sites(path.name, path.read_text())
    return sites
