"""Finding a KUnit suite's source directory, on the 6.12 sources of the suites
we sweep (lib/list-test.c's three suites; our own crash-in-init suite)."""
from __future__ import annotations

import os
from pathlib import Path

from kfault.checkout import suite_sources

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


def _lib_sources() -> dict[str, str]:
    """Every C file of the 6.12 tree's lib/ and lib/kunit/ that names a kunit_suite."""
    kdir = Path(os.environ.get("KDIR") or Path.home() / ".cache/kfault/linux-source-6.12")
    return {str(p.relative_to(kdir)): p.read_text(errors="replace")
            for d in ("lib", "lib/kunit") for p in sorted((kdir / d).glob("*.c"))
            if "kunit_suite" in p.read_text(errors="replace")}


def test_a_touched_suite_file_brings_its_own_suites_first_not_its_parents() -> None:
    # a patch to lib/kunit/string-stream-test.c: the review swept bitfields,
    # bits-test, checksum, cmdline (lib/ is a prefix of lib/kunit/, cut at 4
    # by name) and never the file's own suite
    found = suite_sources.covering(["lib/kunit/string-stream-test.c"], [], _lib_sources())
    assert found[0] == suite_sources.Covering(
        "string-stream-test", "lib/kunit/string-stream-test.c", suite_sources.DEFINED,
        "lib/kunit/string-stream-test.c")
    assert {c.reason for c in found[1:]} == {suite_sources.SAME_DIR}
    assert all(c.file.startswith("lib/kunit/") for c in found)
    assert "bitfields" not in {c.suite for c in found}


def test_the_suites_that_call_a_touched_function_come_before_its_neighbours() -> None:
    found = suite_sources.covering(["lib/kunit/string-stream.c"], ["alloc_string_stream"],
                                   _lib_sources())
    callers = [c for c in found if c.reason == suite_sources.CALLS]
    assert callers and callers[0].suite == "string-stream-test"
    assert found.index(callers[-1]) < min(found.index(c) for c in found
                                          if c.reason == suite_sources.SAME_DIR)
    # a suite is listed once, at its closest reason
    assert len({c.suite for c in found}) == len(found)


def test_a_c_file_another_includes_is_compiled_in_its_includer() -> None:
    # 6.12's lib/kunit/executor.c ends with '#include "executor_test.c"': the
    # suite kunit_executor_test has no object of its own, and a review of a
    # patch to executor_test.c called it "not built"
    kdir = Path(os.environ.get("KDIR") or Path.home() / ".cache/kfault/linux-source-6.12")
    siblings = {str(p.relative_to(kdir)): p.read_text(errors="replace")
                for p in sorted((kdir / "lib/kunit").glob("*.c"))}
    assert suite_sources.includer("lib/kunit/executor_test.c", siblings) == \
        "lib/kunit/executor.c"
    assert suite_sources.includer("lib/kunit/executor.c", siblings) is None
    assert suite_sources.includer("lib/kunit/string-stream-test.c", siblings) is None
    # only the file's own directory holds its includer; a commented-out
    # include or another file's name is not one
    assert suite_sources.includer("lib/kunit/a.c", {
        "lib/b.c": '#include "a.c"\n', "lib/kunit/c.c": '// #include "a.c"\n',
        "lib/kunit/d.c": '#include "aa.c"\n'}) is None
    # net/mctp/route.c includes test/route-test.c, from the directory above it
    # (a review of net/0006 found no suite of the patch built)
    mctp = {"net/mctp/route.c": '#include "test/route-test.c"\n',
            "net/mctp/device.c": '#include "route-test.c"\n'}
    assert suite_sources.includer("net/mctp/test/route-test.c", mctp) == "net/mctp/route.c"
    assert suite_sources.includer("net/mctp/test/utils.c", mctp) is None
    # only a test directory's parent is looked in: lib/ is not read for lib/kunit/
    assert suite_sources.includer_dirs("net/mctp/test/route-test.c") == (
        "net/mctp/test", "net/mctp")
    assert suite_sources.includer_dirs("lib/kunit/executor_test.c") == ("lib/kunit",)
    assert suite_sources.includer("lib/kunit/a.c", {"lib/b.c": '#include "kunit/a.c"\n'}) is None


# fs/tests/binfmt_elf_kunit.c of 6.12, the part that names its suite; the
# file is compiled inside fs/binfmt_elf.c ('#include "tests/binfmt_elf_kunit.c"')
BINFMT_ELF_SUITE = (Path(__file__).parent / "data/binfmt_elf_kunit_suite.c").read_text()


def test_a_suite_named_kbuild_modname_is_named_after_the_object_that_compiles_it() -> None:
    # the night of 2026-12-03: "1 suite(s) of the kernel defined by no
    # source's .name (SUITE= cannot name them): binfmt_elf"
    assert suite_sources.suite_names(BINFMT_ELF_SUITE) == []
    host = suite_sources.includer("fs/tests/binfmt_elf_kunit.c", {
        "fs/binfmt_elf.c": '#include "tests/binfmt_elf_kunit.c"\n',
        "fs/binfmt_misc.c": "", "fs/tests/exec_kunit.c": ""})
    assert host == "fs/binfmt_elf.c"
    module = suite_sources.modname("fs/tests/binfmt_elf_kunit.c", host)
    assert suite_sources.suite_names(BINFMT_ELF_SUITE, module) == ["binfmt_elf"]
    assert suite_sources.modname("lib/kunit/kunit-example-test.c", None) == "kunit_example_test"
    files = {"fs/tests/binfmt_elf_kunit.c": suite_sources.suite_names(BINFMT_ELF_SUITE, module)}
    assert suite_sources.files_for("binfmt_elf", files) == ["fs/tests/binfmt_elf_kunit.c"]
    found = suite_sources.covering(["fs/binfmt_elf.c"], [],
                                   {"fs/tests/binfmt_elf_kunit.c": BINFMT_ELF_SUITE},
                                   {"fs/tests/binfmt_elf_kunit.c": ["binfmt_elf"]})
    assert [(c.suite, c.reason) for c in found] == [("binfmt_elf", suite_sources.TEST_DIR)]
