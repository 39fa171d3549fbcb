"""A night's suites accounted for, on two real shard consoles of a smoke night:
make nightly NIGHTLY_SUITES='kunit*' NIGHTLY_POLICY=night_smoke_policy.toml
(suite_seconds 2, kunit_executor_test excluded), on the all_tests.config kernel."""
from __future__ import annotations

from pathlib import Path

from kfault.checkout import policy
from kfault.console import protocol
from kfault.results import model, report
from kfault.results.render import markdown

DATA = Path(__file__).parent / "data"


def _log(name: str) -> model.RunLog:
    return model.build((DATA / name).read_text().splitlines(), "")


def test_the_suite_and_capped_lines() -> None:
    assert protocol.parse_line("[    1.23] kfault: suite name=kunit_fault cases=0 excluded=0") \
        == protocol.SuiteLine("kunit_fault", False, 0)
    assert protocol.parse_line("kfault: suite name=kasan excluded=1") == \
        protocol.SuiteLine("kasan", True)          # a line without cases= (before it)
    assert protocol.parse_line("kfault: capped suite=s ms=2000 at=s.case.3:27") == \
        protocol.CappedLine("s", 2000, "s.case.3", 27)
    assert isinstance(protocol.parse_line("kfault: capped suite=s ms=2000 at=27"),
                      protocol.MessageLine)


def test_every_suite_of_the_night_is_swept_capped_excluded_or_has_no_cases() -> None:
    logs = [_log("night_kunit_shard0_boot1.log"), _log("night_kunit_shard1_boot1.log")]
    for boot, log in enumerate(logs, 1):
        log.results = [r.__class__(r.target, r.suite, r.case, r.line, boot) for r in log.results]
    merged = model.merge(logs, renumber=False)
    assert len(merged.suites) == 11 and merged.suites["kunit_executor_test"].excluded
    assert [(c.suite, c.at) for c in merged.capped] == [
        ("kunit_platform_driver", "kunit_platform_driver.kunit_platform_driver_register_test:27")]
    night = policy.load(DATA / "night_smoke_policy.toml")
    meta = report.RunMeta(excluded={n: w for n in merged.suites
                                    if (w := night.why_excluded(n)) is not None})
    rep = report.build(merged, meta)
    status = {s.name: s for s in rep.suites}
    assert set(status) == set(merged.suites)
    assert status["kunit_executor_test"].status == "excluded"
    assert status["kunit_executor_test"].why == "smoke test of the exclusion"
    assert status["kunit_fault"].status == "no cases"
    capped = status["kunit_platform_driver"]
    assert capped.status == "capped" and "2000 ms in one boot" in capped.why
    swept = [s for s in rep.suites if s.status == "swept"]
    assert len(swept) == 8
    # the report's suites hold every point of the run, and both shards' boots
    assert sum(s.points for s in rep.suites) == len(rep.points)
    assert status["kunit_device"].boots == 2 and status["kunit-assert"].boots == 1
    assert status["kunit-assert"].seconds > 0
    assert sum(status["kunit-resource-test"].verdicts.values()) == \
        status["kunit-resource-test"].points
    page = markdown(rep)
    assert "suites: 8 swept, 1 capped, 1 excluded, 1 no cases" in page
    assert "| kunit_fault | no cases | 0 | 0 |" in page


def test_every_point_says_what_it_printed_and_none_passed_the_bound() -> None:
    log = _log("night_kunit_shard1_boot1.log")
    printed = [r.line.printed for r in log.results]
    assert printed and all(p >= 0 for p in printed)
    assert max(printed) < 256 * 1024 and not any(r.line.muted for r in log.results)


def test_a_case_a_cap_cut_short_lost_nothing() -> None:
    # kunit_platform_driver_register_test was capped at point 27: no 'done'
    # line, and its points before 27 all ran - no console loss
    log = _log("night_kunit_shard1_boot1.log")
    case = "kunit_platform_driver.kunit_platform_driver_register_test"
    assert [c.at for c in log.capped] == [f"{case}:27"]
    assert case not in {d.op for _, d in log.dones}
    assert log.missing() == {}
