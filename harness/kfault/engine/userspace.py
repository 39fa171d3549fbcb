"""Sweeps from user space (pure): the plan harness/kfault/user/kfault-user.c reads,
the records it writes, and each point's verdict.

kfault-user runs inside a UML boot on the host's root.  The engine is the
kernel's (kunit/kfault/user.c, debugfs kfault/user): for each operation of a
target's [user] table, a counting run (point 0) gives the events and each
point's id, then point k fails counted event k alone, each in a child
process: setup steps, the task armed around the steps, teardown steps.
One record per line, one parser per kind:

    op NAME pages=0|1 threads=0|1           an operation starts
    begin OP NTH                            a point starts (on disk before it runs)
    pid OP NTH PID                          the point's process (kmemleak's "pid")
    events OP 0 N TOTAL                     the counting run: N points (TOTAL counted)
    ids OP 0 FIRST ID...                    ... and the id of each, from point FIRST on
    step OP NTH IDX setup|step|teardown RET a step's result: >= 0, or -errno
    fired OP NTH 0|1 ID EXPECT HIT REARMED EVENTS
                                            what the armed point failed, and its id
    site OP NTH ATTR ALLOC INNER CALLER FILE LINE NESTING
                                            the failed allocation's site (its tag)
    frame OP NTH SYMBOL                     its stack, from the allocator out
    leak OP NTH PATH:LINE MODULE|- FUNCTION CALLS BYTES
                                            a call site in scope whose live count grew
    kmsg OP NTH TEXT                        a kernel message of the point (/dev/kmsg)
    kmsg-lost OP NTH                        /dev/kmsg overwrote messages
    since OP NTH JIFFIES                    the point's start in kmemleak's time
    until OP NTH JIFFIES                    ... and its end, after its deferred frees
    end OP NTH STATUS SECONDS               the point is over
    done OP N                               the operation is swept
    missing OP ID N                         --only: no point of OP has that id
    finished                                every operation is swept

A point run again (its arming event did not come, or one more allocation
let through) has a "begin" of its own: each attempt is a Point.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Callable, Iterable, Union

from ..console import frames, kreport, oops
from ..console.frames import TRACE, parse as parse_frame
from ..console.tables import INJECTION_HEAD, MACHINERY_FILES
from ..console.protocol import At, DoneLine, LeakedSite, ThreadLine, TryLine, Verdict, strip_time
from ..checkout.targets import UserOp

ENOENT = 2


@dataclass(frozen=True)
class StepRec(At):
    """A step of the point's op ran: its index in the phase's list, the phase
    (setup, step, teardown) and what the call returned (>= 0, or -errno)."""

    index: int
    phase: str
    ret: int


@dataclass(frozen=True)
class FiredRec(At):
    fired: bool
    id: str             # the failed site's id, 00000000 if none
    expect: str         # the id the counting run gave this point
    hit: bool           # the failure hit the counted event
    rearmed: int        # bookkeeping failures let through
    events: int


@dataclass(frozen=True)
class SiteRec(At):
    """The failed allocation's site as the engine saw it (its allocation tag)."""

    attr: str
    allocator: str
    inner: str
    caller: str
    file: str
    line: int
    nesting: str


@dataclass(frozen=True)
class EventsRec(At):
    events: int
    total: int          # more than events when the engine's cap was reached


@dataclass(frozen=True)
class IdsRec(At):
    first: int          # the point the first id is of
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Tag:
    """An allocinfo call site: "file:line [module] func:name"."""

    file: str
    line: int
    module: str
    function: str

    def __str__(self) -> str:
        return f"{PurePath(self.file).name}:{self.line} {self.function}"


@dataclass(frozen=True)
class LeakRec(At):
    """A call site of the point's scope with objects still live after it."""

    tag: Tag
    calls: int
    bytes: int


