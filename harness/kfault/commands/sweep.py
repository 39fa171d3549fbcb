"""'make sweep': the target's fault suite across as many boots as crashes need.

Every finished point is appended to results.jsonl; a boot that crashes
or hangs at a point gets a crash/hang record for it and the next boot
resumes right after (kfault.resume=OP:KEY).  A run killed with kill -9 is
picked up by the next one: the boot it left is stopped, what that boot
finished is kept.
"""
from __future__ import annotations

import dataclasses
import shutil
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from datetime import datetime, timezone
from pathlib import Path

from ..console import kmemleak, oops
from ..checkout import known_bugs
from ..checkout.known_bugs import KernelBug
from ..checkout.policy import NONE as NO_POLICY, Policy
from ..results import baseline, known, model, reports_io
from ..results.render import SUITE_STATUSES
from ..engine import resume
from ..proc.runner import EXIT_FLOOD, EXIT_IDLE, KunitRequest, flood_said, idle_said
from ..errors import HarnessError
from ..console.kmemleak import Leak
from ..console.protocol import TryLine, Verdict, point_key
from ..engine.boots import Ended, boot_until_done
from ..engine.resume import Record
from ..engine.state import SweepDir
from .context import (EXIT_FINDING, EXIT_INCOMPLETE, Context, Outcome, Shard, Suites,
                      analyse, build_id, lost_points, prepare, request, sweep_suite,
                      write_reports)


class NoCases(HarnessError):
    """The suites a sweep names have no case in this kernel: nothing was looked
    at (a suite compiled out by its own #if, or not built in)."""


def _append(path: Path, records: list[Record]) -> None:
    with path.open("a") as out:
        for rec in records:
            out.write(rec.json() + "\n")


def _pick_up_killed(ctx: Context, out: Path, state: SweepDir, boot: int) -> list[Record]:
    """The last run was killed during a boot: stop what it left, keep what it finished."""
    test_log = ctx.boot.test_log
    if state.running() is None or not test_log.is_file():
        return []
    was, stopped = state.pick_up(ctx.runner.stop_process, ctx.runner.stop_group)
    if stopped:
        time.sleep(1)
    killed_boot = was.boot if was and was.boot else boot
    lines = test_log.read_text(errors="replace").splitlines()
    partial = resume.points(model.build(lines, ctx.target.prefix), killed_boot)
    shutil.copyfile(test_log, out / f"boot-{killed_boot}.log")
    print(f"sweep: boot {killed_boot} was interrupted; kept its {len(partial)} finished points")
    return partial


def _crashed(ctx: Context, log: model.RunLog, symbols: model.Symbols, lines: list[str],
             at: TryLine, boot: int) -> Record:
    crash = log.crash
    assert crash is not None
    place = symbols.place(crash.addr)
    if ctx.suites is not None and ctx.suites.files:
        # any suite: blame the first frame of the trace in the suite's own file
        frames = oops.trace_after(lines, crash)
        chains = ctx.runner.addr2line(ctx.boot.vmlinux, [a - 1 for _, a in frames])
        for fn, addr in frames:
            hit = model.call_site(list(chains.get(addr - 1, [])), set(ctx.suites.files))
            if hit:
                place = hit
                crash = dataclasses.replace(crash, frame=fn, addr=addr)
                break
    return resume.crash_record(crash, at, place, boot, resume.excerpt(lines, crash))


def print_suites(who: str, doc: dict[str, Any], suites: Suites | None) -> None:
    """The suite sweep's suites by status, as report.json counts them, and those
    the kernel has whose name no source defines (SUITE=NAME cannot find them)."""
    counts = Counter(x["status"] for x in doc.get("suites", []))
    if counts:
        print(f"{who}: suites: " + ", ".join(f"{counts[k]} {k}" for k in SUITE_STATUSES
                                             if counts[k]), flush=True)
    unnamed = sorted(x["name"] for x in doc.get("suites", [])
                     if suites is not None and x["name"] not in suites.named)
    if unnamed:
        print(f"{who}: {len(unnamed)} suite(s) of the kernel defined by no source's "
              f".name (SUITE= cannot name them): {', '.join(unnamed[:20])}", flush=True)


