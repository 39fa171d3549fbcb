"""Where KUnit suites live in a kernel tree (pure): a suite's name from the
C source that defines its struct kunit_suite, and the directories whose
allocation tags the any-suite sweep's leak check compares."""
from __future__ import annotations

import fnmatch
import re
from pathlib import PurePosixPath

_SUITE = re.compile(r"struct\s+kunit_suite\s+\w+\s*=\s*\{(.*?)\};", re.S)
_NAME = re.compile(r"\.name\s*=\s*\"([^\"]+)\"")


def suite_names(text: str) -> list[str]:
    """The names of the suites a C file defines ('.name = "..."')."""
    out = []
    for body in _SUITE.findall(text):
        name = _NAME.search(body)
        if name:
            out.append(name.group(1))
    return out


def files_for(glob: str, files: dict[str, list[str]]) -> list[str]:
    """The source files (tree-relative) of the suites matching glob."""
    return sorted(path for path, names in files.items()
                  if any(fnmatch.fnmatchcase(n, glob) for n in names))


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
