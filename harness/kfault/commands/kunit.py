"""One 'make kunit': build, boot the target's suites once, check, report."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from ..checkout import known_bugs
from ..results import coverage, known, reports_io, sites, summary
from ..console import kunit_results
from ..errors import HarnessError
from .context import (EXIT_COVERAGE, Context, Outcome, analyse, lost_points, prepare, request,
                      write_reports)


def known_failures_only(ctx: Context, lines: list[str]) -> int:
    """How many KUnit results failed, when every one is a known finding's point
    (kunit.py fails the run for any failed point; known findings do not);
    0 when none failed or one is not known."""
    failed = [(r.path, r.log) for r in kunit_results.results(ctx.boot.kdir, lines)
              if r.status not in ("SUCCESS", "SKIPPED")]
    return len(failed) if failed and not known.unexplained(failed, ctx.target.known) else 0


def run(ctx: Context, suites: str = "", baseline: Path | None = None,
        json: Path | None = None) -> Outcome:
    """json: kunit.py's own KernelCI JSON of the boot's KTAP results (--json)."""
    prepare(ctx)
    glob = suites or ctx.target.suites
    build_dir = ctx.boot.default_build()
    log_path = build_dir / "test.log"
    log_path.unlink(missing_ok=True)        # never summarise a stale log
    if baseline:
        reports_io.load_baseline(baseline)  # a bad baseline fails before the build
    started = datetime.now(timezone.utc)
    status = ctx.runner.run_kunit(request(
        ctx, glob, extra=[f"--json={json.absolute()}"] if json is not None else []))
    if not log_path.is_file():
        raise HarnessError("kunit.py did not boot a kernel: the config or the build failed "
                           "(its output above says why)", exit_code=status or 2)
    lines = log_path.read_text(errors="replace").splitlines()
    log, symbols = analyse(ctx, lines)
    if not log.totals.total and log.crash is None:
        raise HarnessError(f"no test ran: {glob!r} matches no suite of this kernel "
                           f"(target {ctx.target.name}: {ctx.target.suites})" if suites else
                           f"the kernel ran no test; see {log_path}")
    lost = lost_points(log, log_path)
    if lost:
        print(f"kfault: error: {lost}", file=sys.stderr)
        status = status or 2
    t = log.totals
    print(f"kfault: kernel counted: pass {t.passed}, fail {t.failed}, skip {t.skipped}, "
          f"total {t.total}")
    if t.failed and not status:
        print(f"kfault: error: kunit.py reported success but the kernel counted {t.failed} "
              f"failed tests (a result line it could not parse); see {log_path}",
              file=sys.stderr)
        status = 1
    elif status and not lost:
        n = known_failures_only(ctx, lines)
        if n:
            print(f"kfault: all {n} failed KUnit results are known findings of "
                  f"{ctx.target.name} (configs/targets/{ctx.target.name}.toml, "
                  "configs/known-bugs.toml)")
            status = 0
    if log.crash:
        where = symbols.place(log.crash.addr)
        print(f"kfault: CRASH in {log.crash.case} (last point: {log.crash.last_point}): "
              f"{log.crash.title}; "
              + (f"faulted in {log.crash.faulted}, " if log.crash.faulted else "")
              + f"target frame {log.crash.frame}"
              + (f" at {where[0]}:{where[1]}" if where else ""))
        status = status or 1
    out = ctx.out / "report" / ctx.target.name     # each target's its own: make test runs several
    doc = write_reports(ctx, log, symbols, out, started, baseline)
    print(f"kfault: reports: {out}/summary.md, report.html, junit.xml, report.json")

    def done(code: int) -> Outcome:
        return Outcome(code, log, doc, out)

    bugs = known_bugs.load_bugs(ctx.checkout.config_dir)
    for line in summary.kernel_reports(log) + summary.sweep(log, ctx.target.known, bugs):
        print(line)
    if not log.results:
        return done(status)
    cov = coverage.compute(sites.target_sites(ctx.target.source_files(ctx.boot.srctree)), log,
                           symbols)
    for line in summary.coverage(cov, ctx.target.name, ctx.target.require_coverage):
        print(line)
    if cov.never and ctx.target.require_coverage:
        if suites:
            print("kfault: (coverage is partial because of the suite filter)")
            return done(status)
        return done(status or EXIT_COVERAGE)
    return done(status)