def build(ctx: Context) -> Outcome:
    """Build a suite sweep's kernel and boot nothing: what parallel shards boot
    from views of their own (--prebuilt)."""
    prepare(ctx)
    req = dataclasses.replace(request(ctx, sweep_suite(ctx)), command="build")
    code = ctx.runner.run_kunit(req)
    if code:
        raise HarnessError(f"the kernel did not build in {req.build_dir} (kunit.py exit {code})")
    print(f"kfault: built {req.build_dir / 'linux'}", flush=True)
    return Outcome(0)


def sweep(ctx: Context, fresh: bool, max_boots: int) -> Outcome:
    suite = sweep_suite(ctx)
    bid = prepare(ctx)
    shard = ctx.suites.shard if ctx.suites else None
    out = ctx.out / (shard.dir_name if shard else "sweep")
    state = SweepDir(out)
    if not fresh and state.stale(bid.content):
        print(f"kfault: the results in {out} came from another kernel (build "
              f"{(state.built_from() or 'unknown')[:12]}, now {bid.short}): starting a fresh "
              f"sweep", flush=True)
        fresh = True
    state.open(fresh)
    state.write_stamp(bid.content)
    started = state.started
    jsonl = out / "results.jsonl"
    records = resume.load(jsonl.read_text()) if jsonl.is_file() else []
    boot = max((r.boot for r in records), default=0) + 1
    interrupted = state.running() is not None
    partial = _pick_up_killed(ctx, out, state, boot)
    if partial or interrupted:
        _append(jsonl, partial)
        records += partial
        boot = max(boot, max((r.boot for r in partial), default=0) + 1)
    state.clear_running()
    if records and records[-1].kind == "complete":
        print(f"sweep: already complete in {jsonl} (--fresh to sweep again)")
    else:
        records = _boots(ctx, suite, out, jsonl, state, records, boot, max_boots)
    finished = datetime.fromtimestamp(jsonl.stat().st_mtime, timezone.utc) \
        if jsonl.is_file() else None
    merged, symbols = union(ctx, out, records)
    complete = bool(records) and records[-1].kind == "complete"
    not_swept = None if complete else (
        f"stopped at the cap of {max_boots} boots; what is after "
        f"{resume.resume_point(records)} was not swept")
    if not complete and ctx.suites is not None:
        merged.capped += stopped_in(records, max_boots)
    why = known_findings(merged, ctx.target.known)
    alone = _alone(ctx, suite, out, records, [op for op in failing_baselines(records)
                                              if (op, "0") not in why]) if ctx.suites else {}
    for op, said in alone.items():
        print(f"sweep: {op}: its baseline failed in the sweep; {said}")
    doc = write_reports(ctx, merged, symbols, out / "report", started, finished=finished,
                        not_swept=not_swept, baselines_alone=alone)
    bugs = {b.id: b for b in known_bugs.load_bugs(ctx.checkout.config_dir)}
    for bug_id, count in known.kernel_leaks(merged.leaks, tuple(bugs.values()))[0].items():
        print(f"kfault: KNOWN kmemleak: {count} object(s) of known kernel bug {bug_id}: "
              f"{bugs[bug_id].title}; {bugs[bug_id].fixed}")
    unreached = [r for r in records if _unreached(r)]
    failing = [r for r in records if _baseline_failed(r)]
    bad = _findings(records, why)
    for r in records:
        if not r.ok and (r.op, r.point) in why:
            print(f"kfault: KNOWN {r.op} {r.point}: {r.verdict}: {why[r.op, r.point]}")
    for r in bad:
        print(f"kfault: FAIL {r.op or r.kind} {r.point}: {r.verdict} {r.site} "
              f"{r.detail.splitlines()[0] if r.detail else ''}".rstrip())
    caught = sum(r.kind == "point" and r.verdict == Verdict.CRASH for r in records)
    died = sum(r.kind in ("crash", "halt") for r in records)
    # a case's baseline (point 0) is a point of the run, not a failed allocation:
    # the report's "N fault points" counts the latter, so say both
    baselines = sum(r.kind == "point" and r.point == "0" for r in records)
    print(f"sweep: {sum(r.kind == 'point' for r in records) - baselines} points and "
          f"{baselines} baselines, "
          f"{caught + died} crashes ({caught} caught in the boot, {died} took the boot down), "
          f"{len(bad)} findings, {len(unreached)} not reached"
          f"{f', {len(failing)} case(s) failing with nothing injected' if failing else ''}"
          f"{f', {len(why)} known' if why else ''}; "
          f"results in {jsonl}, reports in {out}/report/")
    print_suites("sweep", doc, ctx.suites)
    if complete and ctx.suites is not None and not any(r.kind in ("point", "crash")
                                                       for r in records):
        # the sources have the suite, this kernel does not: nothing was looked at
        raise NoCases(f"SUITE='{ctx.suites.glob}': no case of it ran in this kernel "
                      "(not built in: KUNITCONFIG= adds its kunitconfig)")
    if not_swept:
        print(f"sweep: INCOMPLETE: {not_swept}", flush=True)
    code = EXIT_FINDING if bad else EXIT_INCOMPLETE if not_swept else 0
    return Outcome(code, merged, doc, out / "report", complete)


