"""The "kfault:" lines the kernel prints: one typed record and one parser per kind (pure).

The C side is kunit/kfault/output.c; change both together.  A line is
recognised wherever "kfault: " appears in it (after a console timestamp,
after KTAP's "# case: " prefix), so the same parser reads test.log, a raw
UML console and kunit.py's formatted output.

    target  name= prefix= srcdir= text=START-END tags=      a suite's env is up
    try     op= nth=  |  op= fill= target=                  a point starts
    ran     op= nth= | op= fill=  verdict= nesting= site=A/I/C id=
    done    op= nth=                                        the op's points are run
    thread  op= nth= pid=                                   a suite point's thread
    suite   name= cases= excluded=0|1                       a suite sweep's suites
    capped  suite= ms= at=OP:NTH                            kfault.suite_ms ran out
    left    op= nth= drivers= devices= removed_drivers= removed_devices=
                                                            left on the KUnit bus
    unusable op= nth= why=wrote|left                        the point's result is the
                                                            boot's last (guard.c)
    count   op= points= bookkeeping= events=
    point   op= nth= fill= attr= allocator= inner= site= file=F:L addr= id=
    op=...  one point's result (the KUnit parameter's line)
    verdict V: N   /   N points (M runs) in T ms, P points/s
    kmemleak confirmation: target= canary= target_leaks= kernel_leaks=
    kmemleak: unreferenced object 0x.. (size N):     a target leak's block
    kmemleak (kernel): unreferenced object ... frames=a,b,...   a kernel leak, one line
    anything else: a message (errors, warnings, the canary's own line)
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Union

_FIELD = re.compile(r"(\w+)=(\[[^\]]*\]|\S+)")
_TIME = re.compile(r"^\[[ 0-9.:]+\] ")
_STATS = re.compile(r"^(\d+) points \((\d+) runs\) in (\d+) ms, (\d+) points/s"
                    r"(?:, (\d+) objects not followed by the live check)?")
_VERDICT_COUNT = re.compile(r"^verdict ([\w-]+): (\d+)$")
_LEAK = re.compile(r"^kmemleak(?: \((kernel)\))?: unreferenced object (0x[0-9a-f]+) "
                   r"\(size (\d+)\):(?: frames=(\S*))?")


def strip_time(line: str) -> str:
    """A console line without its "[   12.345678] " timestamp."""
    return _TIME.sub("", line)


class Verdict(enum.StrEnum):
    """A point's verdict: the kernel's (kfault.h; crash also when a boot died), and
    the harness's hang."""

    HANDLED = "handled"
    ABSORBED = "absorbed"
    NOT_FIRED = "not-fired"
    SITE_CHANGED = "site-changed"
    WRONG_ERRNO = "wrong-errno"
    BAD_STATE = "bad-state"
    LEAK = "leak"
    REPORT = "report"
    CRASH = "crash"
    HANG = "hang"
    # the any-suite sweep (kunit/kfault/suites.c): the case passed although an
    # allocation failed, or failed its own expectations because of it
    PASSED = "passed"
    TEST_FAILED = "test-failed"

    @property
    def ok(self) -> bool:
        return self in (Verdict.HANDLED, Verdict.ABSORBED, Verdict.PASSED,
                        Verdict.TEST_FAILED)

    @property
    def baseline_ok(self) -> bool:
        """As the verdict of point 0, nothing injected: a suite case that fails
        its own expectations there (test-failed) fails with nothing injected."""
        return self.ok and self is not Verdict.TEST_FAILED

    @property
    def unreached(self) -> bool:
        """The point's allocation did not come this time: nothing was looked at,
        neither ok nor a finding (reports list it apart)."""
        return self is Verdict.NOT_FIRED


