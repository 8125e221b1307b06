"""Commands that run jobs once: ``run dq|bills|overshoot`` and ``backfill`` (dq over a range).

Each prints a one-line summary and up to 20 failures, exits 3 when the run was not ok, and
refreshes the app's local cache of a remote warehouse afterwards.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import TYPE_CHECKING

from core import config
from core.errors import DQHubError
from jobs.commands import today

if TYPE_CHECKING:
    from core.db import Database


def _resolve_day(db: Database, value: date | str) -> date:
    from core.worker import partitions

    return partitions.resolve_day(db, value, today())


def last_full_month() -> str:
    """The default month of ``run overshoot``: the last full month (UTC), YYYY-MM."""
    from core.worker import partitions

    return partitions.last_full_month(today())


def _run_overshoot(args: argparse.Namespace) -> int:
    from core.db import open_warehouse
    from core.overshoot import job

    if args.date is not None or args.history_days is not None:
        raise DQHubError("run overshoot: use --month YYYY-MM (--date/--history-days are for dq)")
    month = args.month or last_full_month()
    s = job.run(open_warehouse(), month)
    counts = ", ".join(f"{k} {v}" for k, v in s.projects.items())
    print(
        f"overshoot {month}: run {s.run_id} {s.status}: {s.units_total} buildings, "
        f"{s.faults} faults, {s.units_failed} buildings failed; projects: {counts}"
    )
    for unit, reason in s.failures[:20]:
        print(f"  failed {unit}: {reason}")
    return 0 if s.status == "ok" else 3


def refresh_app_cache() -> None:
    """After a run on a remote warehouse, refresh the app's local copy (DQ_CACHE_PATH)."""
    from core.db.cache import is_remote, refresh_after_job

    if is_remote(config.get("DQ_WAREHOUSE")):
        from core.db import connect

        if refresh_after_job(connect()):
            print(f"app cache {config.get('DQ_CACHE_PATH')} refreshed")


def cmd_run(args: argparse.Namespace) -> int:
    try:
        return _run_job(args)
    finally:
        refresh_app_cache()


def _run_job(args: argparse.Namespace) -> int:
    if args.job == "overshoot":
        return _run_overshoot(args)
    if args.month is not None:
        raise DQHubError(f"run {args.job}: --month applies to run overshoot only")
    if args.job == "bills":
        return _run_bills(args)
    from core.db import open_warehouse
    from core.dq import job

    db = open_warehouse()
    day = _resolve_day(db, args.date or "yesterday")
    summary = job.run(db, day, history_days=args.history_days, progress=not args.quiet)
    _print_summary(day, summary)
    return 0 if summary.status == "ok" else 3


def _print_summary(day: date, summary: object) -> None:
    s = summary
    for earlier in s.rescored:  # type: ignore[attr-defined]
        print(f"re-scored {earlier.day}: {earlier.reason}")
        _print_summary(earlier.day, earlier)
    print(
        f"dq {day}: run {s.run_id} {s.status}: {s.units_total} meters, "  # type: ignore[attr-defined]
        f"{s.issues_found} issues, {s.units_failed} meters failed"  # type: ignore[attr-defined]
    )
    for unit, reason in s.failures[:20]:  # type: ignore[attr-defined]
        print(f"  failed {unit}: {reason}")


def _run_bills(args: argparse.Namespace) -> int:
    from core.bills import job
    from core.db import open_warehouse

    if args.history_days is not None:
        raise DQHubError("run bills: --history-days applies to run dq only")
    if args.date == "latest":
        raise DQHubError("run bills: --date latest applies to run dq only; give YYYY-MM-DD")
    db = open_warehouse()
    day = _resolve_day(db, args.date or "today")
    s = job.run(db, day, progress=not args.quiet)
    print(
        f"bills {day}: run {s.run_id} {s.status}: {s.units_total} bills, {s.issues_found} issues, "
        f"{s.skipped} bills skipped, {len({b for b, _ in s.notes})} bills normalised, "
        f"{s.resolved} resolved, "
        f"{s.units_failed} units failed"
    )
    for unit, reason in s.failures[:20]:
        print(f"  failed {unit}: {reason}")
    if len(s.failures) > 20:
        print(f"  ... and {len(s.failures) - 20} more (dq_runs.error has them all)")
    return 0 if s.status == "ok" else 3


def cmd_backfill(args: argparse.Namespace) -> int:
    from core.db import open_warehouse
    from core.dq import job

    if args.to_day < args.from_day:
        raise DQHubError(f"backfill: --to {args.to_day} is before --from {args.from_day}")
    db = open_warehouse()
    worst = 0
    day = args.from_day
    while day <= args.to_day:
        summary = job.run(db, day, history_days=args.history_days, progress=not args.quiet)
        _print_summary(day, summary)
        worst = max(worst, 0 if summary.status == "ok" else 3)
        day += timedelta(days=1)
    refresh_app_cache()
    return worst
