"""Writing a run's reports to a directory: the only report module that touches files."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import baseline as baseline_mod
from . import kcidb, model, render, report
from ..errors import HarnessError
from ..checkout.known_bugs import KernelBug

FILES = ("report.json", "junit.xml", "summary.md", "report.html", "kcidb.json")


def load_baseline(path: Path) -> dict[str, Any]:
    """A report.json of an earlier run; HarnessError (one line) if it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HarnessError(f"baseline {path}: no such file (pass the report.json of an "
                           f"earlier run)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise HarnessError(f"baseline {path}: cannot read it: {err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise HarnessError(f"baseline {path} is not JSON: {err}") from None
    return baseline_mod.validate(data, f"baseline {path}")


def write_reports(log: model.RunLog, out_dir: Path, meta: report.RunMeta,
                  symbols: model.Symbols | None = None,
                  baseline: Path | None = None, bugs: tuple[KernelBug, ...] = ()
                  ) -> dict[str, Any]:
    """Write report.json, junit.xml, summary.md, report.html, kcidb.json (and baseline.md when
    a baseline report.json is given) for one parsed run; return report.json's
    document.  A bad baseline raises HarnessError before anything is written."""
    before = load_baseline(baseline) if baseline is not None else None
    rep = report.build(log, meta, symbols, bugs)
    doc = report.to_dict(rep)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {"report.json": json.dumps(doc, indent=2) + "\n",
               "junit.xml": render.junit_xml(rep),
               "summary.md": render.markdown(rep),
               "report.html": render.html(rep),
               "kcidb.json": json.dumps(kcidb.to_kcidb(rep), indent=1) + "\n"}
    if before is not None and baseline is not None:
        cmp = baseline_mod.compare(doc, before)
        outputs["baseline.md"] = "\n".join(baseline_mod.markdown(cmp, str(baseline))) + "\n"
    for name, text in outputs.items():
        (out_dir / name).write_text(text, encoding="utf-8")
    return doc
