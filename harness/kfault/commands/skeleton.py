"""kfault skeleton DIR: a target file, its fragment and an op-table stub for a
driver directory of the kernel tree, written to a directory of the user's."""
from __future__ import annotations

from pathlib import Path

from ..checkout import scaffold
from ..errors import HarnessError


def write(kdir: Path, srcdir: str, out: Path) -> list[Path]:
    """The files written, in out; nothing is overwritten."""
    if srcdir.startswith("/") or ".." in Path(srcdir).parts:
        raise HarnessError(f"skeleton {srcdir}: want a directory relative to the kernel "
                           "tree, e.g. drivers/net/netdevsim")
    where = kdir / srcdir
    if not where.is_dir():
        raise HarnessError(f"skeleton {srcdir}: no such directory in {kdir}")
    sources = {p.name: p.read_text(errors="replace") for p in sorted(where.glob("*.c"))}
    make = where / "Makefile"
    driver = scaffold.driver(srcdir, sources, make.read_text() if make.is_file() else "")
    texts = scaffold.files(driver)
    taken = [name for name in texts if (out / name).exists()]
    if taken:
        raise HarnessError(f"skeleton: {out / taken[0]} exists; nothing written "
                           "(name another --out)")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / name).write_text(text)
    return [out / name for name in texts]