@dataclass(frozen=True)
class TextRec(At):
    """A line of the point's kernel messages (kind "kmsg"), a frame of the
    failure's stack (kind "frame"), or where /dev/kmsg overwrote messages
    before the helper read them (kind "lost", no text)."""

    kind: str
    text: str


@dataclass(frozen=True)
class WindowRec(At):
    """Where the point starts (kind "since") or ends, its deferred frees run
    (kind "until"), in jiffies: kmemleak's objects between are the point's."""

    kind: str
    jiffies: int


@dataclass(frozen=True)
class EndRec(At):
    status: int
    seconds: float


@dataclass(frozen=True)
class MissingRec:
    op: str
    id: str
    events: int


@dataclass(frozen=True)
class FinishedRec:
    pass


Rec = Union[TryLine, ThreadLine, StepRec, FiredRec, SiteRec, EventsRec, IdsRec,
            LeakRec, TextRec, WindowRec, EndRec, DoneLine, MissingRec, FinishedRec]


def _begin(w: list[str]) -> Rec:
    """A point starts: the in-kernel sweeps' "kfault: try" line's record."""
    return TryLine(w[1], int(w[2]), 0)


def _pid(w: list[str]) -> Rec:
    return ThreadLine(w[1], int(w[2]), int(w[3]))


def _step(w: list[str]) -> Rec:
    if w[4] not in ("setup", "step", "teardown"):
        raise ValueError(w[4])
    return StepRec(w[1], int(w[2]), int(w[3]), w[4], int(w[5]))


def _hex_id(text: str) -> str:
    int(text, 16)
    if len(text) != 8:
        raise ValueError(text)
    return text


def _fired(w: list[str]) -> Rec:
    return FiredRec(w[1], int(w[2]), w[3] == "1", _hex_id(w[4]), _hex_id(w[5]), w[6] == "1",
                    int(w[7]), int(w[8]))


def _site(w: list[str]) -> Rec:
    return SiteRec(w[1], int(w[2]), w[3], w[4], w[5], w[6], w[7], int(w[8]), w[9])


def _events(w: list[str]) -> Rec:
    return EventsRec(w[1], int(w[2]), int(w[3]), int(w[4]))


def _ids(w: list[str]) -> Rec:
    return IdsRec(w[1], int(w[2]), int(w[3]), tuple(_hex_id(x) for x in w[4:]))


def _leak(w: list[str]) -> Rec:
    path, _, line = w[3].rpartition(":")
    if not path:
        raise ValueError(w[3])
    return LeakRec(w[1], int(w[2]), Tag(path, int(line), "" if w[4] == "-" else w[4].strip("[]"),
                                        w[5]), int(w[6]), int(w[7]))


def _kmsg_lost(w: list[str]) -> Rec:
    return TextRec(w[1], int(w[2]), "lost", "")


def _window(w: list[str]) -> Rec:
    return WindowRec(w[1], int(w[2]), w[0], int(w[3]))


def _end(w: list[str]) -> Rec:
    return EndRec(w[1], int(w[2]), int(w[3]), float(w[4]))


def _done(w: list[str]) -> Rec:
    return DoneLine(w[1], int(w[2]))


def _missing(w: list[str]) -> Rec:
    return MissingRec(w[1], _hex_id(w[2]), int(w[3]))


_PARSERS: dict[str, tuple[int, Callable[[list[str]], Rec]]] = {
    "begin": (3, _begin), "pid": (4, _pid), "step": (6, _step),
    "fired": (9, _fired), "site": (10, _site), "events": (5, _events), "ids": (4, _ids),
    "leak": (8, _leak), "kmsg-lost": (3, _kmsg_lost), "end": (5, _end), "done": (3, _done),
    "since": (4, _window), "until": (4, _window),
    "missing": (4, _missing), "finished": (1, lambda w: FinishedRec()),
}


