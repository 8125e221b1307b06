"""The sync tests' fleet, clock and helpers (fixtures in tests/core/ingest/conftest.py).

One small synthetic fleet goes two ways into a warehouse: synced from a test influxd (platform
readings) and moto S3 packets (raw readings), or imported from the same rows.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from core.auth import User

DAY = dt.date(2026, 3, 10)
LAST = DAY + dt.timedelta(days=1)  # the fleet's last day, with every planted problem
NOW = dt.datetime(2026, 3, 12)  # the sync's clock: LAST is complete
HISTORY_DAYS = 7
FIRST_DAYS = 9  # the first sync copies the whole fleet: 2026-03-03 to LAST
PLANTED = "m-0015"  # gets a raw/platform disagreement on LAST, 02:00-08:00 UTC, in S3 only
LATE = ("m-0006", "m-0013")  # raw meters whose packets of DAY arrive late (late-data test)
ALICE = User("alice", "Alice", "staff", None)
ISSUE_KEY = ["meter_id", "detector", "source", "start_ts", "end_ts", "severity", "status"]
READINGS = "SELECT meter_id, ts, value, source FROM readings ORDER BY meter_id, source, ts"
CLOCKS = (
    "SELECT meter_id, source, day, readings, off_grid, late, early, median_offset_s, "
    "max_offset_s FROM meter_clock_days ORDER BY meter_id, source, day"
)


def frame(db, sql, params=()):
    """A query's rows with engine-neutral types (PostgreSQL and DuckDB return different ones)."""
    df = db.fetch_df(sql, list(params))
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]) or col in ("ts", "start_ts", "end_ts"):
            df[col] = pd.to_datetime(df[col]).astype("datetime64[us]")
        elif pd.api.types.is_numeric_dtype(df[col]) and col not in ("value", "magnitude"):
            df[col] = df[col].astype("int64")
        elif col not in ("value", "magnitude"):
            df[col] = df[col].astype(object)
    return df.reset_index(drop=True)


def issue_rows(db):
    """The issues' comparable columns, sorted."""
    return frame(
        db, f"SELECT {', '.join(ISSUE_KEY)} FROM dq_issues ORDER BY {', '.join(ISSUE_KEY)}"
    )


def change_rows(db):
    """``reading_changes`` rows in the order they were written per meter-day."""
    return frame(
        db,
        "SELECT meter_id, day, origin, rows_changed, rescored_run FROM reading_changes "
        "ORDER BY meter_id, day, origin, changed_at",
    )


def gets(calls):
    """Keys of the GetObject calls recorded by ``s3_calls``."""
    return [key for op, key in calls if op == "GetObject"]


def lists(calls):
    """Prefixes of the ListObjectsV2 calls recorded by ``s3_calls``, sorted."""
    return sorted(prefix for op, prefix in calls if op == "ListObjectsV2")


def partitions(first, last):
    """Day partition prefixes from ``first`` to ``last`` (inclusive)."""
    return [f"raw/date={d:%Y-%m-%d}/" for d in pd.date_range(first, last)]
