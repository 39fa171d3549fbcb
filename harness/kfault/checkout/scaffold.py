"""A driver author's starting point (pure): a target file, its config
fragment and an op-table suite for a driver directory of the kernel tree,
each field documented where it stands.

The suite is the shape of kunit/refdev/refdev_fault_kunit.c with one
operation whose run() says it is not written yet (-EOPNOTSUPP: its baseline
fails, so a sweep of the unedited stub is a failure, never a pass).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import HarnessError

# a function definition's first line: "static int foo_probe(struct ..."
_DEFINITION = re.compile(r"^(?:static\s+)?(?:inline\s+)?[a-z_][\w\s\*]*?\b([a-z]\w*?)_\w+\(",
                         re.MULTILINE)
# "obj-$(CONFIG_FOO) += foo.o" in the driver directory's Makefile
_OBJ = re.compile(r"^obj-\$\((CONFIG_\w+)\)\s*\+?=\s*(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Driver:
    """What the skeleton is written for."""
    name: str                   # the target's name: letters, digits, - and _
    srcdir: str                 # relative to the kernel tree, no trailing slash
    prefix: str                 # its functions' common prefix, e.g. "nsim_"
    config: str | None          # the Kconfig symbol that builds it, e.g. CONFIG_NETDEVSIM

    @property
    def ident(self) -> str:
        return self.name.replace("-", "_")

    @property
    def symbol(self) -> str:
        return f"{self.ident.upper()}_FAULT_KUNIT_TEST"


def guess_prefix(sources: Mapping[str, str]) -> str:
    """The function-name prefix most of the directory's definitions share
    ("" when none stands out: the target file then wants one)."""
    words = Counter(m.group(1) for text in sources.values()
                    for m in _DEFINITION.finditer(text))
    if not words:
        return ""
    word, count = words.most_common(1)[0]
    return f"{word}_" if count * 2 >= sum(words.values()) else ""


def guess_config(makefile: str, name: str) -> str | None:
    """The symbol of the Makefile's obj- line that builds name.o, else of its
    only obj- line."""
    lines: list[tuple[str, str]] = _OBJ.findall(makefile)
    for sym, objs in lines:
        if f"{name}.o" in objs.split() or f"{name}/" in objs.split():
            return sym
    return lines[0][0] if len(lines) == 1 else None


def driver(srcdir: str, sources: Mapping[str, str], makefile: str) -> Driver:
    name = srcdir.rstrip("/").rsplit("/", 1)[-1]
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise HarnessError(f"skeleton {srcdir}: its last part {name!r} cannot name a "
                           "target (letters, digits, - and _ only)")
    if not sources:
        raise HarnessError(f"skeleton {srcdir}: no .c file there")
    return Driver(name, srcdir.rstrip("/"), guess_prefix(sources),
                  guess_config(makefile, name.replace("-", "_")))


def target_file(d: Driver) -> str:
    prefix = d.prefix or "TODO_"
    return f'''# kfault target: {d.srcdir}, swept by the op table {d.ident}_fault_kunit.c.
# Use it from anywhere: make kunit TARGET=path/to/{d.name}.toml (a kernel of
# its own: kfault's oracle fragments, then this file's fragments).

# The target's name: reports go to out/report/NAME, its kernel to
# KDIR/.kfault/.kunit-kfault-NAME.
name = "{d.name}"
# One line for 'make targets'.
description = "{d.srcdir}: its probe (edit: the operations {d.ident}_fault_kunit.c sweeps)"
# kunitconfig fragments, relative to this file: what builds the driver and
# its fault suite (kfault's KASAN, kmemleak and fault-injection come first).
fragments = ["{d.name}.config"]
# kunit.py's filter glob: the suites 'make kunit' runs.
suites = "{d.ident}_fault"
# The op-table suite whose points the sweep engine resumes after a crash.
sweep_suite = "{d.ident}_fault"
# Where the code under test lives, relative to the kernel tree: its
# allocation tags are the leak check's scope, its files attribute a failure.
srcdirs = ["{d.srcdir}"]
# The driver's function-name prefix: its text, told apart from the suite's
# (the suite's own functions must not start with it).
prefix = "{prefix}"
# true: an allocation call site of the driver that no point failed makes the
# run exit 3 (incomplete coverage).
require_coverage = false

# A finding you know and do not want to hide: counted apart, cited.
# [[known]]
# op = "probe"                  # the operation, or "*"
# verdict = "leak"              # handled absorbed wrong-errno bad-state leak report crash ...
# evidence = "{d.ident}.c:123"  # a regex the finding's evidence must match
# why = "what is wrong, and where it is reported or fixed"
'''


def fragment(d: Driver) -> str:
    driver_line = (f"{d.config}=y\n" if d.config else
                   "# TODO: the CONFIG_ symbol that builds the driver, =y (built in)\n")
    return f'''# What {d.name}'s fault suite needs, added after kfault's oracle fragments.
# The driver, built in:
{driver_line}# Its op-table suite ({d.ident}_fault_kunit.c, Kconfig.snippet):
CONFIG_{d.symbol}=y
'''


def suite(d: Driver) -> str:
    i = d.ident
    return f'''// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweep of {d.srcdir}: every allocation of each operation
 * below fails in turn, and kfault checks the errno, the rollback, leaks and
 * kernel reports.  Written by 'kfault skeleton'; see
 * kunit/refdev/refdev_fault_kunit.c for a driver's full table.
 */
#include <kunit/test.h>
#include <linux/errno.h>

#include <kfault/kfault.h>

static struct kfault_target {i}_target = {{
\t.name = "{d.name}",\t\t/* announced on the console */
\t.srcdir = "{d.srcdir}/",\t/* the leak check's scope */
\t.prefix = "{d.prefix or "TODO_"}",\t\t/* the driver's text */
}};

/* What one point's setup builds and its run uses (zeroed for each point). */
struct {i}_fault_ctx {{
\tint state;\t\t/* TODO: the device, a session, a buffer, ... */
}};

/*
 * A fresh state for one point, before anything fails: @arg is the op's
 * .setup_arg (how far to build it).  Record here what check_rollback()
 * compares against.
 */
static int {i}_fault_setup(void *ctx, unsigned long arg)
{{
\treturn 0;
}}

/*
 * The call under test, once with nothing failing, then once per
 * allocation it makes with that allocation failed: its return value is
 * compared with .expected_err.
 */
static int {i}_fault_probe(void *ctx)
{{
\t/* TODO: call the driver's probe (or register its device) here */
\treturn -EOPNOTSUPP;
}}

/* 0: the state is as setup() left it (after a failed run). */
static int {i}_fault_unchanged(void *ctx)
{{
\treturn 0;
}}

/* 0: the state is as after a successful run (after an absorbed failure). */
static int {i}_fault_bound(void *ctx)
{{
\treturn 0;
}}

/* Free everything, whatever run() returned. */
static void {i}_fault_teardown(void *ctx)
{{
}}

KFAULT_OP({i}_target, probe,
\t  .ctx_size = sizeof(struct {i}_fault_ctx),
\t  /* or KFAULT_STACK_FILTER: only allocations through the driver */
\t  .mode = KFAULT_WINDOW,
\t  .expected_err = -ENOMEM,\t/* what a failed allocation must return */
\t  .setup = {i}_fault_setup, .setup_arg = 0,
\t  .run = {i}_fault_probe,
\t  .check_rollback = {i}_fault_unchanged,
\t  .check_success = {i}_fault_bound,
\t  /* .verify: 0 when a normal call works right after a failed one */
\t  .teardown = {i}_fault_teardown);

static struct kunit_case {i}_fault_cases[] = {{
\tKFAULT_OP_CASE(probe),
\tKUNIT_CASE(kfault_canary_fault_injection),
\tKUNIT_CASE(kfault_canary_kasan),
\tKUNIT_CASE_SLOW(kfault_kmemleak_confirmation),
\tKUNIT_CASE(kfault_sweep_summary),
\t{{}}
}};

KFAULT_SUITE({i}_fault, {i}_target, {i}_fault_cases);

MODULE_DESCRIPTION("Fault-injection sweeps of {d.name}");
MODULE_LICENSE("GPL");
'''


def kconfig(d: Driver) -> str:
    depends = f"{d.config.removeprefix('CONFIG_')}=y && KFAULT" if d.config else "KFAULT"
    return f'''# Add to {d.srcdir}/Kconfig:
config {d.symbol}
\tbool "Fault-injection sweeps of {d.name}" if !KUNIT_ALL_TESTS
\tdepends on {depends}
\tdefault KUNIT_ALL_TESTS
\thelp
\t  Fails every allocation of {d.name}'s operations, one at a time,
\t  and checks the errno, the rollback and that nothing leaked.
'''


def makefile(d: Driver) -> str:
    return f'''# Add to {d.srcdir}/Makefile (kfault's header: drivers/misc/kfault/kunit/,
# where 'make link' puts the library):
obj-$(CONFIG_{d.symbol}) += {d.ident}_fault_kunit.o
CFLAGS_{d.ident}_fault_kunit.o += -I$(srctree)/drivers/misc/kfault/kunit
'''


def files(d: Driver) -> dict[str, str]:
    """The skeleton's files by name."""
    return {f"{d.name}.toml": target_file(d), f"{d.name}.config": fragment(d),
            f"{d.ident}_fault_kunit.c": suite(d), "Kconfig.snippet": kconfig(d),
            "Makefile.snippet": makefile(d)}