@dataclass(frozen=True)
class LeakedSite:
    """An allocation call site still holding objects after a point: the
    kernel's leak check (site.c, kfault_tags_diff: "file:line fn +N/+BB") or
    the user-space sweep's allocinfo growth."""

    file: str           # as the allocation tag names it (a basename in the kernel's)
    line: int
    function: str
    calls: int          # objects still live
    bytes: int
    how: str = ""       # "" the kernel's check, "live" allocinfo, "unload" at module
    #                     unload, "raw" a site cut short (file holds its text)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def key(self) -> str:
        """The site without its counts: what stays the same across runs."""
        return self.file if self.how == "raw" else f"{self.where} {self.function}"

    def __str__(self) -> str:
        if self.how == "raw":
            return self.file
        if self.how == "live":
            return f"{self.where} {self.function} ({self.calls} live, {self.bytes} bytes)"
        if self.how == "unload":
            return f"{self.where} {self.function} ({self.bytes} bytes at module unload)"
        return f"{self.where} {self.function} {self.calls:+d}/{self.bytes:+d}B"


_LEAKED = re.compile(r"^(\S+):(\d+) (\S+) ([+-]\d+)/([+-]\d+)B$")


def parse_leaked(text: str) -> LeakedSite | None:
    """One site of a result's leaked=[...] list (None for an empty one); a site
    the kernel's buffer cut short is kept as its text."""
    text = text.strip()
    m = _LEAKED.match(text)
    if m is None:
        return LeakedSite(text, 0, "", 0, 0, "raw") if text else None
    return LeakedSite(m.group(1), int(m.group(2)), m.group(3), int(m.group(4)),
                      int(m.group(5)))


def point_key(nth: int, fill: int) -> str:
    """How a point is named for resume and records: "7" (pass nth 7) or "f2" (fill-in 2)."""
    return f"f{fill}" if fill else str(nth)


@dataclass(frozen=True)
class TargetLine:
    name: str
    prefix: str
    srcdir: str
    text_start: int
    text_end: int
    tags: int


@dataclass(frozen=True)
class At:
    """A point of an operation: what every per-point record of either sweep
    starts with (the kernel's lines here, kfault-user's records in
    engine/userspace.py)."""

    op: str
    nth: int


@dataclass(frozen=True)
class PointAt(At):
    """A point of an op sweep: nth, or the fill-th targeted attempt."""

    fill: int

    @property
    def key(self) -> str:
        return point_key(self.nth, self.fill)


@dataclass(frozen=True)
class TryLine(PointAt):
    target: str = "-"
    id: str = ""        # a suite case's point, named before it runs ("": an op's)


@dataclass(frozen=True)
class RanLine(PointAt):
    verdict: Verdict
    nesting: int
    site: str           # "allocator/inner/caller"
    id: str
    events: int = -1    # the events the point's last attempt saw (-1: an older kernel's line)


@dataclass(frozen=True)
class DoneLine(At):
    pass


@dataclass(frozen=True)
class ThreadLine(At):
    """The thread (or process) a point ran in: suites.c prints it for each
    attempt of a suite case's point, kfault-user records its child's pid;
    kmemleak names it."""

    pid: int


@dataclass(frozen=True)
class LeftLine(At):
    """A suite case's attempt left drivers or devices registered on the KUnit
    bus after its cleanup (kunit/kfault/bus.c), and kfault took removed_drivers
    and removed_devices of them off again (absent on consoles before that: 0).
    What it could not take off, later cases would see: the boot ends after the
    point (UnusableLine, why "left")."""

    drivers: int
    devices: int
    removed_drivers: int = 0
    removed_devices: int = 0

    @property
    def stayed(self) -> tuple[int, int]:
        """(drivers, devices) it left on the bus for the points after it."""
        return (max(self.drivers - self.removed_drivers, 0),
                max(self.devices - self.removed_devices, 0))


@dataclass(frozen=True)
class CountLine:
    op: str
    points: int
    bookkeeping: int


@dataclass(frozen=True)
class PointLine(PointAt):
    attr: str
    allocator: str
    inner: str
    site: str
    file: str | None
    line: int
    addr: int
    id: str


