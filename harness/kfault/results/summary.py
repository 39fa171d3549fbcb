"""What a run prints after kunit.py's own output: lines from the run model (pure)."""
from __future__ import annotations

from . import model
from .coverage import Coverage
from ..checkout.known_bugs import KernelBug, Known
from .known import kernel_leaks, match
from ..console.tables import ARTEFACTS


def kernel_reports(log: model.RunLog) -> list[str]:
    """Distinct kernel reports of the run, but the canaries' and fault injection's own."""
    seen: dict[tuple[str, str], int] = {}
    artefacts = 0
    for rep in log.reports:
        if rep.artefact:
            artefacts += 1
        elif "kfault_canary" not in rep.title and not rep.frame.startswith("kfault_canary"):
            seen[(rep.title, rep.frame)] = seen.get((rep.title, rep.frame), 0) + 1
    out = [f"kfault: kernel report x{count}: {title} (guilty: {frame})"
           for (title, frame), count in seen.items()]
    if artefacts:
        out.append(f"kfault: {artefacts} kernel WARN(s) caused by fault injection inside the "
                   f"kernel itself ({', '.join(ARTEFACTS)}), not the target")
    return out


def sweep(log: model.RunLog, known: tuple[Known, ...] = (),
          bugs: tuple[KernelBug, ...] = ()) -> list[str]:
    """Totals, speed, missing results and grouped failures of the sweep."""
    if not log.results:
        return []
    by_verdict: dict[str, int] = {}
    for r in log.points:
        by_verdict[str(r.line.verdict)] = by_verdict.get(str(r.line.verdict), 0) + 1
    out = [f"kfault: sweep: {sum(c.points for c in log.counts.values())} fault points in "
           f"{len(log.counts)} operations; verdicts: "
           + ", ".join(f"{v} {n}" for v, n in sorted(by_verdict.items()))]
    if log.stats:
        out.append(f"kfault: speed: {log.stats.points} points in {log.stats.ms} ms, "
                   f"{log.stats.per_s} points/s")
        if log.stats.untracked:
            out.append(f"kfault: live leak check: {log.stats.untracked} objects not followed "
                       "(allocated with no allocation tag, or past the table): their leaks "
                       "are kmemleak's alone")
    for op, n in model.missing(log).items():
        out.append(f"kfault: {op}: {n} counted points have no result (crash or truncated log)")
    for (op, verdict, why), points in model.failures(log.results).items():
        keys = ", ".join(r.key for r in points[:12]) + (" ..." if len(points) > 12 else "")
        hit = match(known, points[0])
        head = "KNOWN" if hit else "FAIL"
        out.append(f"kfault: {head} {op}: {len(points)} point(s) {verdict}: {why} (nth {keys})")
        if hit:
            out.append(f"kfault:   known: {hit.why}")
    for text in log.messages:
        if not text.startswith("canary "):
            out.append(f"kfault: kernel said: {text}")
    if log.kmemleak:
        k = log.kmemleak
        out.append(f"kfault: kmemleak: canary {'found' if k.canary_found else 'MISSING'}, "
                   f"{k.target_leaks} {k.target} leak(s), {k.kernel_leaks} leak(s) in the "
                   f"kernel's own code under {k.target} calls")
        counts, other = kernel_leaks(log.leaks, bugs)
        for bug in bugs:
            if bug.id in counts:
                out.append(f"kfault:   known kernel bug {bug.id}: {counts[bug.id]} object(s): "
                           f"{bug.title}; fixed upstream by {bug.fixed}")
        if other:
            first = " <- ".join(f.function for f in other[0].frames[:4])
            out.append(f"kfault:   {len(other)} other kernel leak(s), not a known bug "
                       f"(first: {first})")
    return out


def coverage(cov: Coverage, target: str, listed: bool) -> list[str]:
    total = len(cov.failed) + len(cov.never)
    out = [f"kfault: coverage: {len(cov.failed)}/{total} allocation call sites of {target} "
           "failed at least once"]
    if listed:
        out += [f"kfault: never failed: {site}" for site in cov.never]
    return out