def parse_line(line: str) -> Rec | None:
    """One record, or None for a line cut short by a crash or not ours."""
    if line.startswith(("kmsg ", "frame ")):
        parts = line.split(" ", 3)
        if len(parts) < 3 or not parts[2].lstrip("-").isdigit():
            return None
        return TextRec(parts[1], int(parts[2]), parts[0], parts[3] if len(parts) > 3 else "")
    words = line.split()
    if not words or words[0] not in _PARSERS:
        return None
    least, parser = _PARSERS[words[0]]
    if len(words) < least:
        return None
    try:
        return parser(words)
    except ValueError:
        return None


def parse(lines: Iterable[str]) -> list[Rec]:
    return [r for r in map(parse_line, lines) if r is not None]


# ---- points -----------------------------------------------------------------

@dataclass
class Point:
    """Everything the records say of one attempt at a point."""

    op: str
    nth: int
    pid: int = 0
    steps: list[StepRec] = field(default_factory=list)
    fired: FiredRec | None = None
    site: SiteRec | None = None
    frames: list[str] = field(default_factory=list)
    leaks: list[LeakRec] = field(default_factory=list)
    kmsg: list[str] = field(default_factory=list)
    lost: bool = False
    since: int | None = None    # jiffies: the point's window in kmemleak's time
    until: int | None = None
    end: EndRec | None = None

    def holds(self, jiffies: int) -> bool:
        """An object allocated at jiffies was allocated during this point."""
        return self.since is not None and self.until is not None \
            and self.since <= jiffies <= self.until


@dataclass
class Boot:
    """One boot's records, read once."""

    points: list[Point] = field(default_factory=list)
    events: dict[str, EventsRec] = field(default_factory=dict)
    ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    missing: list[MissingRec] = field(default_factory=list)
    finished: bool = False

    @property
    def unfinished(self) -> Point | None:
        """The point that was running when the boot ended (None: it ended between points)."""
        last = self.points[-1] if self.points else None
        return last if last and last.end is None else None

    def expected_id(self, op: str, nth: int) -> str:
        """The id the counting run gave point nth of op ("-" if not known)."""
        ids = self.ids.get(op, ())
        return ids[nth - 1] if 0 < nth <= len(ids) else "-"


def boot(recs: Iterable[Rec]) -> Boot:
    out = Boot()
    at: dict[tuple[str, int], Point] = {}
    for rec in recs:
        if isinstance(rec, TryLine):
            at[rec.op, rec.nth] = Point(rec.op, rec.nth)
            out.points.append(at[rec.op, rec.nth])
        elif isinstance(rec, DoneLine):
            out.done[rec.op] = rec.nth
        elif isinstance(rec, MissingRec):
            out.missing.append(rec)
        elif isinstance(rec, FinishedRec):
            out.finished = True
        elif isinstance(rec, EventsRec):
            out.events[rec.op] = rec
        elif isinstance(rec, IdsRec):
            # an operation's ids come in lines; its first line starts afresh
            known = out.ids.get(rec.op, ()) if rec.first > 1 else ()
            if len(known) == rec.first - 1:
                out.ids[rec.op] = known + rec.ids
        elif (rec.op, rec.nth) in at:
            p = at[rec.op, rec.nth]
            if isinstance(rec, ThreadLine):
                p.pid = rec.pid
            elif isinstance(rec, StepRec):
                p.steps.append(rec)
            elif isinstance(rec, FiredRec):
                p.fired = rec
            elif isinstance(rec, SiteRec):
                p.site = rec
            elif isinstance(rec, LeakRec):
                p.leaks.append(rec)
            elif isinstance(rec, WindowRec) and rec.kind == "since":
                p.since = rec.jiffies
            elif isinstance(rec, WindowRec):
                p.until = rec.jiffies
            elif isinstance(rec, TextRec) and rec.kind == "lost":
                p.lost = True
            elif isinstance(rec, TextRec) and rec.kind == "kmsg":
                # /dev/kmsg escapes a record's inner newlines
                p.kmsg.extend(rec.text.split("\\x0a"))
            elif isinstance(rec, TextRec):
                p.frames.append(rec.text)
            elif isinstance(rec, EndRec):
                p.end = rec
    return out


