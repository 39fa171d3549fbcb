"""Where KUnit suites live in a kernel tree (pure): a suite's name from the
C source that defines its struct kunit_suite, and the directories whose
allocation tags the any-suite sweep's leak check compares."""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

_SUITE = re.compile(r"struct\s+kunit_suite\s+\w+\s*=\s*\{(.*?)\};", re.S)
NAMED_BY_MODULE = "KBUILD_MODNAME"
_NAME = re.compile(rf"\.name\s*=\s*(?:\"([^\"]+)\"|{NAMED_BY_MODULE}\b)")


def suite_names(text: str, module: str = "") -> list[str]:
    """The names of the suites a C file defines: '.name = "..."', or
    '.name = KBUILD_MODNAME' (fs/tests/binfmt_elf_kunit.c) when module, the
    name the file is compiled under (modname()), is given."""
    out = []
    for body in _SUITE.findall(text):
        name = _NAME.search(body)
        if name and (name.group(1) or module):
            out.append(name.group(1) or module)
    return out


def modname(path: str, host: str | None) -> str:
    """KBUILD_MODNAME of a C file compiled as an object of its own, or inside
    host, the file that #includes it: the object's name, '-' as '_'
    (scripts/Makefile.lib).  A file linked into a composite module
    (foo-y += path.o) is named after the module instead; no suite of 6.12
    that names itself KBUILD_MODNAME is one."""
    return PurePosixPath(host or path).stem.replace("-", "_")


def files_for(glob: str, files: dict[str, list[str]]) -> list[str]:
    """The source files (tree-relative) of the suites matching glob."""
    return sorted(path for path, names in files.items()
                  if any(fnmatch.fnmatchcase(n, glob) for n in names))


_INCLUDE_C = re.compile(r'^[ \t]*#[ \t]*include[ \t]+"([^"]+\.c)"', re.M)


def includer_dirs(path: str) -> tuple[str, ...]:
    """The directories whose C files may #include path: its own, and the one
    above when path is in a test directory (TEST_DIRS)."""
    here = PurePosixPath(path).parent
    return (str(here),) + ((str(here.parent),) if here.name in TEST_DIRS else ())


def includer(path: str, siblings: dict[str, str]) -> str | None:
    """The C file of path's directory, or of the one above a test directory,
    that #includes path ("executor_test.c" is compiled inside
    lib/kunit/executor.c, and net/mctp/route.c ends with
    '#include "test/route-test.c"': neither test has an object of its own),
    or None.  siblings: tree-relative path -> C text, of includer_dirs."""
    dirs = includer_dirs(path)
    for other, text in sorted(siblings.items()):
        there = PurePosixPath(other).parent
        if other == path or str(there) not in dirs:
            continue
        if str(PurePosixPath(path).relative_to(there)) in _INCLUDE_C.findall(text):
            return other
    return None


TEST_DIRS = ("test", "tests")


def dirs_for(glob: str, files: dict[str, list[str]]) -> list[str]:
    """The source directories ("lib/kunit/") of the suites matching glob, and
    of the code they test: a suite in drivers/base/test/ tests drivers/base/,
    which holds it.  files: tree-relative path -> the suite names it defines."""
    dirs = set()
    for path in files_for(glob, files):
        parent = PurePosixPath(path).parent
        if parent.name in TEST_DIRS and parent.parent != PurePosixPath("."):
            parent = parent.parent
        dirs.add(str(parent) + "/")
    return sorted(d for d in dirs if not any(d != o and d.startswith(o) for o in dirs))


# Why a suite covers a touched file, closest first.
DEFINED, CALLS, SAME_DIR, TEST_DIR = "defined in a touched file", "calls a touched function", \
    "in a touched file's directory", "in its test directory"
NAMED = "named by --suite"      # no reason of the code's: the reviewer's word
REASONS = (DEFINED, CALLS, SAME_DIR, TEST_DIR, NAMED)


@dataclass(frozen=True)
class Covering:
    suite: str
    file: str           # the suite's source, tree-relative
    reason: str         # one of REASONS
    touched: str        # the touched file (or function) it covers


def covering(touched: list[str], functions: list[str], sources: dict[str, str],
             named: dict[str, list[str]] | None = None) -> list[Covering]:
    """The suites of sources (tree-relative path -> C text) that exercise the
    touched files, closest first: those defined in a touched file, those whose
    source calls a touched function, those in a touched file's own directory,
    then in its test/ children.  A suite appears once, at its closest reason.
    named: each path's suite names, where suite_names(text) alone cannot
    give them (KBUILD_MODNAME)."""
    found: dict[str, Covering] = {}

    def add(suite: str, path: str, reason: str, what: str) -> None:
        old = found.get(suite)
        if old is None or REASONS.index(reason) < REASONS.index(old.reason):
            found[suite] = Covering(suite, path, reason, what)

    calls = [re.compile(rf"\b{re.escape(f)}\s*\(") for f in functions]
    for path, text in sources.items():
        names = named[path] if named and path in named else suite_names(text)
        if not names:
            continue
        here = PurePosixPath(path).parent
        for t in touched:
            tdir = PurePosixPath(t).parent
            reason = DEFINED if path == t else SAME_DIR if here == tdir else \
                TEST_DIR if here.parent == tdir and here.name in TEST_DIRS else ""
            for name in names if reason else ():
                add(name, path, reason, t)
        for fn, rx in zip(functions, calls):
            if rx.search(text):
                for name in names:
                    add(name, path, CALLS, fn)
    return sorted(found.values(), key=lambda c: (REASONS.index(c.reason), c.suite))