@dataclasses.dataclass(frozen=True)
class Difference:
    """A result one of two sweeps has and the other has not."""

    side: str           # "first" or "second"
    op: str
    id: str
    verdict: str

    def __str__(self) -> str:
        return f"only in the {self.side}: {self.op} {self.id} {self.verdict}"


def same_results(a: list[Record], b: list[Record]) -> list[Difference]:
    """Where two sweeps' records differ on (case, point id, verdict); [] when
    every result of one is a result of the other, as often."""
    def keyed(records: list[Record]) -> Counter[tuple[str, str, str]]:
        return Counter((r.op, r.id, r.verdict) for r in records if r.kind == "point")
    left, right = keyed(a), keyed(b)
    return ([Difference("first", *k) for k in sorted((left - right).elements())]
            + [Difference("second", *k) for k in sorted((right - left).elements())])


def merge(ctx: Context, count: int, against: Path | None = None,
          previous: Path | None = None) -> Outcome:
    """The count shards of a suite sweep (SHARD=I/N, each in its own directory)
    as one run: their consoles parsed as each shard's sweep parses them, one
    report in sweep-merged-of-N/report/, and results.jsonl the shards' records
    one after the other (a record's boot is its shard's)."""
    if ctx.suites is None:
        raise HarnessError("merge: SUITE= names the sweep whose shards to merge")
    if count < 1:
        raise HarnessError(f"merge: SHARDS={count}: want a number of shards, 1 or more")
    dirs = [ctx.out / Shard(i, count).dir_name for i in range(count)]
    built = build_id(ctx).content
    for i, d in enumerate(dirs):
        again = f"make sweep SUITE='{ctx.suites.glob}' SHARD={i}/{count}"
        if not (d / "results.jsonl").is_file():
            raise HarnessError(f"merge: {d}/results.jsonl: no such file (sweep that shard "
                               f"first: {again})")
        if SweepDir(d).stale(built):
            raise HarnessError(f"merge: {d} holds the results of another kernel build "
                               f"(sweep that shard again: {again} SWEEP_ARGS=--fresh)")
    logs: list[model.RunLog] = []
    chains: dict[int, list[tuple[str, str]]] = {}
    records: list[Record] = []
    left: list[str] = []
    offset = 0
    for d in dirs:
        recs = resume.load((d / "results.jsonl").read_text())
        if not recs or recs[-1].kind != "complete":
            left.append(f"{d.name} did not sweep to its end")
        log, symbols = union(ctx, d, recs)
        # the shards' boots one after the other, as their records are
        log.results = [dataclasses.replace(r, boot=r.boot + offset) for r in log.results]
        offset = max((r.boot for r in log.results), default=offset)
        logs.append(log)
        chains.update(symbols.chains)
        records += recs
    out = ctx.out / f"sweep-merged-of-{count}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.jsonl").write_text("".join(r.json() + "\n" for r in records))
    merged = model.merge(logs, renumber=False)
    not_swept = "; ".join(left) or None
    before = reports_io.load_baseline(previous) if previous is not None else None
    doc = write_reports(ctx, merged, model.Symbols(chains, ctx.files), out / "report",
                        min(SweepDir(d).started for d in dirs), baseline=previous,
                        not_swept=not_swept)
    bad = _findings(records, known_findings(merged, ctx.target.known))
    print(f"merge: {count} shards, {sum(r.kind == 'point' for r in records)} points, "
          f"{len(bad)} findings; results in {out}/results.jsonl, reports in {out}/report/")
    print_suites("merge", doc, ctx.suites)
    if before is not None:
        cmp = baseline.compare(doc, before)
        print(f"merge: against {previous}: {len(cmp.new)} new, {len(cmp.fixed)} fixed, "
              f"{len(cmp.unchanged)} unchanged findings, {len(cmp.unseen)} where it did not "
              f"look (its baseline failed); {len(cmp.appeared)} results "
              f"appeared, {len(cmp.disappeared)} gone, {len(cmp.unswept)} not compared "
              f"(a suite one side did not sweep to its end) (by stable id; "
              f"{out}/report/baseline.md)", flush=True)
    if not_swept:
        print(f"merge: INCOMPLETE: {not_swept}", flush=True)
    if against is not None:
        if not (against / "results.jsonl").is_file():
            raise HarnessError(f"merge: {against}/results.jsonl: no such file")
        other = resume.load((against / "results.jsonl").read_text())
        diff = same_results(records, other)
        for line in diff[:20]:
            print(f"merge: {line}")
        # a case whose baseline failed on state earlier cases left can differ:
        # in a shard those cases may not run before it
        broken = {r.op for r in (*records, *other) if _broken_baseline(r)}
        cases = sorted({d.op for d in diff})
        for op in cases:
            print(f"merge: {op} differs" + (": its baseline failed in one of the sweeps "
                                            "(state left behind by earlier cases, which a "
                                            "shard may not run before it)" if op in broken
                                            else ""))
        if diff:
            raise HarnessError(f"merge: the {count} shards differ from {against} at "
                               f"{len(diff)} result(s) of {len(cases)} case(s)")
        print(f"merge: equals {against} on every (case, point id, verdict)", flush=True)
    return Outcome(EXIT_FINDING if bad else EXIT_INCOMPLETE if not_swept else 0,
                   merged, doc, out / "report", not not_swept)


