"""Target files and known findings: the shipped ones load, bad ones are one clear line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kfault.checkout import known_bugs
from kfault.checkout import targets
from kfault.errors import HarnessError
from kfault.console.protocol import Verdict

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
GOOD = ('name = "x"\nfragments = ["targets/x.config"]\nsuites = "x_*"\n'
        'srcdirs = ["drivers/x"]\nprefix = "x_"\n')


def test_the_shipped_targets_load_and_refdev_is_the_default() -> None:
    names = [t.name for t in targets.load_all(CONFIGS)]
    assert names == ["kfault", "modtests", "netdevsim", "netdevsim-sysfs", "refdev",
                     "refdev-load", "refdev-syscalls", "upstream", "upstream-module-cases",
                     "upstream-modules"]
    default = targets.load(CONFIGS)
    assert default.name == "refdev" and default.require_coverage and default.modules
    cases = targets.load(CONFIGS, "upstream-module-cases")
    assert cases.user and [o.threads for o in cases.user.ops] == [True]
    assert not any(o.threads for o in default.user.ops) if default.user else True
    nsim = targets.load(CONFIGS, "netdevsim")
    assert nsim.srcdirs == ("drivers/net/netdevsim",) and nsim.prefix == "nsim_"
    bugs = [k for k in nsim.known if k.why.startswith("known kernel bug ")]
    assert {k.verdict for k in nsim.known if k not in bugs} == {Verdict.REPORT,
                                                                Verdict.WRONG_ERRNO}
    # every target knows the kernel bugs the live leak check recognises
    [cve] = [k for k in bugs if "CVE-2024-25740" in k.why]
    assert cve.verdict == Verdict.LEAK and cve.why.startswith("known kernel bug CVE-2024-25740")


USER = ('name = "u"\nsrcdirs = ["drivers/u"]\nprefix = "u_"\n[user]\n'
        'fragments = ["targets/u.config"]\n[[user.op]]\nname = "load"\n'
        'steps = ["insmod drivers/u/u.ko"]\nteardown = ["rmmod u"]\n')


def test_a_user_target_has_its_ops_and_no_suite() -> None:
    t = targets.parse(USER, "u.toml")
    assert t.user and t.fragments == () and t.suites == "-"
    [op] = t.user.ops
    assert op.steps == ("insmod drivers/u/u.ko",) and op.teardown == ("rmmod u",)
    assert op.expect == (12,) and not op.pages
    syscalls = targets.load(CONFIGS, "refdev-syscalls")
    assert syscalls.user and ("open", "fop_open") in syscalls.user.same_as
    assert [o.pages for o in syscalls.user.ops if o.name == "dma"] == [True]


@pytest.mark.parametrize("text, message", [
    (USER.replace('"insmod drivers/u/u.ko"', '"insmod"'), "step 'insmod': expected one of"),
    (USER.replace('"insmod drivers/u/u.ko"', '"open 9 /dev/x rw"'), "the slot must be 0..7"),
    (USER.replace('"insmod drivers/u/u.ko"', '"mknod x"'), "step 'mknod x': expected"),
    (USER.replace('steps = ["insmod drivers/u/u.ko"]\n', ""),
     "user.op #1: 'steps' must be a non-empty list"),
    (USER.replace('name = "load"', 'name = "lo ad"'), "letters, digits, - and _ only"),
    (USER + '[[user.op]]\nname = "load"\nsteps = ["rmmod u"]\n', "same name"),
    (USER.replace('name = "load"', 'name = "load"\nexpect = ["x"]'), "positive errnos"),
    (USER.replace('name = "load"', 'name = "load"\nstep = ["rmmod u"]'),
     "user.op #1: unknown key 'step' in [user.op]"),
    (USER.replace('name = "load"', 'name = "load"\npages = "no"'),
     "user.op #1: 'pages' must be true or false"),
    (USER.replace('name = "load"', 'name = "load"\nthreads = 1'),
     "user.op #1: 'threads' must be true or false"),
    (USER.replace('[[user.op]]', 'leak_dir = ["x"]\n[[user.op]]'),
     "unknown key 'leak_dir' in [user]"),
])
def test_a_bad_user_op_is_one_line(text: str, message: str) -> None:
    with pytest.raises(HarnessError) as err:
        targets.parse(text, "u.toml")
    assert message in str(err.value)


@pytest.mark.parametrize("text, message", [
    ("name = ", "x.toml: not TOML"),
    (GOOD.replace('prefix = "x_"\n', ""), "'prefix' must be a non-empty string"),
    (GOOD.replace('["drivers/x"]', "[]"), "'srcdirs' must be a non-empty list"),
    (GOOD + '[defects]\nkernel_arg = "x.defect"\n', "defects.kernel_arg is gone"),
    (GOOD + '[[known]]\nop = "a"\nverdict = "bogus"\nevidence = "x"\nwhy = "y"\n',
     "known entry 1: 'bogus' is not a valid Verdict"),
    (GOOD + '[[known]]\nop = "a"\nverdict = "leak"\nevidence = "("\nwhy = "y"\n',
     "known entry 1: missing ), unterminated subpattern"),
    (GOOD + '[[known]]\nop = "a"\n', "known entry 1 needs op, verdict, evidence, why"),
    # a typo is an error, not a key silently ignored
    (GOOD + 'sweep_suites = "x"\n', "unknown key 'sweep_suites' in the top level (known: "),
    (GOOD + '[modules]\nfragments = ["a"]\nload = ["a.ko"]\ntest = ["b.ko"]\n',
     "unknown key 'test' in [modules]"),
    (GOOD + '[defects]\npatch = "configs/defects/x"\n', "unknown key 'patch' in [defects]"),
    (GOOD + '[[known]]\nop = "a"\nverdict = "leak"\nevidence = "x"\nwhy = "y"\nwhere = 1\n',
     "known entry 1: unknown key 'where' in [known]"),
    # wrong types
    (GOOD + 'default = "yes"\n', "'default' must be true or false, not 'yes'"),
    (GOOD + 'require_coverage = 1\n', "'require_coverage' must be true or false"),
    # paths that leave their tree
    (GOOD.replace('["drivers/x"]', '["../x"]'), "'srcdirs' entry '../x' leaves its tree"),
    (GOOD.replace('["drivers/x"]', '["/usr/src/x"]'), "'srcdirs' entry '/usr/src/x' leaves"),
    (GOOD.replace('["targets/x.config"]', '["targets/../../x.config"]'),
     "'fragments' entry 'targets/../../x.config' leaves its tree"),
])
def test_a_bad_target_file_is_one_line(text: str, message: str) -> None:
    with pytest.raises(HarnessError) as err:
        targets.parse(text, "x.toml")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_an_unknown_target_names_the_known_ones() -> None:
    with pytest.raises(HarnessError,
                       match="unknown target 'nope'.*targets: kfault, modtests, netdevsim"):
        targets.load(CONFIGS, "nope")


def test_known_bugs_file_entries_are_checked() -> None:
    bugs = known_bugs.load_bugs(CONFIGS)
    assert [b.id for b in bugs] == ["CVE-2024-25740", "sysctl-insert-header-erase",
                                    "ida-alloc-range-bitmap"]
    assert [k.op for k in known_bugs.load_suite_findings(CONFIGS)] == [
        "property-entry.pe_test_reference",
        "sysctl_test.sysctl_test_register_sysctl_sz_invalid_extra_value", "*", "*"]
    with pytest.raises(HarnessError, match="live_callers, if any, a list of strings"):
        known_bugs.parse_bugs('[[bug]]\nid = "x"\ntitle = "t"\nfixed = "f"\n'
                              'live_callers = "a<-b"\n', "bugs.toml")
    with pytest.raises(HarnessError, match="bugs.toml: bug 1 needs id, title, fixed"):
        known_bugs.parse_bugs('[[bug]]\nid = "x"\n', "bugs.toml")


def test_a_point_is_a_known_kernel_bug_only_when_all_its_live_sites_are() -> None:
    # the live leak check's sites of a refdev core_create point (make kunit):
    # the CVE's name leak, and the same with a site of the target's own
    [cve] = [b.as_known() for b in known_bugs.load_bugs(CONFIGS) if b.id == "CVE-2024-25740"]
    assert cve is not None
    site = "mm/util.c:64 kstrdup<-kobject_set_name_vargs<-kobject_init_and_add<-sysfs_slab_add"
    assert re.search(cve.evidence, f"leaked {site} +2/+264B")
    assert re.search(cve.evidence, f"leaked {site} +1/+132B,{site} +1/+132B")
    assert not re.search(cve.evidence, f"leaked {site} +2/+264B,refdev_core.c:40 "
                                       "refdev_core_create +1/+64B")
    assert not re.search(cve.evidence, "leaked mm/util.c:64 kstrdup<-kobject_set_name_vargs"
                                       "<-device_add +1/+8B")


MYDRV = """name = "mydrv"
description = "a driver of the user's, its target file kept beside it"
fragments = ["mydrv.config"]
suites = "mydrv_fault"
sweep_suite = "mydrv_fault"
srcdirs = ["drivers/misc/mydrv"]
prefix = "mydrv_"
"""


def test_a_target_file_of_the_users_has_its_fragments_beside_it(tmp_path: Path) -> None:
    (tmp_path / "mydrv.toml").write_text(MYDRV)
    (tmp_path / "mydrv.config").write_text("CONFIG_MYDRV_FAULT_KUNIT_TEST=y\n")
    for name in (str(tmp_path / "mydrv.toml"), f"{tmp_path}/./mydrv.toml"):
        t = targets.resolve(CONFIGS, name)
        assert t.name == "mydrv" and t.origin == tmp_path / "mydrv.toml"
        assert t.fragments == (str(tmp_path / "mydrv.config"),)
        assert any(k.why.startswith("known kernel bug") for k in t.known)   # ours apply too
    assert targets.resolve(CONFIGS, "refdev").origin is None    # a name: configs/targets


@pytest.mark.parametrize("text, message", [
    (MYDRV.replace('"mydrv.config"', '"other.config"'), "fragment 'other.config': no "),
    (MYDRV.replace('"mydrv.config"', '"../mydrv.config"'), "leaves its tree"),
    (MYDRV.replace('name = "mydrv"', 'name = "my drv"'), "letters, digits, - and _ only"),
    (MYDRV + "srcdir = 1\n", "unknown key 'srcdir'"),
])
def test_a_bad_target_file_of_the_users_is_one_line(tmp_path: Path, text: str,
                                                    message: str) -> None:
    (tmp_path / "mydrv.toml").write_text(text)
    (tmp_path / "mydrv.config").write_text("CONFIG_MYDRV_FAULT_KUNIT_TEST=y\n")
    with pytest.raises(HarnessError, match=re.escape(message)):
        targets.resolve(CONFIGS, str(tmp_path / "mydrv.toml"))


def test_the_readmes_example_target_file_is_one_the_harness_takes() -> None:
    readme = (CONFIGS.parent / "README.md").read_text()
    block = readme[readme.index("    # mydrv.toml"):readme.index("    make sweep TARGET=path")]
    t = targets.parse("\n".join(line[4:] for line in block.splitlines()), "README.md")
    assert t.user is not None and [op.name for op in t.user.ops] == ["open"]
