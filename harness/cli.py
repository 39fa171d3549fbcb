"""Command line: python3 -m harness <command>.  The only module that exits."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import configs, runner, tree
from .errors import HarnessError

REPO = Path(__file__).resolve().parent.parent


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("KFAULT_CACHE", str(Path(base) / "kfault")))


def default_kdir() -> Path:
    return Path(os.environ.get("KDIR") or default_cache() / "linux-source-6.12")


def cmd_link(args: argparse.Namespace) -> int:
    for change in tree.link(args.kdir, REPO):
        print(f"link: {change}")
    return 0


def cmd_unlink(args: argparse.Namespace) -> int:
    for change in tree.unlink(args.kdir):
        print(f"unlink: {change}")
    return 0


def cmd_configs(args: argparse.Namespace) -> int:
    text = configs.compose(REPO / "configs")
    target = REPO / "configs/.kunitconfig"
    if args.check:
        if not target.is_file() or target.read_text() != text:
            raise HarnessError("configs/.kunitconfig is stale: run 'make configs' and commit it")
        return 0
    if not target.is_file() or target.read_text() != text:
        target.write_text(text)
        print(f"configs: wrote {target}")
    return 0


def cmd_kunit(args: argparse.Namespace) -> int:
    tree.link(args.kdir, REPO)
    cmd_configs(argparse.Namespace(check=False))
    build_dir = args.build_dir or args.kdir / ".kunit-kfault"
    req = runner.KunitRequest(kdir=args.kdir, build_dir=build_dir,
                              kunitconfig_dir=REPO / "configs", filter_glob=args.filter,
                              timeout=args.timeout)
    return runner.run_kunit(req)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m harness",
        description="kfault: fault-injection harness for kernel drivers")
    parser.add_argument("--kdir", type=Path, default=None,
                        help="kernel tree (default: $KDIR or the cached linux-source-6.12)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("link", help="link this repository into the kernel tree").set_defaults(
        func=cmd_link)
    sub.add_parser("unlink", help="undo 'link'").set_defaults(func=cmd_unlink)
    p = sub.add_parser("configs", help="regenerate configs/.kunitconfig")
    p.add_argument("--check", action="store_true", help="fail if it is stale")
    p.set_defaults(func=cmd_configs)
    p = sub.add_parser("kunit", help="build and run our suites with kunit.py under UML")
    p.add_argument("--build-dir", type=Path, default=None)
    p.add_argument("--timeout", type=int, default=1200)
    p.add_argument("filter", nargs="?", default="", help="suite[.test] glob")
    p.set_defaults(func=cmd_kunit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.kdir is None:
        args.kdir = default_kdir()
    try:
        return int(args.func(args))
    except HarnessError as err:
        print(f"kfault: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("kfault: interrupted", file=sys.stderr)
        return 130