def known_findings(log: model.RunLog, found: tuple[known_bugs.Known, ...]
                   ) -> dict[tuple[str, str], str]:
    """(operation, point) -> why, for the failed points a known finding explains."""
    out = {}
    for res in log.results:
        hit = None if res.line.verdict.ok else known.match(found, res)
        if hit:
            out[res.op, res.line.key] = hit.why
    return out


def union(ctx: Context, out: Path, records: list[Record]
          ) -> tuple[model.RunLog, model.Symbols]:
    """Every boot's console as one run, each crash and hang a point of its own.  A
    point a boot printed but its records left out - swept again by a later boot
    after a gap in its console - is that later boot's only."""
    logs: list[model.RunLog] = []
    chains: dict[int, list[tuple[str, str]]] = {}
    kept = {(r.boot, r.op, r.point) for r in records if r.kind == "point"}
    last: dict[str, int] = {}           # the last boot that swept each operation
    for r in records:
        if r.kind == "point":
            last[r.op] = max(last.get(r.op, 0), r.boot)
    boots: list[int] = []
    for path in sorted(out.glob("boot-*.log"), key=lambda p: int(p.stem.split("-")[1])):
        boot = int(path.stem.split("-")[1])
        boots.append(boot)
        log, symbols = analyse(ctx, path.read_text(errors="replace").splitlines())
        log.results = [r for r in log.results if (boot, r.op, r.line.key) in kept
                       or last.get(r.op, 0) <= boot]
        logs.append(log)
        chains.update(symbols.chains)
    merged = model.merge(logs)
    # a boot that crashed after all its points: the run's crash (report.crash)
    halted = {r.boot for r in records if r.kind == "halt"}
    merged.crash = next((log.crash for boot, log in zip(boots, logs) if boot in halted), None)
    suite = ctx.target.sweep_suite or "-"
    merged.results += [resume.as_result(r, ctx.target.name, suite) for r in records
                       if r.kind == "crash"]
    merged.capped += [model.SuiteCap(r.op, "", r.detail) for r in records if r.kind == "capped"]
    return merged, model.Symbols(chains, ctx.files)


def stopped_in(records: list[Record], max_boots: int) -> list[model.SuiteCap]:
    """The suite a suite sweep stopped in at its boot cap, as capped: the rest
    of it was not swept, and the suites table must not call it swept (the
    reports alone say so: the results keep no record of it, so that a sweep
    resumed with more boots goes on in it)."""
    at = resume.resume_point(records)
    if at is None:
        return []
    name = at.split(":")[0].split(".")[0]
    if any(r.kind == "capped" and r.op == name for r in records):
        return []
    return [model.SuiteCap(name, "", f"the sweep stopped at its cap of {max_boots} boots "
                           f"in it; what is after {at} was not swept")]


