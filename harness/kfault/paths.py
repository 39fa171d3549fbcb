"""Where kfault's own files are, found through this package and nowhere else.

The C side (kunit/, module/, Kconfig) and the configurations (configs/) are
one tree, the *checkout*, that kfault links into a kernel tree and builds:
- run from a git checkout, or installed from one with `pip install -e`, the
  checkout is the one this package sits in (harness/kfault/ of it);
- installed from a wheel, the wheel carries a copy of it as package data,
  kfault/checkout-data/, laid out as the checkout is.
The user-space helper and its init scripts (kfault/user/) and the report
templates live in the package itself.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from .errors import HarnessError

# what the wheel's backend (harness/build_backend.py) copies into the package
CHECKOUT_PARTS = ("Kconfig", "configs", "kunit", "module")
WHEEL_DATA = "checkout-data"


def package_dir() -> Path:
    return Path(str(resources.files(__package__ or "kfault")))


def _is_checkout(path: Path) -> bool:
    return (path / "configs").is_dir() and (path / "kunit").is_dir()


def checkout() -> Path:
    """The checkout whose C side and configurations this kfault builds."""
    pkg = package_dir()
    for candidate in (pkg / WHEEL_DATA, pkg.parent.parent):
        if _is_checkout(candidate):
            return candidate
    raise HarnessError(f"kfault: no configs/ and kunit/ beside this package ({pkg}): "
                       "install it from a kfault checkout (pip install -e harness)")


def user_dir(repo: Path) -> Path:
    """The user-space helper's sources and init scripts, of the checkout at repo
    (a review's copy has its own) or, for a wheel, of this package."""
    inside = repo / "harness" / "kfault" / "user"
    return inside if inside.is_dir() else package_dir() / "user"


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("KFAULT_CACHE", str(Path(base) / "kfault")))


def default_kdir() -> Path:
    return Path(os.environ.get("KDIR") or default_cache() / "linux-source-6.12")
