"""The partition key a job runs for (a UTC day or a month), shared by the CLI and the worker.

Callers pass ``today`` (the UTC date of the run); nothing here reads the clock, so a tick
that runs late still scores the partition it was scheduled for.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from core.db.base import Database
from core.errors import DQHubError

NO_READINGS = (
    "--date latest: the warehouse has no readings yet "
    "(run `python -m jobs sync`, `python -m jobs import` or, for the demo, `python -m jobs demo`)"
)
PLATFORM_SYNC = "influxdb"  # sync_state.source of the platform readings


def latest_day(db: Database) -> date:
    """The last complete UTC day of readings in the warehouse (``run dq --date latest``).

    Where platform readings are synced (``sync_state`` has their high water mark), a day is
    complete once a sync covered all of it: the latest is the day before the mark's, or the
    day of the last reading if that is earlier. Where readings are imported, it is the day of
    the last reading.

    Raises
    ------
    DQHubError
        If the warehouse has no readings.
    """
    latest = db.fetch_value("SELECT max(ts) FROM readings")
    if latest is None or pd.isna(latest):
        raise DQHubError(NO_READINGS)
    day = pd.Timestamp(latest).date()
    mark = db.fetch_value(
        "SELECT max(high_water) FROM sync_state WHERE source = ?", (PLATFORM_SYNC,)
    )
    if mark is not None and not pd.isna(mark):
        day = min(day, pd.Timestamp(mark).date() - timedelta(days=1))
    return day


def latest_full_day(db: Database, today: date) -> date:
    """The last day with readings, but never ``today`` (still filling up): the worker's dq day."""
    return min(latest_day(db), today - timedelta(days=1))


def resolve_day(db: Database, value: date | str, today: date) -> date:
    """``value`` as a date: a date, ``today``, ``yesterday`` or ``latest`` (see latest_day)."""
    if isinstance(value, date):
        return value
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    if value == "latest":
        return latest_day(db)
    raise DQHubError(f"{value!r} is not a day; expected YYYY-MM-DD, today, yesterday or latest")


def last_full_month(today: date) -> str:
    """The month before ``today``'s, as ``YYYY-MM`` (the overshoot job's default)."""
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
