"""The console's tables (pure data): report headers, the machinery frames of
reports, panics and allocators, the artefacts of fault injection.

They are the only such lists on the Python side; kunit/kfault/tables.c holds
the C side's, and harness/tests/test_tables.py checks that the two agree
wherever both sides decide the same thing.
"""
from __future__ import annotations

import re

# (kind, the prefix a report's first line starts with, header regex, title
# format); the first match wins.  Like syzkaller's pkg/report, a title leaves
# out addresses, offsets, CPUs and pids, so that it is a stable dedup key.
# The prefixes are the C side's kfault_report_heads.
REPORT_HEADERS: tuple[tuple[str, str, re.Pattern[str], str], ...] = (
    ("kasan", "BUG: ", re.compile(r"^BUG: KASAN: ([\w-]+) in ([\w.]+)"), "KASAN: {0} in {1}"),
    ("might_sleep", "BUG: ",
     re.compile(r"^BUG: sleeping function called from invalid context at (\S+)"),
     "BUG: sleeping function called from invalid context at {0}"),
    ("lockdep", "WARNING: ", re.compile(
        r"^WARNING: (possible circular locking dependency|possible recursive "
        r"locking|inconsistent lock state|suspicious RCU usage)"), "lockdep: {0}"),
    ("lockdep", "INFO: possible recursive locking",
     re.compile(r"^INFO: (possible recursive locking)"), "lockdep: {0}"),
    ("warning", "WARNING: ", re.compile(r"^WARNING: CPU: \d+ PID: \d+ at (\S+) ([\w.]+)"),
     "WARNING in {1}"),
    ("ubsan", "UBSAN: ", re.compile(r"^UBSAN: ([\w-]+) in (\S+)"), "UBSAN: {0} in {1}"),
    ("hung", "INFO: task ", re.compile(r"^INFO: task ([\w/.:-]+?):\d+ blocked for more than"),
     "INFO: task hung in {0}"),
    ("bug", "kernel BUG", re.compile(r"^kernel BUG at (\S+)"), "kernel BUG at {0}"),
    ("oops", "Oops", re.compile(r"^Oops: (.+?)(?: \[#\d+\].*)?$"), "Oops: {0}"),
    ("bug", "BUG: ", re.compile(r"^BUG: (.+?)(?: at | in |$)"), "BUG: {0}"),
)

# KASAN's line after its header: the access, as syzkaller's titles name it
KASAN_ACCESS = re.compile(r"^(Read|Write) of size \d+ at addr ")

# Frames of the reporting and panic machinery: a crash's or a report's
# guilty frame is the first one past them (with no target prefix to look
# for: any KUnit suite).
REPORT_MACHINERY = (
    "dump_stack", "__dump_stack", "show_stack", "print_report", "end_report", "kasan_",
    "__kasan", "__asan", "__ubsan", "ubsan_", "_printk", "printk", "vprintk", "__warn",
    "warn_slowpath", "report_bug", "__might", "might_", "__schedule", "lockdep_",
    "__lock_acquire", "lock_acquire", "check_", "print_", "dump_trace", "um_", "__read_once",
    "panic", "die", "__die", "oops_", "make_task_dead", "do_exit", "segv", "relay_signal",
    "sig_handler", "unblock_signals", "lbug_with_loc",
)

# What lies between an allocation and its caller in kmemleak's backtrace,
# compared with the frame's name stripped of leading underscores
# (allocator_frame(); kunit/kfault/tables.c: kfault_alloc_frames, the same list).
ALLOCATOR_FRAMES = (
    "save_stack_trace", "stack_trace_save", "set_track", "alloc_object", "create_object",
    "kmemleak_", "kmalloc", "kmem_cache_alloc", "vmalloc", "vzalloc", "kvmalloc", "kvzalloc",
    "kmemdup", "kstrdup", "kstrndup", "krealloc", "kzalloc", "kcalloc", "memdup_user",
    "alloc_pages", "devm_", "alloc_dr", "devres_alloc", "kvasprintf", "kasprintf",
    "slab_post_alloc_hook", "slab_alloc", "do_kmalloc",
)


def allocator_frame(function: str) -> bool:
    return function.lstrip("_").startswith(ALLOCATOR_FRAMES)


def report_machinery(function: str) -> bool:
    return function.startswith(REPORT_MACHINERY)


# Source files of the allocator and the fault injector: a failed call's site
# (from addr2line's inline chains) is past them.
MACHINERY_FILES = ("mm/", "include/", "lib/fault-inject.c", "lib/dump_stack.c",
                   "kernel/trace/", "kernel/stacktrace.c", "lib/kasprintf.c", "arch/",
                   "kernel/printk/")

# Kernel reports that fault injection itself causes, outside the target
# (kunit/kfault/tables.c: kfault_artefacts).
ARTEFACTS = ("alloc_tagging_slab_alloc_hook", "__kunit_do_failed_assertion")

# Allocation sites whose objects the kernel keeps on purpose after the call
# that made them returned, each with why: neither leak check (kunit/kfault/
# live.c, and tags.c's scope of a point; the names are tables.c's
# kfault_kept) counts them as a point's leak.
KEPT = {
    "preload_this_cpu_lock": "vmalloc keeps one vmap_area per CPU preloaded for its next "
                             "caller (mm/vmalloc.c, ne_fit_preload_node); seen in "
                             "netdevsim's port_add",
    "alloc_thread_stack_node": "kernel/fork.c keeps up to NR_CACHED_STACKS (2) freed "
                               "vmap'ed thread stacks per CPU for the next thread "
                               "(try_release_thread_stack_to_cache()): a thread that a "
                               "point started and that died leaves its stack allocated "
                               "in that cache, whatever the settle step waits for; in "
                               "two nights of one tree (2026-12-02) 521 of 529 'new' and "
                               "460 of 467 'fixed' findings were points whose only leak "
                               "was fork.c:322 alloc_thread_stack_node (mctp, regmap, "
                               "thunderbolt, ext4_mballoc_test)",
    "create_worker": "a workqueue pool keeps a worker it made for IDLE_WORKER_TIMEOUT (5 "
                     "minutes, kernel/workqueue.c): its struct worker and its name, "
                     "allocated under create_worker(), live on after the point that "
                     "made the pool need one; whether a point makes one depends on "
                     "the points before it",
}

# What one new workqueue worker holds while it lives (kunit/kfault/tables.c:
# kfault_worker_sites, the same names in the same order): for each worker the
# system gained during a point, the per-directory leak check (tags.c) takes one
# call at each of these sites off the point's growth.  Seen on two nights of
# one tree (2026-12-02): ext4_mballoc_test and regmap points "leaked" exactly
# one call at each, and the next night the points before them had left an idle
# worker.
WORKER_SITES = ("alloc_worker", "kvasprintf", "alloc_task_struct_node", "copy_signal",
                "copy_sighand", "alloc_pid", "set_kthread_struct", "prepare_creds")

# The console line that starts an injected failure's stack dump (lib/fault-inject.c).
INJECTION_HEAD = "FAULT_INJECTION: forcing a failure"
