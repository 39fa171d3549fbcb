"""kfault skeleton: a target file, fragment and op-table stub for a driver directory."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kfault.checkout import scaffold, targets
from kfault.commands import skeleton as skeleton_cmd
from kfault.errors import HarnessError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

# drivers/net/netdevsim/Makefile of 6.12.117, its first lines
NETDEVSIM_MAKEFILE = """# SPDX-License-Identifier: GPL-2.0

obj-$(CONFIG_NETDEVSIM) += netdevsim.o

netdevsim-objs := \\
\tnetdev.o dev.o ethtool.o fib.o bus.o health.o hwstats.o udp_tunnels.o
"""
# definitions as drivers/net/netdevsim/bus.c has them
BUS_C = """static ssize_t
nsim_bus_dev_numvfs_store(struct device *dev, struct device_attribute *attr,
static int nsim_bus_probe(struct device *dev)
static void nsim_bus_remove(struct device *dev)
static struct nsim_bus_dev *
nsim_bus_dev_new(unsigned int id, unsigned int port_count, unsigned int num_queues)
int nsim_bus_init(void)
void nsim_bus_exit(void)
static int __init helper_setup(void)
"""


def test_the_prefix_and_config_are_guessed_from_the_directory() -> None:
    assert scaffold.guess_prefix({"bus.c": BUS_C}) == "nsim_"
    assert scaffold.guess_prefix({"a.c": "int foo_a(void)\nint bar_b(void)\n"}) == "foo_"
    assert scaffold.guess_prefix({"a.c": "int a_x(void)\nint b_y(void)\nint c_z(void)\n"}) == ""
    assert scaffold.guess_config(NETDEVSIM_MAKEFILE, "netdevsim") == "CONFIG_NETDEVSIM"
    assert scaffold.guess_config("obj-$(CONFIG_A) += a.o\nobj-$(CONFIG_B) += b.o\n",
                                 "c") is None


def test_the_skeleton_is_a_target_file_that_loads_with_every_key_documented(
        tmp_path: Path) -> None:
    kdir = tmp_path / "linux"
    (kdir / "drivers/net/netdevsim").mkdir(parents=True)
    (kdir / "drivers/net/netdevsim/bus.c").write_text(BUS_C)
    (kdir / "drivers/net/netdevsim/Makefile").write_text(NETDEVSIM_MAKEFILE)
    out = tmp_path / "mine"
    written = skeleton_cmd.write(kdir, "drivers/net/netdevsim/", out)
    assert [p.name for p in written] == ["netdevsim.toml", "netdevsim.config",
                                         "netdevsim_fault_kunit.c", "Kconfig.snippet",
                                         "Makefile.snippet"]
    t = targets.resolve(CONFIGS, str(out / "netdevsim.toml"))
    assert (t.name, t.prefix, t.srcdirs, t.sweep_suite) == (
        "netdevsim", "nsim_", ("drivers/net/netdevsim",), "netdevsim_fault")
    lines = (out / "netdevsim.toml").read_text().splitlines()
    for num, line in enumerate(lines):
        if re.match(r"^\w+ = ", line):
            assert lines[num - 1].startswith("#"), f"{line!r} has no comment above it"
    config = (out / "netdevsim.config").read_text()
    assert "CONFIG_NETDEVSIM=y" in config and "CONFIG_NETDEVSIM_FAULT_KUNIT_TEST=y" in config
    c = (out / "netdevsim_fault_kunit.c").read_text()
    assert "KFAULT_SUITE(netdevsim_fault, netdevsim_target" in c
    assert "return -EOPNOTSUPP;" in c       # unedited, its baseline fails: never a pass
    assert "depends on NETDEVSIM=y && KFAULT" in (out / "Kconfig.snippet").read_text()
    with pytest.raises(HarnessError, match="exists; nothing written"):
        skeleton_cmd.write(kdir, "drivers/net/netdevsim", out)


@pytest.mark.parametrize("srcdir, message", [
    ("drivers/nope", "no such directory"),
    ("../etc", "want a directory relative to the kernel tree"),
    ("drivers/empty", "no .c file there"),
    ("drivers/b@d", "cannot name a target"),
])
def test_a_bad_skeleton_directory_is_one_line(tmp_path: Path, srcdir: str,
                                              message: str) -> None:
    (tmp_path / "drivers/empty").mkdir(parents=True)
    (tmp_path / "drivers/b@d").mkdir(parents=True)
    (tmp_path / "drivers/b@d/x.c").write_text("int x_y(void)\n")
    with pytest.raises(HarnessError, match=re.escape(message)):
        skeleton_cmd.write(tmp_path, srcdir, tmp_path / "out")