@dataclass(frozen=True)
class ResultLine(PointAt):
    """One point's result; nth 0 is the operation's baseline."""

    attr: str
    allocator: str
    inner: str
    site: str           # "sym+off/size" of the innermost target frame, or "-"
    file: str | None    # the target's call site, when its allocation tag said so
    line: int
    addr: int
    id: str
    verdict: Verdict
    ret: int
    us: int
    leaked: tuple[LeakedSite, ...]
    report: str
    report_site: str
    report_addr: int
    detail: str
    reports: int = 0        # KASAN/KFENCE reports the point's code made (guard.c)
    flooded: bool = False   # ... and after KFAULT_FLOOD of them the rest were silenced
    printed: int = -1       # bytes printk stored during its guarded calls (-1: not said)
    muted: bool = False     # ... past KFAULT_CONSOLE_BOUND the console was silenced


@dataclass(frozen=True)
class VerdictCountLine:
    verdict: Verdict
    count: int


@dataclass(frozen=True)
class StatsLine:
    points: int
    runs: int
    ms: int
    per_s: int
    untracked: int = 0      # objects the live leak check did not follow (live.c)


@dataclass(frozen=True)
class KmemleakLine:
    target: str
    canary_found: bool
    target_leaks: int
    kernel_leaks: int


@dataclass(frozen=True)
class LeakHeadLine:
    kernel: bool        # the kernel's own error path under a target call
    address: str
    size: int
    frames: tuple[str, ...] = ()    # the kernel's leaks: backtrace functions, one line


@dataclass(frozen=True)
class SuiteLine:
    """A suite kfault.suites matches, listed at a suite sweep's first boot
    (suites.c): what the report accounts for, swept or not."""

    name: str
    excluded: bool      # kfault.exclude names it
    cases: int = -1     # its cases (KUNIT_CASE entries; -1: not said)


@dataclass(frozen=True)
class CappedLine:
    """kfault.suite_ms: the suite's points took its time in this boot; from
    op's point nth on it was not swept."""

    suite: str
    ms: int
    op: str
    nth: int


@dataclass(frozen=True)
class UnusableLine(At):
    """The point op:nth left the kernel unusable (why: "wrote", a memory-safety
    report of a write; "left", drivers or devices on the KUnit bus that kfault
    could not take off again); its result is printed, and the kernel panics
    next."""

    why: str


@dataclass(frozen=True)
class MessageLine:
    text: str


Record = Union[TargetLine, TryLine, RanLine, DoneLine, ThreadLine, LeftLine, CountLine, PointLine,
               ResultLine, VerdictCountLine, StatsLine, KmemleakLine, LeakHeadLine, SuiteLine,
               CappedLine, UnusableLine, MessageLine]


def fields(text: str) -> dict[str, str]:
    """key=value pairs; [bracketed] values may hold spaces."""
    return {k: v[1:-1] if v.startswith("[") else v for k, v in _FIELD.findall(text)}


def _int(value: str) -> int:
    return int(value, 16) if value.startswith("0x") else int(value)


def _file_line(value: str) -> tuple[str | None, int]:
    path, _, num = value.rpartition(":")
    if path in ("", "-") or not num.isdigit() or not int(num):
        return None, 0
    return path, int(num)


def _verdict(value: str) -> Verdict:
    try:
        return Verdict(value)
    except ValueError:
        raise ValueError(f"unknown verdict {value!r}") from None


def _target(f: dict[str, str]) -> TargetLine:
    start, _, end = f["text"].partition("-")
    return TargetLine(f["name"], f["prefix"], f["srcdir"], _int(start), _int(end),
                      int(f["tags"]))


def _try(f: dict[str, str]) -> TryLine:
    if "fill" in f:
        return TryLine(f["op"], 1, int(f["fill"]), f.get("target", "-"))
    return TryLine(f["op"], int(f["nth"]), 0, id=f.get("id", ""))


def _ran(f: dict[str, str]) -> RanLine:
    fill = int(f.get("fill", "0"))
    return RanLine(f["op"], int(f.get("nth", "1")), fill, _verdict(f["verdict"]),
                   int(f["nesting"]), f["site"], f["id"], int(f.get("events", "-1")))