def owner(points: list[Point], jiffies: int, pid: int) -> Point | None:
    """The point of a boot a kmemleak object allocated at jiffies by pid belongs
    to: the one whose window holds the time (a tie at a shared jiffy goes to
    the one whose process has the pid); records without windows (an older
    helper) place it by pid alone.  None: allocated outside every point."""
    timed = [p for p in points if p.holds(jiffies)]
    if timed:
        return next((p for p in timed if p.pid == pid), timed[0])
    if any(p.since is not None for p in points):
        return None
    return next((p for p in points if pid and p.pid == pid), None)


# ---- the plan ---------------------------------------------------------------

def plan(ops: Iterable[UserOp], build_dir: str, dirs: Iterable[str]) -> str:
    """kfault-user's plan: module paths made absolute in the build directory;
    the leak check's scope (dirs, and the modules each operation loads)."""
    lines = []
    dirs = tuple(dirs)
    for op in ops:
        lines.append(f"op {op.name} pages={int(op.pages)} threads={int(op.threads)}")
        lines += [f"scope {d.rstrip('/')}/" for d in dirs]
        lines += [f"scope [{m}]" for m in sorted(modules(op))]
        for phase, steps in (("setup", op.setup), ("step", op.steps),
                             ("teardown", op.teardown)):
            for step in steps:
                words = step.split()
                if words[0] == "insmod" and not words[1].startswith("/"):
                    words[1] = f"{build_dir}/{words[1]}"
                lines.append(f"{phase} {' '.join(words)}")
        lines.append("end")
    return "\n".join(lines) + "\n"


def modules(op: UserOp) -> set[str]:
    """The module names an operation loads (allocinfo's "[name]")."""
    return {PurePath(s.split()[1]).stem.replace("-", "_")
            for s in op.setup + op.steps if s.split()[0] == "insmod"}


# ---- allocation tags, injected failures, leaks ------------------------------

def in_scope(tag: Tag, dirs: Iterable[str], mods: set[str]) -> bool:
    """A call site whose allocations a point must free: in the target's source
    directories or leak_dirs, or in a module the operation loads."""
    return tag.module in mods or any(tag.file.startswith(d.rstrip("/") + "/") for d in dirs)


_UNLOAD = re.compile(r"(\S+):(\d+) module (\w+) func:(\S+) has (\d+) allocated at module unload")


def unload_leaks(kmsg: Iterable[str]) -> list[tuple[Tag, int]]:
    """alloc_tag's warning when a module is freed with allocations of its own
    call sites still live (lib/alloc_tag.c): the call site and its bytes."""
    out = []
    for line in kmsg:
        m = _UNLOAD.search(line)
        if m:
            out.append((Tag(m.group(1), int(m.group(2)), m.group(3), m.group(4)),
                        int(m.group(5))))
    return out


def injection(kmsg: list[str]) -> tuple[str, list[tuple[str, str]]] | None:
    """The injected failure's dump (lib/fault-inject.c, verbose=2): its fault_attr
    ("failslab", "fail_page_alloc") and the reliable frames of its stack,
    innermost first, as (function+off/size, module or "")."""
    start = next((i for i, ln in enumerate(kmsg) if INJECTION_HEAD in ln), None)
    if start is None:
        return None
    attr = "-"
    frames: list[tuple[str, str]] = []
    for ln in kmsg[start + 1:start + 120]:
        if ln.startswith("name "):
            attr = ln.split()[1].rstrip(",")
            continue
        f = parse_frame(ln)
        if f is not None and f.kind == TRACE:
            if f.reliable:
                frames.append((f.text, f.module))
        elif frames and ln.strip() and not ln.startswith(" "):
            break
    return attr, frames


