"""A driver patch, parsed (pure): the files it touches, the lines it adds and
the allocation calls among them.  What a review makes of it is
results/review_doc.py's."""
from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

_FILE = re.compile(r"^\+\+\+ (?:[ab]/)?(\S+)")
_OLD_FILE = re.compile(r"^--- (?:[ab]/)?(\S+)")
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
# the enclosing function git names after a hunk's header: "static int foo(struct x *y)"
_FUNCTION = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
# calls that allocate and can fail under failslab or fail_page_alloc
_ALLOC = re.compile(r"\b(?:devm_)?(?:k[mzc]alloc|kmalloc_array|kcalloc|kvmalloc|kvzalloc|"
                    r"kvcalloc|vmalloc|vzalloc|kmem_cache_(?:z)?alloc|kmem_cache_create|"
                    r"alloc_pages|__get_free_pages?|get_zeroed_page|kstrdup|kmemdup|"
                    r"kasprintf|krealloc|idr_alloc|ida_alloc\w*|xa_alloc\w*|"
                    r"alloc_workqueue|kunit_kzalloc|kunit_kmalloc)\s*\(")


@dataclass(frozen=True)
class Added:
    """A line the patch adds: the file (as the patch names it) and its line number
    in the patched file."""

    path: str
    line: int
    text: str

    @property
    def allocates(self) -> bool:
        comment = self.text.lstrip().startswith(("*", "/*", "//"))
        return bool(_ALLOC.search(self.text)) and not comment


@dataclass(frozen=True)
class Hunk:
    """A hunk: the lines of the patched file it spans, and the function git
    names as its context (the function it changes, or the one before it)."""

    path: str
    start: int
    length: int
    function: str       # "" when git names none
    # the patched file's lines the hunk changes: those it adds and, where it
    # removes lines, the lines either side of the gap (they run instead)
    changed: tuple[int, ...] = ()

    def holds(self, line: int) -> bool:
        return self.start <= line < self.start + max(self.length, 1)


@dataclass(frozen=True)
class Patch:
    files: tuple[str, ...]          # touched, as named in the patch
    added: tuple[Added, ...]
    hunks: tuple[Hunk, ...] = ()

    @property
    def functions(self) -> tuple[str, ...]:
        """The functions the hunks change, as git names them."""
        return tuple(dict.fromkeys(h.function for h in self.hunks if h.function))


def parse(text: str) -> Patch:
    """The files a unified diff (one patch, a series, or an mbox of them) touches
    and the lines it adds."""
    files: list[str] = []
    added: list[Added] = []
    hunks: list[Hunk] = []
    path, line = "", 0
    old_left = new_left = 0         # lines the current hunk still holds, by its header
    old = ""
    changed: list[set[int]] = []    # each hunk's changed lines
    for raw in text.splitlines():
        if old_left > 0 or new_left > 0:
            if raw.startswith("+"):
                added.append(Added(path, line, raw[1:]))
                changed[-1].add(line)
                line, new_left = line + 1, new_left - 1
            elif raw.startswith("-"):
                changed[-1].update(n for n in (line - 1, line) if n >= hunks[-1].start)
                old_left -= 1
            elif raw.startswith(" ") or raw == "":
                line, old_left, new_left = line + 1, old_left - 1, new_left - 1
            elif not raw.startswith("\\"):
                old_left = new_left = 0     # a hunk cut short: mail text
            continue
        m = _OLD_FILE.match(raw)
        if m:
            old = m.group(1)
            continue
        m = _FILE.match(raw)
        if m:
            path = m.group(1) if m.group(1) != "/dev/null" else old
            if path not in files:
                files.append(path)
            continue
        m = _HUNK.match(raw)
        if m:
            old_left = int(m.group(1)) if m.group(1) is not None else 1
            line = int(m.group(2))
            new_left = int(m.group(3)) if m.group(3) is not None else 1
            fn = _FUNCTION.search(m.group(4))
            hunks.append(Hunk(path, line, new_left, fn.group(1) if fn else ""))
            changed.append(set())
    hunks = [dataclasses.replace(h, changed=tuple(sorted(n for n in c if h.holds(n))))
             for h, c in zip(hunks, changed)]
    return Patch(tuple(files), tuple(added), tuple(hunks))


def net(files: Mapping[str, tuple[str, str]]) -> Patch:
    """The change a series makes, as one patch (files: each touched path and
    its text before the series and after it): its hunks and added lines are
    numbered as the patched files are.  A series parsed patch by patch numbers
    each hunk as its own patch left the file, which the later patches move."""
    text: list[str] = []
    for path, (before, after) in files.items():
        text += difflib.unified_diff(before.splitlines(), after.splitlines(),
                                     f"a/{path}", f"b/{path}", lineterm="")
    return parse("\n".join(text))


_DEFINITION = re.compile(r"^[A-Za-z_][^;{}]*?\b([A-Za-z_]\w*)\s*\(")


def _defines(raw: str) -> str:
    """The function a line of C defines ("" if none): it starts in column 0
    with an identifier and a '(' (the kernel's style puts a definition's name
    there), and is no declaration, return or else."""
    m = _DEFINITION.match(raw)
    if m and not raw.rstrip().endswith(";") and not raw.startswith(("return", "else")):
        return m.group(1)
    return ""


def enclosing_function(text: str, line: int) -> str:
    """The function a line of a C file lies in, as git's default C funcname
    rule finds it: the last line before it that defines one."""
    found = ""
    for num, raw in enumerate(text.splitlines(), 1):
        if num > line:
            break
        found = _defines(raw) or found
    return found


def hunk_functions(text: str, hunk: Hunk) -> tuple[str, ...]:
    """The functions a hunk of a C file changes, in order: those its changed
    lines lie in.  A hunk's first lines are context, often the end of the
    function before it, so a hunk that adds a new function is named after the
    new one, and one that adds several after each of them (thunderbolt/0002's
    first hunk was named after the last of its four helpers)."""
    src = text.splitlines()
    lines = hunk.changed or (hunk.start + 3,)
    # a blank line or a lone '}' carries no code: diff slides an inserted
    # function over the one before it, "}" first (thunderbolt/0002)
    code = [n for n in lines if n > len(src) or src[n - 1].strip() not in ("", "}")]
    names = (_body_of(src, n) for n in code)
    return tuple(dict.fromkeys(n for n in names if n))


def _body_of(src: list[str], line: int) -> str:
    """The function whose body line (1-based) lies in, between its definition
    and its closing brace; "" for a blank line or comment between two
    functions.  The kernel's style closes a function with a '}' in column 0."""
    for num in range(min(line, len(src)), 0, -1):
        raw = src[num - 1]
        if num < line and raw.startswith("}"):
            return ""
        name = _defines(raw)
        if name:
            return name
    return ""
