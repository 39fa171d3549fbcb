"""'make bench': our suite sweep against the way a user would do it without
us, on the same fault points, and what sharding and rebuilding cost; the
figures go to docs/BENCHMARKS.md.

- **kfault**: the sweep of SUITE= on a kernel built before, fresh, timed
  from the first boot to the report (median of --runs).
- **one boot per point**: the obvious way without the engine: each fault
  point in a fresh boot of its own (kfault.only=CASE, kfault.resume=CASE:N-1
  arms just that allocation), ending with the kmemleak scan that waits out
  kmemleak's 5 s object age.  Booting every point would take hours, so
  --sample points spread over the sweep are booted and the median is
  multiplied by the sweep's points: the projection is said to be one.
- **2 shards**: the sweep in two shards at once, each booting the built
  kernel from a view of its own (as make nightly's pytest-xdist workers do;
  here two threads, each driving its UML process).
- **rebuild**: the kernel rebuilt after touching one driver file.
"""
from __future__ import annotations

import dataclasses
import os
import statistics
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import HarnessError
from . import sweep
from .context import Context, Outcome, Shard, boot_once, boot_view, sweep_suite


@dataclass(frozen=True)
class Timed:
    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def __str__(self) -> str:
        return f"{self.median:.1f} s (median of {', '.join(f'{s:.1f}' for s in self.seconds)})"


@dataclass(frozen=True)
class Bench:
    suite: str
    points: int                 # fault points and baselines of one sweep
    boots: int                  # boots one sweep took
    ours: Timed
    per_point: Timed            # one boot per point, the sampled points
    sampled: tuple[str, ...]    # "case:nth" of each
    sharded: Timed              # 2 shards at once
    rebuild: Timed | None
    machine: str

    @property
    def projected(self) -> float:
        return self.per_point.median * self.points

    @property
    def ratio(self) -> float:
        return self.projected / self.ours.median if self.ours.median else 0.0


def machine() -> str:
    """This machine in a line: CPU model, cores, memory (from /proc)."""
    model, mem = "unknown CPU", 0
    try:
        model = next((ln.split(":", 1)[1].strip() for ln in
                      Path("/proc/cpuinfo").read_text().splitlines()
                      if ln.startswith("model name")), model)
        mem = next((int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                    if ln.startswith("MemTotal:")), 0)
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {mem / (1 << 20):.0f} GiB"


def sample(items: list[str], count: int) -> list[str]:
    """count items spread evenly over items, first and last included (pure)."""
    if count >= len(items):
        return list(items)
    if count == 1:
        return items[:1]
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def _timed_sweep(ctx: Context, view: Path) -> tuple[float, Outcome]:
    start = time.monotonic()
    done = sweep.sweep(boot_view(ctx, view), fresh=True, max_boots=50)
    return time.monotonic() - start, done


def _sharded(ctx: Context, count: int) -> float:
    """count shards of ctx's sweep at once; the wall time until the last ended."""
    assert ctx.suites is not None
    failed: list[str] = []

    def one(index: int) -> None:
        shard = dataclasses.replace(ctx, suites=dataclasses.replace(
            ctx.suites, shard=Shard(index, count))) if ctx.suites else ctx
        try:
            sweep.sweep(boot_view(shard, ctx.out / "views" / f"bench-{index}-of-{count}"),
                        fresh=True, max_boots=50)
        except HarnessError as err:
            failed.append(str(err))

    start = time.monotonic()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise HarnessError(f"bench: a shard failed: {failed[0]}")
    return time.monotonic() - start


def _one_point(ctx: Context, out: Path, case: str, nth: int) -> float:
    args = [f"kfault.only={case}"] + ([f"kfault.resume={case}:{nth - 1}"] if nth > 1 else [])
    start = time.monotonic()
    boot_once(ctx, sweep_suite(ctx), out, f"point-{case}-{nth}", first=False, kernel_args=args)
    return time.monotonic() - start