def captured(texts: Iterable[str]) -> list[tuple[str, str]]:
    """The failure's stack as the engine named it when it failed ("frame"
    records, %pS: "function+off/size [module]"), from the allocator out, as
    (function+off/size, module or "")."""
    out = []
    for text in texts:
        f = frames.parse_text(text)
        if f is not None:
            out.append((f.text, f.module))
    return out


def failure(p: Point) -> tuple[str, list[tuple[str, str]]] | None:
    """A finished point's failed allocation: its fault_attr and frames - the
    engine's stack (slab failures, __GFP_NOWARN ones too), else the
    FAULT_INJECTION dump's (a page, whose failure reaches no tracepoint)."""
    if p.frames:
        return (p.site.attr if p.site else "-", captured(p.frames))
    return injection(p.kmsg)


NO_ID = "0" * 8


def point_id(p: Point, expected: str) -> str:
    """A point's id: the site the engine failed; for a point the engine could
    not answer for (a crash, a hang) or whose site has no hash, the one the
    counting run gave it (expected); the counting run's own is NO_ID."""
    if not p.nth:
        return NO_ID
    if p.fired and p.fired.fired and p.fired.id != NO_ID:
        return p.fired.id
    return expected


Chain = list[tuple[str, str]]        # faddr2line: (function, file:line), innermost first


@dataclass(frozen=True)
class Site:
    """Where the injected failure hit: the caller, past the allocator."""

    function: str
    file: str                   # as the tree names it
    line: int
    allocator: str              # the allocator's entry frame, e.g. __kmalloc_cache_noprof
    attr: str
    inner: str                  # the first frame past the allocator, when site is further out
    callers: tuple[str, ...] = ()   # the functions past the allocator, outwards (evidence)

    @property
    def where(self) -> str:
        return f"{PurePath(self.file).name}:{self.line}"


def in_tree(path: str, exists: Callable[[str], bool]) -> str:
    """An absolute source path as the tree names it: its shortest tail of two
    components or more that the tree has ("/root/other/linux/mm/slub.c" ->
    "mm/slub.c"), else path.  exists: is that tree-relative file there."""
    parts = PurePath(path).parts[1:]
    for i in range(len(parts) - 2, -1, -1):
        tail = "/".join(parts[i:])
        if exists(tail):
            return tail
    return path


def _file_line(where: str) -> tuple[str, int] | None:
    path, _, line = where.rpartition(":")
    line = line.split(" ")[0]
    return (path, int(line)) if path and line.isdigit() else None


def site(attr: str, frames: list[tuple[str, str]], chains: dict[str, Chain],
         dirs: Iterable[str], mods: set[str]) -> Site | None:
    """The failed call's site: the innermost frame in the target (its source
    directories or its modules), else the first frame past the allocator."""
    dirs = tuple(dirs)
    entries: list[tuple[str, str, int, bool]] = []     # (function, file, line, in target)
    allocator = "-"
    for frame, mod in frames:
        for func, where in chains.get(frame, []):
            fl = _file_line(where)
            if fl is None:
                continue
            if fl[0].startswith(MACHINERY_FILES):
                if not entries:
                    allocator = frame.split("+")[0]   # the outermost allocator frame so far
                continue
            entries.append((func, fl[0], fl[1], mod in mods or any(
                fl[0].startswith(d.rstrip("/") + "/") for d in dirs)))
    if not entries:
        return None
    first = entries[0]
    mine = next((e for e in entries if e[3]), first)
    inner = "" if mine is first else f"{first[0]} ({PurePath(first[1]).name}:{first[2]})"
    return Site(mine[0], mine[1], mine[2], allocator, attr, inner,
                tuple(e[0] for e in entries[:CALLERS]))


CALLERS = 16


# ---- verdicts ---------------------------------------------------------------

@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    ret: int
    leaked: tuple[LeakedSite, ...]
    report: str
    report_site: str
    detail: str


def _errno_name(ret: int) -> str:
    return f"{ret}" if ret >= 0 else f"-{-ret}"


