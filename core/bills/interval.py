"""Interval usage per bill: the sum of its meter's platform readings over the bill's days."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import runs
from core.db.base import Database

INTERVAL_USAGE_COLUMNS = ["bill_id", "interval_sum", "coverage", "present", "expected"]

_INTERVAL_SQL = """
SELECT p.bill_id,
       sum(r.value) AS interval_sum,
       least(CAST(count(*) AS DOUBLE PRECISION) / max(p.expected), 1.0) AS coverage,
       count(*) AS present,
       max(p.expected) AS expected
FROM _bill_periods p
JOIN readings r ON r.meter_id = p.meter_id AND r.ts >= p.start_ts AND r.ts < p.end_ts
WHERE r.source = 'platform'
GROUP BY p.bill_id
"""
_PERIODS_TABLE = """CREATE TEMP TABLE _bill_periods (
    bill_id VARCHAR(256), meter_id VARCHAR(256), start_ts TIMESTAMP, end_ts TIMESTAMP,
    expected DOUBLE PRECISION)"""


def interval_usage(
    db: Database, bills: pd.DataFrame, meters: pd.DataFrame, run: runs.Run | None = None
) -> pd.DataFrame:
    """Sum of each bill's platform readings over its days, and their coverage, in one query.

    A bill's days are local days of its meter's timezone (``[period_start, period_end + 1 day)``
    converted to UTC per timezone, vectorised), so a DST month expects 1 hour more or less.

    Returns
    -------
    pd.DataFrame
        ``INTERVAL_USAGE_COLUMNS``: one row per bill with a known meter and at least one
        reading; ``coverage`` = present / expected intervals, at most 1. When metered bills
        exist but the warehouse has no readings at all (readings not landed), ``run`` gets a
        failed unit ``readings`` saying so, instead of the check silently judging nothing.
    """
    empty = pd.DataFrame(columns=INTERVAL_USAGE_COLUMNS)
    if bills.empty or meters.empty:
        return empty
    cols = ["meter_id", "interval_minutes", "timezone"]
    keep = ["bill_id", "meter_id", "period_start", "period_end"]
    per = bills.loc[bills["meter_id"].notna(), keep]
    per = per.merge(meters[[c for c in cols if c in meters]], on="meter_id", how="inner")
    if per.empty:
        return empty
    tz = per["timezone"].fillna("UTC") if "timezone" in per else pd.Series("UTC", index=per.index)
    minutes = per["interval_minutes"].fillna(15) if "interval_minutes" in per else 15
    start = pd.Series(pd.NaT, index=per.index, dtype="datetime64[us]")
    end = start.copy()
    for zone, idx in per.groupby(tz).groups.items():
        try:
            start.loc[idx] = _utc(per.loc[idx, "period_start"], zone)
            end.loc[idx] = _utc(per.loc[idx, "period_end"] + pd.Timedelta(days=1), zone)
        except Exception as exc:  # noqa: BLE001 - an unknown zone costs only its bills' sums
            for meter_id in sorted(per.loc[idx, "meter_id"].unique()):
                if run is not None:
                    run.fail_unit(meter_id, f"timezone {zone!r}: {exc}; no interval usage")
    periods = pd.DataFrame(
        {
            "bill_id": per["bill_id"],
            "meter_id": per["meter_id"],
            "start_ts": start,
            "end_ts": end,
            "expected": (end - start) / pd.to_timedelta(minutes, unit="min"),
        }
    ).dropna(subset=["start_ts", "end_ts"])
    periods = periods[periods["expected"] > 0]
    if periods.empty:
        return empty
    with db.transaction() as tx:  # the temp table lives and dies inside this transaction
        tx.execute(_PERIODS_TABLE)
        tx.insert_df("_bill_periods", periods)
        out = tx.fetch_df(_INTERVAL_SQL)
        tx.execute("DROP TABLE _bill_periods")
    if out.empty and run is not None and not db.fetch_value("SELECT count(*) FROM readings"):
        run.fail_unit(
            "readings",
            f"the warehouse has no readings: bill_interval_mismatch judged none of "
            f"{len(periods)} metered bills (readings land with `python -m jobs sync` or "
            "`python -m jobs import`)",
        )
    out["present"] = out["present"].astype("int64")
    return out[INTERVAL_USAGE_COLUMNS]


def _utc(days: pd.Series, zone: str) -> pd.Series:
    """Local midnights of ``days`` in ``zone`` as naive UTC (DST gaps shift forward)."""
    local = pd.to_datetime(days).dt.normalize()
    standard = np.zeros(len(local), bool)  # an ambiguous local midnight counts as standard time
    return (
        local.dt.tz_localize(zone, ambiguous=standard, nonexistent="shift_forward")
        .dt.tz_convert("UTC")
        .dt.tz_localize(None)
        .astype("datetime64[us]")
    )
