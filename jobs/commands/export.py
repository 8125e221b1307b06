"""Commands that print stored results: ``export`` (CSV, JSON, bill workbook) and ``evaluate``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from core import config
from core.errors import DQHubError
from jobs.commands import today

if TYPE_CHECKING:
    from core.db import Database


def _results_db(what: str) -> Database:
    """Where ``what`` is stored: faults and projects may live in DQ_PROJECTS_DB_URL."""
    from core.db import open_warehouse
    from core.overshoot.store import projects_db

    db = open_warehouse()
    return projects_db(db) if what in ("overshoot", "projects") else db


def cmd_export(args: argparse.Namespace) -> int:
    from core.export import WORKBOOKS, export, workbook

    if args.format == "xlsx":
        if not args.output and args.what in WORKBOOKS:  # else: workbook() names the problem
            raise DQHubError("--format xlsx writes a workbook: add --output FILE (e.g. bills.xlsx)")
        data = workbook(_results_db(args.what), args.what, args.date, by=_runner())
        _write(Path(args.output), data)
        print(f"wrote {args.output}")
        return 0
    text = export(_results_db(args.what), args.what, args.format, args.date, month=args.month)
    if args.output:
        _write(Path(args.output), text.encode())
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _runner() -> str:
    """Who runs the command, for the workbook's summary tab."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        name = "unknown"
    return f"python -m jobs export (run by {name}), every account"


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file, then a rename)."""
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise DQHubError(f"Cannot write {path}: {exc.strerror or exc}") from exc


def cmd_evaluate(args: argparse.Namespace) -> int:
    from core.db import open_warehouse
    from core.dq import evaluate

    days = args.days or config.get("DQ_EVALUATE_DAYS")
    day = args.date or today()
    table = evaluate.precision(open_warehouse(), day, days)
    if args.format == "json":
        sys.stdout.write(table.to_json(orient="records") + "\n")
        return 0
    if args.format == "csv":
        sys.stdout.write(table.to_csv(index=False))
        return 0
    print(f"Precision from people's verdicts, {evaluate.window_text(day, days)} (UTC)")
    if table.empty:
        print("  no meter issue in the window")
        return 0
    print(f"  {'detector':<24}{'judged':>8}{'confirmed':>11}{'not issue':>11}{'precision':>11}"
          f"{'unjudged':>10}")  # fmt: skip
    for r in table.itertuples(index=False):
        prec = "-" if _isna(r.precision) else f"{r.precision:.0%}"
        print(f"  {r.detector:<24}{r.judged:>8}{r.confirmed:>11}{r.not_an_issue:>11}{prec:>11}"
              f"{r.unjudged:>10}")  # fmt: skip
    return 0


def _isna(value: object) -> bool:
    """NaN or None (a detector without verdicts has no precision)."""
    return value is None or value != value
