"""Finding a KUnit suite's source directory, on the 6.12 sources of the suites
we sweep (lib/list-test.c's three suites; our own crash-in-init suite)."""
from __future__ import annotations

from pathlib import Path

from harness.checkout import suite_sources

REPO = Path(__file__).resolve().parents[2]

LIST_TEST = (Path(__file__).parent / "data/list-test_suites.c").read_text()


def test_suite_names_of_a_file_with_three_suites() -> None:
    assert suite_sources.suite_names(LIST_TEST) == ["list-kunit-test", "hlist", "klist"]


def test_suite_names_of_our_own_test_file() -> None:
    text = (REPO / "kunit/kfault/kfault_test.c").read_text()
    assert suite_sources.suite_names(text) == [
        "kfault_lib", "kfault_init_deref", "kfault_page_site"]


def test_dirs_of_a_glob() -> None:
    files = {"lib/list-test.c": ["list-kunit-test", "hlist", "klist"],
             "lib/kunit/executor_test.c": ["kunit_executor_test"],
             "kernel/sysctl-test.c": ["sysctl_test"]}
    assert suite_sources.dirs_for("list*", files) == ["lib/"]
    assert suite_sources.dirs_for("*list*", files) == ["lib/"]
    assert suite_sources.dirs_for("kunit_*", files) == ["lib/kunit/"]
    # lib/ holds lib/kunit/: the leak check matches directory prefixes
    assert suite_sources.dirs_for("*", files) == ["kernel/", "lib/"]
    assert suite_sources.dirs_for("nothing", files) == []


def test_a_suite_in_a_test_directory_covers_the_code_it_tests() -> None:
    # property-entry's cases leaked swnode.c's nodes, which drivers/base/test/ missed
    files = {"drivers/base/test/property-entry-test.c": ["property-entry"],
             "drivers/misc/kfault/kunit/kfault/kfault_test.c": ["kfault_lib"],
             "test/odd.c": ["odd"]}
    assert suite_sources.dirs_for("property-entry", files) == ["drivers/base/"]
    assert suite_sources.dirs_for("kfault_lib", files) == ["drivers/misc/kfault/kunit/kfault/"]
    assert suite_sources.dirs_for("odd", files) == ["test/"]


def test_files_of_a_glob() -> None:
    files = {"lib/list-test.c": ["list-kunit-test", "hlist", "klist"],
             "lib/kunit/executor_test.c": ["kunit_executor_test"]}
    assert suite_sources.files_for("*list*", files) == ["lib/list-test.c"]
    assert suite_sources.files_for("*", files) == ["lib/kunit/executor_test.c", "lib/list-test.c"]