def _unreached(r: Record) -> bool:
    """A point whose allocation did not come: nothing was looked at."""
    return r.kind == "point" and Verdict(r.verdict).unreached


def _baseline_failed(r: Record) -> bool:
    """Point 0 of a suite case that fails its own expectations with nothing
    injected: ok as a verdict, but its points looked at nothing."""
    return r.kind == "point" and r.point == "0" and r.ok and not Verdict(r.verdict).baseline_ok


def _broken_baseline(r: Record) -> bool:
    """Point 0 of a case, nothing injected, failed: test-failed, a finding, or
    the boot died there."""
    return r.point == "0" and r.kind in ("point", "crash") and (
        not r.ok or _baseline_failed(r))


def _findings(records: list[Record], why: dict[tuple[str, str], str]) -> list[Record]:
    """The records that are findings: failed, or a failed suite baseline; not a
    point not reached, nor a known finding (why)."""
    return [r for r in records if (not r.ok or _baseline_failed(r)) and not _unreached(r)
            and (r.op, r.point) not in why]


MAX_ALONE = 8           # fresh boots spent telling a failing baseline's cause


def failing_baselines(records: list[Record]) -> list[str]:
    """The suite cases whose baseline broke (a known finding's case is left out
    by the caller: its cause is known)."""
    return list(dict.fromkeys(r.op for r in records if _broken_baseline(r)))[:MAX_ALONE]


@dataclasses.dataclass(frozen=True)
class FreshBaseline:
    """A case's baseline in a fresh boot: its verdict (None: no result), and
    whether the boot crashed."""

    verdict: Verdict | None
    crashed: bool

    @property
    def broke(self) -> bool:
        return self.crashed or self.verdict is None or not self.verdict.baseline_ok


# A boot that asks only for a baseline's verdict leaves out KUnit's slow cases:
# kfault_suites' kmemleak confirmation (kunit/kfault/suites.c, KUNIT_CASE_SLOW)
# waits out kmemleak's 5 s age, 5 of a blame boot's 6 s, and says nothing of
# the baseline.
NO_SLOW_CASES = "kunit.filter=speed>slow"


def _baseline_in(ctx: Context, suite: str, op: str, console: Path,
                 kernel_args: list[str]) -> FreshBaseline | None:
    """op's baseline in one fresh boot with kernel_args; None when the boot wrote
    no console."""
    _, lines = _boot_once(ctx, request(ctx, suite, first=False,
                                       kernel_args=kernel_args + [NO_SLOW_CASES]),
                          console)
    if lines is None:
        return None
    log, _ = analyse(ctx, lines)
    return FreshBaseline(next((r.line.verdict for r in log.results
                               if r.op == op and not r.line.nth), None),
                         log.crash is not None)


def preceding(records: list[Record], op: str) -> list[Record]:
    """The points the sweep ran before op's baseline in the boot that ran it, in
    order.  A point of an earlier boot left nothing behind in it: the boot
    started afresh after it (and replaying one that took its boot down - a
    crash, a hang - would end the slice before op, or wait out the hang)."""
    before: list[Record] = []
    for r in records:
        if r.kind not in ("point", "crash"):
            continue
        if r.op == op and r.point == "0":
            return [b for b in before if b.boot == r.boot]
        before.append(r)
    return before


def last_left(before: list[Record]) -> int | None:
    """The index of the last point in before that the check after each point saw
    leave drivers or devices on the KUnit bus, or None."""
    left = [i for i, r in enumerate(before) if r.left_drivers or r.left_devices]
    return left[-1] if left else None


def bisect(count: int, breaks: Callable[[int], bool | None]) -> tuple[int | None, int]:
    """The index lo in [0, count) with breaks(lo) and not breaks(lo + 1), asking
    breaks(i) only for 0 < i < count (starting at 0 breaks, at count does not);
    with how many times it asked.  None when an answer was None (no boot)."""
    lo, hi, asked = 0, count, 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        asked += 1
        got = breaks(mid)
        if got is None:
            return None, asked
        lo, hi = (mid, hi) if got else (lo, mid)
    return lo, asked