def _point(f: dict[str, str]) -> PointLine:
    file, line = _file_line(f.get("file", "-:0"))
    return PointLine(f["op"], int(f["nth"]), int(f.get("fill", "0")), f["attr"],
                     f["allocator"], f["inner"], f["site"], file, line, _int(f["addr"]), f["id"])


def _result(f: dict[str, str]) -> ResultLine:
    file, line = _file_line(f.get("file", "-:0"))
    return ResultLine(
        op=f["op"], nth=int(f["nth"]), fill=int(f.get("fill", "0")), attr=f.get("attr", "-"),
        allocator=f.get("allocator", "-"), inner=f.get("inner", "-"), site=f.get("site", "-"),
        file=file, line=line, addr=_int(f.get("addr", "0")), id=f.get("id", ""),
        verdict=_verdict(f["verdict"]), ret=int(f.get("ret", "0")), us=int(f.get("us", "0")),
        leaked=tuple(x for x in map(parse_leaked, f.get("leaked", "").split(",")) if x),
        report=f.get("report", ""), report_site=f.get("report_site", "-"),
        report_addr=_int(f.get("report_addr", "0")), detail=f.get("detail", ""),
        reports=int(f.get("reports", "0").rstrip("+")),
        flooded=f.get("reports", "").endswith("+"),
        printed=int(f.get("console", "-1").rstrip("+")),
        muted=f.get("console", "").endswith("+"))


def _capped(f: dict[str, str]) -> CappedLine:
    op, _, nth = f["at"].rpartition(":")
    if not op:
        raise ValueError(f"capped at {f['at']!r}: want OP:NTH")
    return CappedLine(f["suite"], int(f["ms"]), op, int(nth))


def _kmemleak(f: dict[str, str]) -> KmemleakLine:
    return KmemleakLine(f["target"], f["canary"] == "found", int(f["target_leaks"]),
                        int(f["kernel_leaks"]))


_KEYED: tuple[tuple[str, Callable[[dict[str, str]], "Record"]], ...] = (
    ("target ", _target), ("try ", _try), ("ran ", _ran),
    ("count ", lambda f: CountLine(f["op"], int(f["points"]), int(f["bookkeeping"]))),
    ("point ", _point), ("op=", _result),
    ("done ", lambda f: DoneLine(f["op"], int(f["nth"]))),
    ("thread ", lambda f: ThreadLine(f["op"], int(f["nth"]), int(f["pid"]))),
    ("left ", lambda f: LeftLine(f["op"], int(f["nth"]), int(f["drivers"]), int(f["devices"]),
                                 int(f.get("removed_drivers", "0")),
                                 int(f.get("removed_devices", "0")))),
    ("suite ", lambda f: SuiteLine(f["name"], f["excluded"] == "1", int(f.get("cases", "-1")))),
    ("capped ", _capped),
    ("unusable ", lambda f: UnusableLine(f["op"], int(f["nth"]), f["why"])),
    ("kmemleak confirmation: ", _kmemleak))


def parse_line(line: str) -> Record | None:
    """The record of one console line, None if it has no "kfault: " part.  A kfault
    line cut short (a crash, a kill) is a MessageLine, never an exception."""
    pos = line.find("kfault: ")
    if pos < 0:
        return None
    text = line[pos + len("kfault: "):].strip()
    try:
        for head, parse in _KEYED:
            if text.startswith(head):
                return parse(fields(text))
        m = _STATS.match(text)
        if m:
            return StatsLine(*(int(g) for g in m.groups() if g is not None))
        m = _VERDICT_COUNT.match(text)
        if m:
            return VerdictCountLine(_verdict(m.group(1)), int(m.group(2)))
        m = _LEAK.match(text)
        if m:
            return LeakHeadLine(m.group(1) == "kernel", m.group(2), int(m.group(3)),
                                tuple(f for f in (m.group(4) or "").split(",") if f))
    except (KeyError, ValueError):
        pass
    return MessageLine(text)


def parse(lines: Iterable[str]) -> list[tuple[int, Record]]:
    """(line index, record) of every kfault line."""
    out = []
    for num, line in enumerate(lines):
        rec = parse_line(line)
        if rec is not None:
            out.append((num, rec))
    return out
