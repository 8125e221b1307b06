"""Commands that print stored results: ``export`` (CSV or JSON) and ``evaluate`` (precision)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from core import config
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
    from core.export import export

    sys.stdout.write(
        export(_results_db(args.what), args.what, args.format, args.date, month=args.month)
    )
    return 0


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