def _blame(ctx: Context, suite: str, out: Path, records: list[Record], op: str,
           num: int) -> str:
    """The point whose slice of the sweep still breaks op's baseline.

    Starting the sweep at the first point breaks it (the sweep did), starting
    at op does not (alone); each boot starts at a point between (kfault.resume=
    the one before it) and ends after op's baseline (kfault.until=op).  The
    point found left the state behind, alone or with what came after it.  The
    last point before op that the check after each point saw leave drivers or
    devices on the KUnit bus is tried first: two boots confirm it, where
    bisecting takes one per halving."""
    before = preceding(records, op)
    keys = [f"{r.op}:{r.point}" for r in before]
    if not keys:
        return "no point ran before it"

    answers: dict[int, bool | None] = {0: True, len(keys): False}  # the sweep; op alone

    def breaks(start: int) -> bool | None:
        # a slice the bus candidate booted is not booted again by the bisection
        if start not in answers:
            got = _baseline_in(ctx, suite, op, out / f"blame-{num}-{start}.log",
                               [f"kfault.resume={keys[start - 1]}", f"kfault.until={op}"])
            answers[start] = None if got is None else got.broke
        return answers[start]

    left = last_left(before)
    if left is not None and breaks(left) and breaks(left + 1) is False:
        r = before[left]
        return (f"blamed on {keys[left]}: it left {r.left_drivers} driver(s) and "
                f"{r.left_devices} device(s) registered on the kunit bus, a sweep started there "
                f"breaks it, one started at the next point does not ({len(answers) - 2} boots, "
                f"{out}/blame-{num}-*.log)")
    at, _ = bisect(len(keys), breaks)
    if at is None:
        return f"bisecting it stopped: a boot did not start ({out}/blame-{num}-*.kunit.txt)"
    return (f"blamed on {keys[at]}: a sweep started there breaks it, one started at "
            f"the next point does not ({len(answers) - 2} boots, {out}/blame-{num}-*.log)")


def _alone(ctx: Context, suite: str, out: Path, records: list[Record],
           ops: list[str]) -> dict[str, str]:
    """Each failing baseline run again alone in a fresh boot (kfault.only=OP runs
    point 0 of that case only): failing there too is the suite's or the
    configuration's; passing there, it failed because of what earlier cases left,
    and bisecting over slices of the sweep names the point that left it."""
    said: dict[str, str] = {}
    for i, op in enumerate(ops, 1):
        console = out / f"alone-{i}.log"
        got = _baseline_in(ctx, suite, op, console, [f"kfault.only={op}"])
        if got is None:
            said[op] = f"alone in a fresh boot it did not boot (see {out}/alone-{i}.kunit.txt)"
            continue
        base = got.verdict
        if got.crashed or base is None:
            said[op] = (f"alone in a fresh boot it "
                        f"{'crashes' if got.crashed else 'has no result'}"
                        f" too: the suite or the configuration ({console})")
        elif not got.broke:
            said[op] = (f"alone in a fresh boot it is {base}: it fails only after earlier "
                        f"cases, on state they left behind ({console}); "
                        + _blame(ctx, suite, out, records, op, i))
        else:
            said[op] = (f"alone in a fresh boot it is {base} too: the suite or the "
                        f"configuration ({console})")
    return said


def _boot_once(ctx: Context, req: KunitRequest, console: Path,
               on_start: Callable[[int], None] | None = None) -> tuple[int, list[str] | None]:
    """One boot: kunit.py's exit code, and its console kept at console
    (kunit.py's own output beside it, NAME.kunit.txt), or None when the boot
    wrote none."""
    test_log = ctx.boot.test_log
    test_log.unlink(missing_ok=True)
    code = ctx.runner.run_kunit(req, output=console.with_suffix(".kunit.txt"),
                                on_start=on_start)
    if not test_log.is_file():
        return code, None
    shutil.copyfile(test_log, console)
    return code, console.read_text(errors="replace").splitlines()


SKIP_CASE = 400         # KFAULT_MAX_NTH: suites.c skips a case resumed there


def skip_case(suites: Suites | None, started: TryLine) -> str | None:
    """Where to resume when a suite case's baseline (point 0, nothing failing)
    took the kernel down: after the whole case, not at its point 1."""
    if suites is not None and started.nth == 0 and not started.fill:
        return f"{started.op}:{SKIP_CASE}"
    return None


def unexplained_leaks(bugs: tuple[KernelBug, ...], log: model.RunLog, count: int) -> int:
    """The confirmation's leaks of the target that no known kernel bug explains
    (configs/known-bugs.toml): a suite's point may run into the kernel's own."""
    own = [leak for leak in log.leaks if not leak.kernel]
    if len(own) < count:
        return count            # not all printed: none can be explained away
    return len(_unexplained(bugs, own))


