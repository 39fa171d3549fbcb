"""'make repro POINT=OP:KEY': one operation swept alone, twice; one point's evidence
and whether it repeats.  KEY is a stable id, a pass nth, a fill-in "fK", or a call
site "SYMBOL+0xOFF": that call alone is failed (kfault.target), whatever the numbering."""
from __future__ import annotations


from ..errors import HarnessError
from ..results.model import Result, RunLog
from .context import Context, Outcome, analyse, boot_once, prepare, sweep_suite


def repro(ctx: Context, point: str) -> Outcome:
    op, _, key = point.partition(":")
    if not op or not key:
        raise HarnessError(f"POINT={point!r}: want OP:ID, OP:NTH or OP:fK, e.g. open:e3e5e880 "
                           "(ids are in out/report/TARGET/report.json and the 'kfault:' lines)")
    suite = sweep_suite(ctx)
    prepare(ctx)
    out = ctx.out / "repro"
    out.mkdir(parents=True, exist_ok=True)
    found: list[Result | None] = []
    by_call = "+" in key
    args = [f"kfault.only={op}"] + ([f"kfault.target={op}:{key}"] if by_call else [])
    crashes: list[str | None] = []
    logs: list[RunLog] = []
    for num in range(2):
        log, symbols = analyse(ctx, boot_once(ctx, suite, out, f"run-{num + 1}", not num,
                                              args))
        logs.append(log)
        crash = log.crash
        # a crash at the point ends the boot before the operation's count line
        started = crash is not None and crash.last_point.split(" ")[0] == op
        if op not in log.counts and not started:
            known = sorted({r.op for r in log.baselines} | set(log.counts))
            raise HarnessError(f"no operation {op!r} in {suite} of target {ctx.target.name}"
                               + (f"; operations: {', '.join(known)}" if known else ""))
        place = symbols.place(crash.addr) if crash else None
        crashes.append(f"{crash.title} at {crash.frame}"
                       + (f" ({place[0]}:{place[1]})" if place else "")
                       if crash and started else None)
        found.append(next((r for r in log.points
                           if by_call or key in (r.line.id, r.key)), None))
    if crashes[0] is not None:
        print(f"repro: {op} {key}: crash: {crashes[0]}")
        same = crashes[1] == crashes[0]
        print(f"repro: deterministic: {'yes' if same else 'NO'} (second run: "
              f"{crashes[1] or 'no crash'}); consoles in {out}/")
        return Outcome(0 if same else 1, logs[0])
    first, second = found
    if first is None:
        raise HarnessError(f"{op} has no point {key!r} in this run: see {out}/run-1.log")
    r = first.line
    print(f"repro: {op} {r.key} {r.allocator} <- {r.site} id {r.id}: {r.verdict} "
          f"{r.detail}".rstrip())
    for what, value in (("leaked", ", ".join(map(str, r.leaked))), ("report", r.report),
                        ("report site", r.report_site)):
        if value and value != "-":
            print(f"repro:   {what}: {value}")
    same = second is not None and (second.line.verdict, second.line.id) == (r.verdict, r.id)
    again = f"{second.line.verdict} {second.line.id}" if second else "point not found"
    print(f"repro: deterministic: {'yes' if same else 'NO'} (second run: {again}); "
          f"consoles in {out}/")
    return Outcome(0 if same else 1, logs[0])
