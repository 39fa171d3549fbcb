"""make review's coverage build (pure): the make options that compile the
touched C files with gcov's counters and link libgcov into the UML kernel.

UML is a host program, so gcc's own runtime (libgcov) can write the counts:
no CONFIG_GCOV (which instruments the whole kernel and rebuilds all of it)
and no CONFIG_GCOV_KERNEL (its constructors run, on UML, before the kernel
has a current task).  Only the touched objects are rebuilt:

- CFLAGS_<stem>.o=--coverage for each touched .c file, and for the file that
  #includes it when it has one (lib/kunit/executor.c compiles executor_test.c;
  Kbuild adds it to that object's flags; a make-line variable is global, so every object of that
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
    hosts: tuple[tuple[str, str], ...] = ()     # (file, the .c that #includes it)

    def objects_of(self, f: str) -> tuple[str, ...]:
        """The .c files whose objects may hold f's counts: f, and its host."""
        return (f,) + tuple(h for g, h in self.hosts if g == f)

    @property
    def objects(self) -> tuple[str, ...]:
        """Every .c file the coverage build compiles with counters."""
        return tuple(dict.fromkeys(o for f in self.files for o in self.objects_of(f)))


def plan(files: list[str], makefiles: dict[str, str],
         hosts: dict[str, str] | None = None) -> Plan:
    """The touched files a coverage build can instrument.  makefiles: each
    file's directory Makefile (or Kbuild) text, by file; hosts: the file of
    the same directory that #includes a touched file, by file.  A file whose
    Makefile sets CFLAGS_<stem>.o itself (of its own or its host's stem) is
    refused (the make-line variable would replace that setting, not add to it)."""
    ok, refused = [], []
    hosts = hosts or {}
    for f in files:
        if not f.endswith(".c"):
            refused.append((f, "not a C file"))
            continue
        stems = [PurePosixPath(x).stem for x in (f, hosts.get(f)) if x]
        set_by = [s for s in stems if re.search(rf"^\s*CFLAGS_{re.escape(s)}\.o\b",
                                                makefiles.get(f, ""), re.M)]
        if set_by:
            refused.append((f, f"its Makefile sets CFLAGS_{set_by[0]}.o"))
            continue
        ok.append(f)
    kept = tuple(dict.fromkeys(ok))
    return Plan(kept, tuple(refused), tuple((f, hosts[f]) for f in kept if f in hosts))


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
    stems = dict.fromkeys(PurePosixPath(f).stem for f in p.objects)
    libs = vmlinux_libs(cmd) + [str(build_dir / LIBGCOV)]
    return (["--make_options=KFAULT_GCOV=y"]
            + [f"--make_options=CFLAGS_{s}.o={FLAGS}" for s in stems]
            + [f"--make_options=KBUILD_VMLINUX_LIBS={' '.join(libs)}"])