def _unexplained(bugs: tuple[KernelBug, ...], leaks: list[Leak]) -> list[Leak]:
    return [leak for leak in leaks if not any(b.matches_leak(leak) for b in bugs)]


def crash_leftovers(bugs: tuple[KernelBug, ...], log: model.RunLog) -> int:
    """The confirmation's leaks of the target that a crashed point left: the
    fault cut its operation short (kunit/kfault/guard.c caught it and the
    boot went on), and the point's own record lists them as leaked; kmemleak
    finds them again, allocated in a function that record names."""
    left = {item.function for r in log.results if r.line.verdict == Verdict.CRASH
            for item in r.line.leaked}
    own = _unexplained(bugs, [x for x in log.leaks if not x.kernel])
    return sum(1 for x in own if x.callers() and x.callers()[0].function in left)


def leak_records(bugs: tuple[KernelBug, ...], log: model.RunLog, boot: int
                 ) -> tuple[list[Record], int]:
    """A kmemleak record for each point whose thread allocated a leak the
    confirmation found and no known kernel bug explains (a suite sweep prints
    each attempt's thread: kfault: thread), and how many leaks they hold."""
    own = [x for x in log.leaks if not x.kernel]
    by_point = kmemleak.by_thread(_unexplained(bugs, own), log.threads)
    records = []
    for (op, nth), leaks in by_point.items():
        chain = leaks[0].callers()
        records.append(Record(
            boot, "kmemleak", op, point_key(nth, 0), "leak",
            site=str(chain[0]) if chain else "-",
            detail=f"kmemleak: {len(leaks)} object(s) allocated by this point's thread "
                   f"(pid {leaks[0].pid}), {sum(x.size for x in leaks)} bytes; first: "
                   + " < ".join(f.function for f in chain[:6])))
    return records, sum(map(len, by_point.values()))