def judge(p: Point, op: UserOp, dirs: Iterable[str], known_leaks: Iterable[str] = (),
          prefix: str = "") -> Judged:
    """A finished point's verdict: a kernel report, then a leak (a call site in
    scope still had allocations live after the teardown, or a module was freed
    with its allocations live),
    then the state (a setup step failed, or a teardown step with another error
    than -ENOENT), then the errno."""
    mods = modules(op)
    dirs = tuple(dirs)
    reports = [r for r in kreport.parse(p.kmsg, prefix) if not r.artefact
               and "allocated at module unload" not in "".join(p.kmsg[r.line:r.line + 2])]
    armed = [s for s in p.steps if s.phase == "step"]
    failed = next((s for s in armed if s.ret < 0), None)
    ret = failed.ret if failed else 0
    leaked = []
    for x in p.leaks:
        if in_scope(x.tag, dirs, mods) and x.calls > 0 and str(x.tag) not in known_leaks:
            leaked.append(LeakedSite(PurePath(x.tag.file).name, x.tag.line, x.tag.function,
                                     x.calls, x.bytes, "live"))
    for tag, size in unload_leaks(p.kmsg):
        if not any((x.file, x.line) == (PurePath(tag.file).name, tag.line) for x in leaked):
            leaked.append(LeakedSite(PurePath(tag.file).name, tag.line, tag.function, 0, size,
                                     "unload"))
    if reports:
        first = reports[0]
        return Judged(Verdict.REPORT, ret, tuple(leaked), first.title, first.frame,
                      f"{first.title} (guilty: {first.frame})"
                      + (f"; {len(reports)} reports" if len(reports) > 1 else ""))
    if leaked:
        return Judged(Verdict.LEAK, ret, tuple(leaked), "", "-",
                      "still allocated after the point: " + "; ".join(map(str, leaked)))
    # a teardown removes what may not be there (the failure stopped its creation)
    bad = [s for s in p.steps if s.phase in ("setup", "teardown") and s.ret < 0
           and not (s.ret == -ENOENT and s.phase == "teardown")]
    if bad:
        s = bad[0]
        what = (op.setup + op.steps + op.teardown)[s.index] if s.index < len(
            op.setup + op.steps + op.teardown) else "?"
        return Judged(Verdict.BAD_STATE, ret, (), "", "-",
                      f"{s.phase} step '{what}' returned {_errno_name(s.ret)}")
    if p.nth == 0:
        if failed:
            return Judged(Verdict.BAD_STATE, ret, (), "", "-",
                          f"with nothing failing, step {failed.index} returned "
                          f"{_errno_name(ret)}")
        return Judged(Verdict.HANDLED, 0, (), "", "-", "")
    if not failed:
        return Judged(Verdict.ABSORBED, 0, (), "", "-", "")
    if -ret in op.expect:
        return Judged(Verdict.HANDLED, ret, (), "", "-", "")
    return Judged(Verdict.WRONG_ERRNO, ret, (), "", "-",
                  f"returned {_errno_name(ret)}, expected "
                  + " or ".join(f"-{e}" for e in op.expect))


@dataclass(frozen=True)
class CrashSeen:
    """The crash that ended a boot."""

    title: str
    frame: str          # guilty "function+off/size", or "-"
    module: str         # the frame's module, "" for vmlinux
    line: int           # the crash line's index in the console
    excerpt: str


def _seen(crash: oops.Crash | None, lines: list[str], before: int, after: int
          ) -> CrashSeen | None:
    if crash is None:
        return None
    part = lines[max(0, crash.line - before):crash.line + after]
    return CrashSeen(crash.title, crash.frame, crash.module, crash.line,
                     "\n".join(strip_time(x) for x in part))


def crash_of(console: list[str], prefix: str) -> CrashSeen | None:
    return _seen(oops.find_crash(console, prefix), console, 12, 6)


