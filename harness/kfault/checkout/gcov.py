"""make review's coverage build (pure): the make options that compile the
touched C files with gcov's counters and link libgcov into the UML kernel.

UML is a host program, so gcc's own runtime (libgcov) can write the counts:
no CONFIG_GCOV (which instruments the whole kernel and rebuilds all of it)
and no CONFIG_GCOV_KERNEL (its constructors run, on UML, before the kernel
has a current task).  Only the touched objects are rebuilt:

- CFLAGS_<stem>.o=--coverage for each touched .c file, and for the file that
  #includes it when it has one (lib/kunit/executor.c compiles executor_test.c;
  Kbuild adds it to that object's flags; a make-line variable is global, so every object of that
  name is instrumented, which costs a recompile and nothing else).  A make-line
  variable replaces the Makefile's own CFLAGS_<stem>.o, so an unconditional
  setting there is carried into it, unexpanded (make expands it where Kbuild
  uses it: drivers/thunderbolt's "CFLAGS_test.o += $(DISABLE_STRUCTLEAK_PLUGIN)");
  one under ifdef/ifeq is refused;
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
    own: tuple[tuple[str, str], ...] = ()       # (stem, its Makefile's CFLAGS_<stem>.o)

    def objects_of(self, f: str) -> tuple[str, ...]:
        """The .c files whose objects may hold f's counts: f, and its host."""
        return (f,) + tuple(h for g, h in self.hosts if g == f)

    @property
    def objects(self) -> tuple[str, ...]:
        """Every .c file the coverage build compiles with counters."""
        return tuple(dict.fromkeys(o for f in self.files for o in self.objects_of(f)))


_CONDITIONAL = re.compile(r"^\s*(ifeq|ifneq|ifdef|ifndef)\b")
_ENDIF = re.compile(r"^\s*endif\b")


def own_cflags(makefile: str, stem: str) -> str | None:
    """The value a Makefile gives CFLAGS_<stem>.o, unexpanded ("" when it sets
    none), or None when it sets it under a condition."""
    text = re.sub(r"\\\n", " ", makefile)
    value, depth = "", 0
    assign = re.compile(rf"^\s*CFLAGS_{re.escape(stem)}\.o\s*(\+=|:=|::=|\?=|=)\s*(.*?)\s*$")
    for line in text.splitlines():
        if _CONDITIONAL.match(line):
            depth += 1
        elif _ENDIF.match(line):
            depth = max(depth - 1, 0)
        m = assign.match(line.split("#", 1)[0])
        if not m:
            continue
        if depth:
            return None
        op, rhs = m.groups()
        value = f"{value} {rhs}".strip() if op == "+=" else \
            (value or rhs) if op == "?=" else rhs
    return value


def plan(files: list[str], makefiles: dict[str, str],
         hosts: dict[str, str] | None = None) -> Plan:
    """The touched files a coverage build can instrument.  makefiles: each
    file's directory Makefile (or Kbuild) text, by file; hosts: the file of
    the same directory that #includes a touched file, by file.  The make-line
    CFLAGS_<stem>.o replaces the Makefile's, so it carries the Makefile's own
    value (own_cflags); a file whose Makefile sets it under a condition, or
    two touched files of one stem whose Makefiles set it apart, is refused."""
    ok, refused = [], []
    own: dict[str, str] = {}
    hosts = hosts or {}
    for f in files:
        if not f.endswith(".c"):
            refused.append((f, "not a C file"))
            continue
        stems = [PurePosixPath(x).stem for x in (f, hosts.get(f)) if x]
        values = {s: own_cflags(makefiles.get(f, ""), s) for s in stems}
        bad = next((s for s, v in values.items() if v is None), None)
        if bad is not None:
            refused.append((f, f"its Makefile sets CFLAGS_{bad}.o under a condition"))
            continue
        clash = next((s for s, v in values.items() if own.get(s, v) != v), None)
        if clash is not None:
            refused.append((f, f"another touched {clash}.c's Makefile sets CFLAGS_{clash}.o "
                               "otherwise"))
            continue
        own.update({s: v or "" for s, v in values.items()})
        ok.append(f)
    kept = tuple(dict.fromkeys(ok))
    return Plan(kept, tuple(refused), tuple((f, hosts[f]) for f in kept if f in hosts),
                tuple((s, v) for s, v in own.items() if v))


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
    own = dict(p.own)
    libs = vmlinux_libs(cmd) + [str(build_dir / LIBGCOV)]
    return (["--make_options=KFAULT_GCOV=y"]
            + [f"--make_options=CFLAGS_{s}.o={' '.join(filter(None, (own.get(s), FLAGS)))}"
               for s in stems]
            + [f"--make_options=KBUILD_VMLINUX_LIBS={' '.join(libs)}"])
