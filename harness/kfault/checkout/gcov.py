"""make review's coverage build (pure): the make options that compile the
touched C files with gcov's counters and link libgcov into the UML kernel.

UML is a host program, so gcc's own runtime (libgcov) can write the counts:
no CONFIG_GCOV (which instruments the whole kernel and rebuilds all of it)
and no CONFIG_GCOV_KERNEL (its constructors run, on UML, before the kernel
has a current task).  Only the touched objects are rebuilt:

- CFLAGS_<stem>.o=--coverage for each touched .c file (Kbuild adds it to that
  object's flags; a make-line variable is global, so every object of that
  name is instrumented, which costs a recompile and nothing else);
- KBUILD_VMLINUX_LIBS gains a copy of libgcov.a with its mangle_path renamed
  (the kernel has one too, fs/seq_file.c);
- KFAULT_GCOV=y builds kunit/kfault/cov_flush.c, whose destructor writes
  the .gcda files when UML exits (libgcov's own lands in a .fini_array.00100
  that UML's linker script leaves out).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

LIBGCOV = "libgcov-kfault.a"        # in the build directory
FLAGS = "--coverage"
DEFAULT_LIBS = ("lib/lib.a",)       # Kbuild's KBUILD_VMLINUX_LIBS without modules
_LIBS = re.compile(r"--start-group (.*?) --end-group")


@dataclass(frozen=True)
class Plan:
    """What a coverage build instruments, and what it cannot, with why."""

    files: tuple[str, ...]                      # kernel-tree paths of .c files
    refused: tuple[tuple[str, str], ...] = ()   # (file, why it is not measured)


def plan(files: list[str], makefiles: dict[str, str]) -> Plan:
    """The touched files a coverage build can instrument.  makefiles: each
    file's directory Makefile (or Kbuild) text, by file; a file whose Makefile
    sets CFLAGS_<stem>.o itself is refused (the make-line variable would
    replace that setting, not add to it)."""
    ok, refused = [], []
    for f in files:
        if not f.endswith(".c"):
            refused.append((f, "not a C file"))
            continue
        stem = PurePosixPath(f).stem
        if re.search(rf"^\s*CFLAGS_{re.escape(stem)}\.o\b", makefiles.get(f, ""), re.M):
            refused.append((f, f"its Makefile sets CFLAGS_{stem}.o"))
            continue
        ok.append(f)
    return Plan(tuple(dict.fromkeys(ok)), tuple(refused))


def vmlinux_libs(cmd: str | None) -> list[str]:
    """The libraries the last link took (the build's .vmlinux.o.cmd), without
    a libgcov an earlier coverage build added."""
    m = _LIBS.search(cmd or "")
    libs = m.group(1).split() if m else list(DEFAULT_LIBS)
    return [x for x in libs if PurePosixPath(x).name != LIBGCOV]


def make_options(p: Plan, build_dir: Path, cmd: str | None) -> list[str]:
    """kunit.py's --make_options for a coverage build of p in build_dir."""
    if not p.files:
        return []
    stems = dict.fromkeys(PurePosixPath(f).stem for f in p.files)
    libs = vmlinux_libs(cmd) + [str(build_dir / LIBGCOV)]
    return (["--make_options=KFAULT_GCOV=y"]
            + [f"--make_options=CFLAGS_{s}.o={FLAGS}" for s in stems]
            + [f"--make_options=KBUILD_VMLINUX_LIBS={' '.join(libs)}"])
