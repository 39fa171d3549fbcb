"""KCIDB output (results/kcidb.py), validated against KCIDB I/O schema v5.3.

data/kcidb/v5.3.schema.json is kcidb_io.schema.V5_3.json of
github.com/kernelci/kcidb-io at 8971c02 ("Add notes about schema
extraction"), dumped with json.dump(..., indent=1, sort_keys=True).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema  # type: ignore[import]  # Debian ships no stubs

from kfault.results import kcidb, model, report

DATA = Path(__file__).parent / "data"
SCHEMA = json.loads((DATA / "kcidb/v5.3.schema.json").read_text())


def lines(name: str) -> list[str]:
    return (DATA / name).read_text(errors="replace").splitlines()


def validate(doc: dict[str, object]) -> None:
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()
                                    ).validate(doc)


def test_an_op_sweep_is_one_kcidb_test_per_point_and_baseline() -> None:
    log = model.build(lines("full_run_console.log"), "")
    rep = report.build(log, report.RunMeta(configs=("base", "kasan"), git_revision="0" * 40,
                                           reproduce="make repro POINT={op}:{point}"))
    doc = kcidb.to_kcidb(rep)
    validate(doc)
    tests = doc["tests"]
    assert isinstance(tests, list)
    assert len(tests) == len(rep.points) + len(rep.baselines)
    assert len({t["id"] for t in tests}) == len(tests)
    assert all(re.fullmatch(r"kfault\.[\w-]+\.[\w-]+\.[\w-]+", t["path"]) for t in tests)
    assert {t["status"] for t in tests} <= {"PASS", "FAIL", "SKIP"}
    failed = [p for p in rep.points if not p.ok]
    assert sum(t["status"] == "FAIL" for t in tests) == len(failed) + sum(
        not b.ok for b in rep.baselines)
    [build] = doc["builds"]
    assert build["config_name"] == "base+kasan" and build["architecture"] == "um"
    # no git tree: no commit; the checkout is the kernel's, not kfault's
    [checkout] = doc["checkouts"]
    assert "git_commit_hash" not in checkout
    assert checkout["misc"]["kfault_revision"] == "0" * 40


def test_a_git_kernel_trees_commit_is_the_checkouts() -> None:
    log = model.build(lines("full_run_console.log"), "")
    tree = "1" * 40
    docs = [kcidb.to_kcidb(report.build(log, report.RunMeta(git_revision="0" * 40,
                                                            kernel_revision=rev)))
            for rev in (tree, "2" * 40, tree + "-dirty")]
    for doc in docs:
        validate(doc)
    checkouts = [doc["checkouts"][0] for doc in docs]
    assert checkouts[0]["git_commit_hash"] == tree and "git_commit_hash" not in checkouts[2]
    # another kernel commit is another checkout, whatever kfault's revision
    assert len({c["id"] for c in checkouts}) == 3


def test_points_not_reached_are_skipped_and_a_failed_point_carries_its_evidence() -> None:
    # make sweep SUITE=kunit_device: 29 points not reached, a failing baseline
    log = model.build(lines("suites_failing_baseline.log"), "")
    rep = report.build(log, report.RunMeta())
    doc = kcidb.to_kcidb(rep, kcidb.Source(tree_name="stable", log_url="file:///out/boot-1.log"))
    validate(doc)
    tests = doc["tests"]
    assert isinstance(tests, list)
    assert sum(t["status"] == "SKIP" for t in tests) == len(rep.summary.unreached) > 0
    base = next(t for t in tests
                if t["path"] == "kfault.kunit_device.kunit_device_cleanup_test.baseline")
    assert base["status"] == "FAIL" and base["misc"]["verdict"] == "test-failed"
    assert all(t["log_url"] == "file:///out/boot-1.log" for t in tests)
    leak = next(p for p in rep.points if p.verdict == "leak")
    row = next(t for t in tests if t["misc"]["name"] == leak.name)
    assert leak.evidence.leaked[0] in row["log_excerpt"]


def test_a_document_that_breaks_the_schema_is_refused() -> None:
    # the validator is real: a path with a space, a status KCIDB does not know
    log = model.build(lines("suites_failing_baseline.log"), "")
    doc = kcidb.to_kcidb(report.build(log, report.RunMeta()))
    doc["tests"][0]["status"] = "OK"
    try:
        validate(doc)
    except jsonschema.ValidationError as err:
        assert "'OK' is not one of" in str(err)
    else:
        raise AssertionError("an unknown status validated")
    assert kcidb.segment("kunit device.test[1]") == "kunit_device_test_1"