def rebuild(ctx: Context, touch: Path, runs: int) -> Timed:
    """The kernel rebuilt after touching one file of the driver, runs times."""
    times = []
    for _ in range(runs):
        touch.touch()
        start = time.monotonic()
        sweep.build(ctx)
        times.append(time.monotonic() - start)
    return Timed(tuple(times))


def bench(ctx: Context, runs: int, points: int, touch: Path | None) -> tuple[Bench, Outcome]:
    if ctx.suites is None:
        raise HarnessError("bench: name the suites to sweep with SUITE=")
    if runs < 1 or points < 1:
        raise HarnessError(f"bench: --runs {runs} --sample {points}: want 1 or more of each")
    sweep.build(ctx)
    out = ctx.out / "bench"
    out.mkdir(parents=True, exist_ok=True)
    ours, last = [], Outcome(0)
    for _ in range(runs):
        took, last = _timed_sweep(ctx, ctx.out / "views" / "bench")
        ours.append(took)
        print(f"bench: kfault swept {ctx.suites.glob} in {took:.1f} s", flush=True)
    if last.log is None:
        raise HarnessError("bench: the sweep left no run to sample")
    keys = [f"{r.op}:{r.line.nth}" for r in last.log.results]
    picked = sample(keys, points)
    per = []
    for key in picked:
        case, _, nth = key.rpartition(":")
        per.append(_one_point(ctx, out, case, int(nth)))
        print(f"bench: one boot for {key}: {per[-1]:.1f} s", flush=True)
    sharded = [_sharded(ctx, 2) for _ in range(runs)]
    print(f"bench: 2 shards at once: {', '.join(f'{s:.1f}' for s in sharded)} s", flush=True)
    built = rebuild(ctx, touch, runs) if touch is not None else None
    boots = len({r.boot for r in last.log.results})
    result = Bench(ctx.suites.glob, len(keys), boots, Timed(tuple(ours)), Timed(tuple(per)),
                   tuple(picked), Timed(tuple(sharded)), built, machine())
    return result, last


def markdown(b: Bench, when: datetime, kernel: str) -> str:
    """BENCHMARKS.md (pure)."""
    per100 = 100 * b.boots / b.points if b.points else 0
    out = [
        "# Benchmarks", "",
        f"Written by `make bench SUITE='{b.suite}'` on {when:%Y-%m-%d %H:%M} UTC, "
        f"kernel {kernel}, ARCH=um; {b.machine}. Medians of the runs named.", "",
        "## The sweep against one boot per fault point", "",
        f"The same {b.points} fault points and baselines of `{b.suite}`:", "",
        "| | time | points/s |", "|---|---:|---:|",
        f"| kfault (one sweep, {b.boots} boot(s)) | {b.ours} | "
        f"{b.points / b.ours.median:.1f} |",
        f"| one boot per point, kmemleak scan after its 5 s age: **projected** from "
        f"{len(b.sampled)} sampled points ({b.per_point.median:.1f} s each) | "
        f"{b.projected:.0f} s | {b.points / b.projected:.2f} |", "",
        f"**Ratio: {b.ratio:.0f}x.** Boots per 100 points: {per100:.1f} (kfault) against "
        "100 (one boot per point).", "",
        f"Sampled points (each booted alone): {', '.join(f'`{k}`' for k in b.sampled)}; "
        f"their boot times: {b.per_point}.", "",
        "## Shards", "",
        f"Two shards at once, each booting the built kernel from a view of its own: "
        f"{b.sharded}; one: {b.ours}. Speed-up: "
        f"{b.ours.median / b.sharded.median:.2f}x on {os.cpu_count()} cores.", "",
    ]
    if b.rebuild is not None:
        out += ["## Rebuild", "", f"The kernel rebuilt after touching one driver file: "
                f"{b.rebuild}.", ""]
    out += ["The nightly's points/s and boots per 100 points: docs/nightly.md.", ""]
    return "\n".join(out)


def write(b: Bench, repo: Path, kernel: str) -> Path:
    """docs/BENCHMARKS.md (the top level holds only the project's folders)."""
    path = repo / "docs" / "BENCHMARKS.md"
    path.write_text(markdown(b, datetime.now(timezone.utc), kernel))
    return path
