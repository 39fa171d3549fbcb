"""The boot loop both sweeps drive (pure but for what its boot callback does).

A sweep is booted until it is complete: each crash or hang ends a boot at
a point, and the next boot resumes after it.  The in-kernel sweep
(commands/sweep.py) and the sweep from user space (commands/usersweep.py)
differ in how a boot runs and how its end is read; they share this loop:
how boots are numbered and capped, and that a boot which ends where the
last one resumed - no progress - stops the sweep with the engine's word
for it rather than booting forever.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import HarnessError


@dataclass(frozen=True)
class Ended:
    """How one boot ended, as its engine read it."""

    complete: bool = False      # nothing is left to sweep
    resume: str | None = None   # where the next boot resumes ("op:key")
    said: str = ""              # printed before the next boot ("boot 3 crashed at ...")
    stuck: str = ""             # the error when the next boot would resume there again
    fatal: str = ""             # the sweep cannot go on (a crash outside any point)


@dataclass(frozen=True)
class Run:
    boots: int                  # how many boots this run made
    complete: bool
    next_boot: int              # the number the next boot would have


def boot_until_done(boot: Callable[[int, str | None], Ended], first: int,
                    resume: str | None, max_boots: int, what: str) -> Run:
    """Boot first, first + 1, ... until a boot says the sweep is complete, at
    most max_boots times.  boot(number, resume) runs one boot from resume and
    keeps its records; HarnessError when a boot cannot be resumed past."""
    num = first
    for made in range(1, max_boots + 1):
        ended = boot(num, resume)
        num += 1
        if ended.fatal:
            raise HarnessError(ended.fatal)
        if ended.complete:
            return Run(made, True, num)
        if ended.resume is not None and ended.resume == resume:
            raise HarnessError(ended.stuck or f"boot {num - 1} ended at {resume} again")
        if ended.said:
            print(f"{what}: {ended.said}", flush=True)
        resume = ended.resume
    print(f"{what}: stopped after {max_boots} boots")
    return Run(max_boots, False, num)
