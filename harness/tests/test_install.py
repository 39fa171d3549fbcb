"""kfault as an installed package: our build backend (harness/build_backend.py)
and pip, with no index at all."""
from __future__ import annotations

import base64
import hashlib
import subprocess
import zipfile
from pathlib import Path

import build_backend

HARNESS = Path(build_backend.__file__).resolve().parent
PYTHON = "/usr/bin/python3"     # Debian's, whose venv module and pip we use


def _wheel(tmp_path: Path, editable: bool) -> zipfile.ZipFile:
    build = build_backend.build_editable if editable else build_backend.build_wheel
    return zipfile.ZipFile(tmp_path / build(str(tmp_path)))


def _record_holds(z: zipfile.ZipFile) -> None:
    info = next(n for n in z.namelist() if n.endswith(".dist-info/RECORD"))
    for line in z.read(info).decode().splitlines():
        name, digest, size = line.split(",")
        if name == info:
            continue
        data = z.read(name)
        want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={want}", len(data)), name


def test_the_wheel_carries_the_package_and_the_checkout(tmp_path: Path) -> None:
    z = _wheel(tmp_path, editable=False)
    names = set(z.namelist())
    assert {"kfault/cli.py", "kfault/paths.py", "kfault/user/kfault-user.c",
            "kfault/results/templates/report.html.j2",
            "kfault/checkout-data/configs/targets/refdev.toml",
            "kfault/checkout-data/kunit/kfault/kfault.h",
            "kfault/checkout-data/Kconfig"} <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]
    entry = z.read("kfault-0.9.0.dist-info/entry_points.txt").decode()
    assert "kfault = kfault.cli:main" in entry and "[pytest11]" in entry
    _record_holds(z)


def test_the_editable_wheel_maps_kfault_alone(tmp_path: Path) -> None:
    z = _wheel(tmp_path, editable=True)
    pth = z.read("_kfault_editable.pth").decode()
    assert pth.startswith("import ") and str(HARNESS) in pth
    _record_holds(z)


def test_pip_installs_it_and_kfault_runs_from_anywhere(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([PYTHON, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin/pip"), "install", "--no-deps", "--no-index",
                          "--disable-pip-version-check", "-e", str(HARNESS)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    usage = subprocess.run([str(venv / "bin/kfault"), "--help"], capture_output=True,
                           text=True, cwd=elsewhere, env={"PATH": "/usr/bin:/bin"})
    assert usage.returncode == 0 and "usage: kfault" in usage.stdout
    targets = subprocess.run([str(venv / "bin/kfault"), "targets"], capture_output=True,
                             text=True, cwd=elsewhere, env=env)
    assert targets.returncode == 0 and "refdev (default):" in targets.stdout
    version = subprocess.run([str(venv / "bin/kfault"), "--version"], capture_output=True,
                             text=True, cwd=elsewhere, env=env)
    assert version.stdout.startswith("kfault 0.9.0 (") and str(HARNESS.parent) in version.stdout
    # the package alone: nothing else of harness/ became importable
    other = subprocess.run([str(venv / "bin/python"), "-c", "import tests"],
                           capture_output=True, text=True, cwd=elsewhere, env=env)
    assert other.returncode == 1 and "No module named 'tests'" in other.stderr
    # and python3 -m kfault works as well
    module = subprocess.run([str(venv / "bin/python"), "-m", "kfault", "--help"],
                            capture_output=True, text=True, cwd=elsewhere, env=env)
    assert module.returncode == 0 and "usage: kfault" in module.stdout