def caught_of(kmsg: list[str], prefix: str) -> CrashSeen | None:
    """A kernel-mode fault kfault's guard caught during a point (a KUnit test
    module's code runs guarded: kunit/kfault/modsuites.c): the point crashed,
    its boot went on."""
    return _seen(oops.caught(kmsg, prefix), kmsg, 4, 14)


def last_injection(console: list[str], upto: int) -> tuple[str, list[tuple[str, str]]] | None:
    """The dump of the last failure injected before a console line (a crashed
    point's records end before the kernel's messages were drained)."""
    text = [strip_time(ln) for ln in console[:upto]]
    start = max((i for i, ln in enumerate(text) if INJECTION_HEAD in ln), default=None)
    return injection(text[start:]) if start is not None else None


def frame_of(lines: list[str], start: int, function: str) -> tuple[str, str] | None:
    """The first reliable frame of function at or after line start, as
    (function+off/size, module or "")."""
    for f in frames.trace(strip_time(ln) for ln in lines[start:start + 200]):
        if f.function == function:
            return f.text, f.module
    return None


_EXPECT = re.compile(r"/\* kfault-expect: ([\w-]+) \*/")


@dataclass(frozen=True)
class Expect:
    """A line of the target's sources marked with the verdict its sweep must give."""

    file: str           # basename
    line: int
    verdict: str


def expectations(name: str, text: str) -> list[Expect]:
    return [Expect(name, num, m.group(1)) for num, ln in enumerate(text.splitlines(), 1)
            for m in [_EXPECT.search(ln)] if m]


def meets(e: Expect, verdict: str, file: str | None, line: int,
          leaked: Iterable[LeakedSite]) -> bool:
    """Whether a point shows the expectation: its verdict, at the marked line
    (where it crashed or was reported), or a leak allocated there."""
    if verdict != e.verdict:
        return False
    return (file, line) == (e.file, e.line) or any(
        (x.file, x.line) == (e.file, e.line) for x in leaked)


def text_range(symbols: list[tuple[int, int, str]], names: set[str], seed: str
               ) -> tuple[int, int] | None:
    """The address range of one object file's .text in a linked kernel: from
    the seed function, the neighbouring symbols (by address) that the object
    defines.  The stack filter rejects what passes through it: kmemleak's
    own allocations would otherwise take every other fail-nth point."""
    at = next((i for i, (_, _, n) in enumerate(symbols) if n == seed), None)
    if at is None:
        return None
    lo = hi = at
    while lo > 0 and symbols[lo - 1][2] in names:
        lo -= 1
    while hi + 1 < len(symbols) and symbols[hi + 1][2] in names:
        hi += 1
    end = symbols[hi][0] + (symbols[hi][1] or 1)
    return symbols[lo][0], end


def call_sites(texts: Iterable[str]) -> dict[str, str]:
    """"function+0xoff/0xsize" return-address frames as the calls they come
    from, "function+0x(off - 1)", each mapped to its frame (scripts/faddr2line
    places the call, not the instruction after it)."""
    out = {}
    for text in sorted(texts):
        f = frames.parse_text(text)
        if f is not None:
            out[f"{f.function}+{max(f.offset - 1, 0):#x}"] = text
    return out


def frame_addresses(symbols: list[tuple[int, int, str]], texts: Iterable[str]
                    ) -> dict[str, int]:
    """The call's address (return address - 1) of each "function+off/size" frame,
    from nm's (address, size, name): of same-named functions, the one whose
    size the frame gives."""
    by_name: dict[str, list[tuple[int, int]]] = {}
    for addr, size, name in symbols:
        by_name.setdefault(name, []).append((addr, size))
    out = {}
    for text in texts:
        f = frames.parse_text(text)
        if f is None or f.function not in by_name:
            continue
        candidates = by_name[f.function]
        addr = next((a for a, s in candidates if s == f.size), candidates[0][0])
        out[text] = addr + max(f.offset - 1, 0)
    return out
