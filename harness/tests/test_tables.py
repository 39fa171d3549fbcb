"""The C side's tables (kunit/kfault/tables.c, output.c) and the harness's
(console/tables.py, protocol.Verdict) say the same where both decide."""
from __future__ import annotations

import re
from pathlib import Path

from kfault.console import tables
from kfault.console.protocol import Verdict

KFAULT = Path(__file__).resolve().parents[2] / "kunit/kfault"
# the harness's own verdicts: a boot that died or hung at a point
HARNESS_ONLY = {Verdict.HANG}


def c_strings(file: str, array: str) -> list[str]:
    """The string literals of a 'static const char * const NAME[] = {...};'."""
    text = (KFAULT / file).read_text()
    m = re.search(rf"\b{array}\[\] = \{{(.*?)\}};", text, re.S)
    assert m, f"no {array} in {file}"
    return re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))


def test_report_heads_are_the_header_prefixes() -> None:
    assert set(c_strings("tables.c", "kfault_report_heads")) == {
        prefix for _, prefix, _, _ in tables.REPORT_HEADERS}


def test_every_header_regex_starts_with_its_prefix() -> None:
    samples = {"kasan": "BUG: KASAN: slab-use-after-free in foo",
               "might_sleep": "BUG: sleeping function called from invalid context at x.c:1",
               "warning": "WARNING: CPU: 0 PID: 1 at lib/x.c:2 foo+0x1/0x2",
               "ubsan": "UBSAN: shift-out-of-bounds in lib/x.c:3:4",
               "hung": "INFO: task kunit_try_catch:42 blocked for more than 120 seconds.",
               "oops": "Oops: general protection fault [#1] SMP KASAN"}
    for kind, prefix, rx, _ in tables.REPORT_HEADERS:
        if kind in samples and rx.match(samples[kind]):
            assert samples[kind].startswith(prefix)
    matched = {k for k, _, rx, _ in tables.REPORT_HEADERS if k in samples
               and rx.match(samples[k])}
    assert matched == set(samples)


def test_artefacts_and_allocator_frames_agree() -> None:
    assert tuple(c_strings("tables.c", "kfault_artefacts")) == tables.ARTEFACTS
    assert tuple(c_strings("tables.c", "kfault_alloc_frames")) == tables.ALLOCATOR_FRAMES
    assert tables.allocator_frame("__kmalloc_cache_noprof")
    assert tables.allocator_frame("___slab_alloc") and not tables.allocator_frame("refdev_open")


def test_one_verdict_enum_on_each_side() -> None:
    text = (KFAULT / "output.c").read_text()
    m = re.search(r"kfault_verdict_names\[\] = \{(.*?)\};", text, re.S)
    assert m
    named = dict(re.findall(r"\[(KFAULT_\w+)\] = \"([\w-]+)\"", m.group(1)))
    enum = re.search(r"enum kfault_verdict \{(.*?)\};", (KFAULT / "kfault.h").read_text(), re.S)
    assert enum
    members = [e for e in re.findall(r"\b(KFAULT_\w+)\b", enum.group(1))
               if e != "KFAULT_NR_VERDICTS"]
    assert set(named) == set(members)          # every member has its name
    assert set(named.values()) == {str(v) for v in Verdict} - {str(v) for v in HARNESS_ONLY}


def test_what_the_kernel_keeps_on_purpose_is_one_list_with_reasons() -> None:
    assert c_strings("tables.c", "kfault_kept") == list(tables.KEPT)
    assert all(len(why) > 40 for why in tables.KEPT.values())


def test_a_new_workers_sites_are_one_list() -> None:
    assert c_strings("tables.c", "kfault_worker_sites") == list(tables.WORKER_SITES)