def _boots(ctx: Context, suite: str, out: Path, jsonl: Path, state: SweepDir,
           records: list[Record], first: int, max_boots: int) -> list[Record]:
    retried: list[str] = []

    def keep(more: list[Record]) -> None:
        _append(jsonl, more)
        records.extend(more)
        state.clear_running()

    policy = ctx.suites.policy if ctx.suites else NO_POLICY

    def capped() -> tuple[str, ...]:
        return tuple(r.op for r in records if r.kind == "capped")

    def one(boot: int, at: str | None) -> Ended:
        state.mark_starting(boot)
        req = request(ctx, suite, first=boot == first,
                      kernel_args=END_ON_DAMAGE + ([f"kfault.resume={at}"] if at else []),
                      capped=capped())

        def started_boot(pid: int) -> None:
            state.mark_running(boot, pid)

        console = out / f"boot-{boot}.log"
        code, got = _boot_once(ctx, req, console, on_start=started_boot)
        if got is None:
            raise HarnessError(f"boot {boot} did not start: see {out}/boot-{boot}.kunit.txt")
        lines = got
        log, symbols = analyse(ctx, lines)
        new = resume.points(log, boot)
        started = log.last_started()
        key = f"{started.op}:{started.key}" if started else None
        gap = resume.first_gap(log)
        if gap:
            lost = lost_points(log, console)
            # UML's console drops output when kunit.py's pipe is full (a flood
            # of KASAN reports): sweep from the gap again, once
            keep(resume.before_gap(new, *gap))
            again = f"{gap[0]}:{gap[1] - 1}"
            if retried and retried[-1] == again:
                return Ended(fatal=f"boot {boot}: {lost} (again)")
            retried.append(again)
            return Ended(resume=again, said=f"boot {boot}: {lost}; sweeping again from {again}")
        if not log.crash and not log.totals.total:
            if not started:
                keep(new)
                return Ended(fatal=f"boot {boot} stopped after the fault points of "
                             f"{oops.last_case(lines)}, with no panic: a hang, or --timeout "
                             f"{ctx.boot.timeout} is too short; see {console}")
            # no panic and no KTAP totals: the boot hung and kunit.py's timeout ended it
            kunit_out = out / f"boot-{boot}.kunit.txt"
            text = kunit_out.read_text(errors="replace") if kunit_out.is_file() else ""
            new.append(resume.hang_record(started, boot, ctx.boot.timeout, text,
                                          flood_said(text) if code == EXIT_FLOOD else "",
                                          idle_said(text) if code == EXIT_IDLE else ""))
            keep(new + _cap(policy, records + new, boot))
            nxt = skip_case(ctx.suites, started) or key
            return Ended(resume=nxt, said=f"boot {boot} ended at {nxt} ({new[-1].verdict}); "
                         "resuming after it",
                         stuck=f"boot {boot} hung again at {at}; see {console}")
        ended = log.unusable
        if log.crash and not started and ended is not None:
            # the kernel ended the boot after this point's result: the point
            # corrupted memory or left the bus changed, and no later point is
            # to run on it
            keep(new)
            after = f"{ended.op}:{ended.nth}"
            why = _DAMAGE.get(ended.why, f"it left the kernel unusable ({ended.why})")
            return Ended(resume=after, said=f"boot {boot} ended after {after}: {why}; "
                         "resuming after it in a fresh boot",
                         stuck=f"boot {boot} ended after {after} again; see {console}")
        if log.crash and not started and log.totals.total:
            # every point of the boot ran (KUnit printed its totals), then the
            # kernel died - at power-off, in device_shutdown() on a device an
            # earlier point left behind: a finding of the boot, not of a point
            new += _confirmation(ctx, log, boot)
            said = resume.excerpt(lines, log.crash, after=24)
            new.append(resume.halt_record(log.crash, boot, said))
            new.append(Record(boot, "complete"))
            keep(new)
            print(f"sweep: boot {boot}: every point ran, then the kernel crashed "
                  f"({log.crash.title}, {log.crash.frame}); see {console}", flush=True)
            return Ended(complete=True)
        if log.crash and (not started or key == at):
            keep(new)
            return Ended(fatal=f"boot {boot} crashed outside a fault point ({log.crash.title}); "
                         f"cannot resume past it: see {console}")
        if log.crash and started:
            new.append(_crashed(ctx, log, symbols, lines, started, boot))
            new += _cap(policy, records + new, boot)
        else:
            new += _confirmation(ctx, log, boot)
            new.append(Record(boot, "complete"))
        keep(new)
        bad = [r for r in records if not r.ok]
        print(f"sweep: boot {boot}: {len(new)} records; {len(records)} points so far, "
              f"{len(bad)} findings", flush=True)
        if not log.crash or not started:
            return Ended(complete=True)
        return Ended(resume=skip_case(ctx.suites, started) or key)

    boot_until_done(one, first, resume.resume_point(records), max_boots, "sweep")
    return records


# a point that reports a bad write, or leaves on the KUnit bus what kfault cannot
# take off again, ends its boot (guard.c): this engine resumes after it in a
# fresh one, so no later point runs on corrupted memory or a changed bus
END_ON_DAMAGE = ["kfault.end_on_damage=1"]

_DAMAGE = {
    "wrote": "it reported a write to memory it does not own, so later points would run "
             "on corrupted memory",
    "left": "it left on the KUnit bus what kfault could not take off again, so later "
            "points would run on it",
}


def _cap(policy: Policy, records: list[Record], boot: int) -> list[Record]:
    rec = resume.boot_cap(policy.suite_boots, records, boot)
    if rec:
        print(f"sweep: suite {rec.op} capped: {rec.detail}", flush=True)
    return [rec] if rec else []


def _confirmation(ctx: Context, log: model.RunLog, boot: int) -> list[Record]:
    """The kmemleak confirmation's records: a leak at each point whose thread
    made it, and one for the boot when the canary is missing or leaks of the
    target are left that no point's thread made."""
    if not ctx.target.kmemleak:
        return []
    k = log.kmemleak
    bugs = known_bugs.load_bugs(ctx.checkout.config_dir)
    placed, attributed = leak_records(bugs, log, boot)
    attributed += crash_leftovers(bugs, log)
    if k and k.canary_found and unexplained_leaks(bugs, log, k.target_leaks) <= attributed:
        return placed
    return placed + [Record(
        boot, "kmemleak", verdict="leak" if k else "report",
        detail=(f"kmemleak confirmation: canary {'found' if k.canary_found else 'MISSING'}, "
                f"{k.target_leaks} {k.target} leak(s), {attributed} of them placed at their "
                "points") if k else "no kmemleak confirmation in the log")]
