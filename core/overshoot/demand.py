"""Load one month of building demand for the morning-overshoot scan.

``load_month`` runs one SQL aggregate over ``readings`` (platform source) of the eligible
electricity meters (``dq_enabled``, account active, building not archived) and returns
building demand in kW per 15-minute slot, naive UTC, ready for
:func:`core.overshoot.detect.building_days`.

Resolution choice: everything is aggregated on the **15-minute grid**. A 15-minute reading
contributes ``value x 4`` kW to its slot; an hourly reading contributes ``value x 1`` kW (its
hour's average demand) to each of that hour's four 15-minute slots. Mixed buildings (one
15-minute and one hourly meter) therefore sum slot by slot, and a purely hourly building
still has 96 slots a day. Meter intervals must be multiples of 15 minutes up to 60.

A slot counts as present only when **every** eligible electricity meter of the building has a
reading for it: a partial sum would understate demand, so a slot missing any meter is NaN
(missing) and lowers the day's completeness instead.

The month is loaded with one day of margin on each side (UTC) so that local days at the
month's edges are complete in every time zone.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from core.db.base import Database
from core.overshoot.detect import Params

# Detectors whose open/acknowledged high-severity issues make a morning untrustworthy.
BLOCKING_DETECTORS = ("offline", "flatline", "spike_positive", "spike_negative")
BLOCKING_STATUSES = ("open", "acknowledged")

_METERS = """
SELECT meter_id, building_id, interval_minutes
FROM meters
WHERE kind = 'electricity' AND dq_enabled AND account_active AND NOT building_archived
"""

_DEMAND_SQL = f"""
WITH m AS ({_METERS}),
nm AS (SELECT building_id, count(*) AS n FROM m GROUP BY building_id),
s AS (
    SELECT m.building_id, r.meter_id, r.ts + o.k * INTERVAL '15 minutes' AS ts,
           avg(r.value * 60.0 / m.interval_minutes) AS kw
    FROM readings r
    JOIN m ON r.meter_id = m.meter_id
    JOIN (VALUES (0), (1), (2), (3)) AS o(k) ON o.k * 15 < m.interval_minutes
    WHERE r.source = 'platform' AND r.ts >= ? AND r.ts < ?
    GROUP BY m.building_id, r.meter_id, r.ts + o.k * INTERVAL '15 minutes'
)
SELECT s.building_id, s.ts,
       CASE WHEN count(DISTINCT s.meter_id) = max(nm.n) THEN sum(s.kw) END AS kw
FROM s JOIN nm ON s.building_id = nm.building_id
GROUP BY s.building_id, s.ts
ORDER BY s.building_id, s.ts
"""

_BUILDINGS_SQL = """
SELECT building_id, min(account_id) AS account_id, min(building_name) AS building_name,
       min(timezone) AS timezone
FROM meters
WHERE kind = 'electricity' AND dq_enabled AND account_active AND NOT building_archived
GROUP BY building_id
ORDER BY building_id
"""

_ISSUES_SQL = f"""
WITH m AS ({_METERS})
SELECT m.building_id, i.start_ts, i.end_ts
FROM dq_issues i JOIN m ON i.meter_id = m.meter_id
WHERE i.kind = 'meter' AND i.severity = 'high'
  AND i.detector IN ({", ".join("?" for _ in BLOCKING_DETECTORS)})
  AND i.status IN ({", ".join("?" for _ in BLOCKING_STATUSES)})
  AND i.start_ts < ? AND (i.end_ts IS NULL OR i.end_ts > ?)
"""

DEMAND_COLUMNS = ["building_id", "ts", "kw", "timezone", "slot_minutes"]


def month_bounds(month: str) -> tuple[date, date]:
    """First day of ``month`` (``YYYY-MM``) and first day of the next month."""
    first = date.fromisoformat(f"{month}-01")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt


def load_month(
    db: Database, month: str, params: Params | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Demand, blocked days and buildings for ``month`` (``YYYY-MM``).

    Returns
    -------
    demand : pd.DataFrame
        ``building_id``, ``ts`` (naive UTC 15-minute slot start), ``kw`` (NaN when a meter of
        the building is missing), ``timezone``, ``slot_minutes`` (15).
    blocked : pd.DataFrame
        ``building_id``, ``day`` (local date): days whose morning window overlaps an open or
        acknowledged high-severity offline/flatline/spike issue on one of the building's
        eligible electricity meters.
    buildings : pd.DataFrame
        ``building_id``, ``account_id``, ``building_name``, ``timezone``.
    """
    p = params or Params()
    first, nxt = month_bounds(month)
    start = pd.Timestamp(first - timedelta(days=1))
    end = pd.Timestamp(nxt + timedelta(days=1))
    with db.transaction() as tx:
        buildings = tx.fetch_df(_BUILDINGS_SQL)
        demand = tx.fetch_df(_DEMAND_SQL, (start, end))
        issues = tx.fetch_df(
            _ISSUES_SQL, (*BLOCKING_DETECTORS, *BLOCKING_STATUSES, end, start)
        )
    zones = buildings.set_index("building_id")["timezone"].fillna("UTC").astype(str)
    demand["ts"] = pd.to_datetime(demand["ts"]).astype("datetime64[ns]")
    demand["kw"] = pd.to_numeric(demand["kw"]).astype(float)
    demand["timezone"] = zones.reindex(demand["building_id"]).fillna("UTC").to_numpy()
    demand["slot_minutes"] = 15
    blocked = blocked_days(issues, zones, start, end, p)
    return demand[DEMAND_COLUMNS], blocked, buildings


def blocked_days(
    issues: pd.DataFrame, zones: pd.Series, start: pd.Timestamp, end: pd.Timestamp, p: Params
) -> pd.DataFrame:
    """Local days whose morning window ``[morning_start_h, morning_end_h)`` overlaps an issue.

    ``issues`` has ``building_id``, ``start_ts``, ``end_ts`` (naive UTC; a NULL end means
    still going, i.e. up to ``end``). Issues are few, so each is expanded to its candidate
    local days and the overlap tested vectorised.
    """
    cols = ["building_id", "day"]
    if issues.empty:
        return pd.DataFrame(columns=cols)
    iss = issues.copy()
    iss["start_ts"] = pd.to_datetime(iss["start_ts"]).astype("datetime64[ns]")
    iss["end_ts"] = pd.to_datetime(iss["end_ts"]).astype("datetime64[ns]").fillna(end)
    iss["tz"] = zones.reindex(iss["building_id"]).fillna("UTC").to_numpy()
    rows = []
    for tz, grp in iss.groupby("tz"):
        lo = grp["start_ts"].dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
        hi = grp["end_ts"].dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
        g = grp.assign(
            day=[
                list(pd.date_range(a.normalize() - pd.Timedelta(days=1), b.normalize()))
                for a, b in zip(lo, hi, strict=True)
            ]
        ).explode("day")
        g["day"] = pd.to_datetime(g["day"]).astype("datetime64[ns]")
        kw = {"ambiguous": "NaT", "nonexistent": "shift_forward"}
        m0 = (g["day"] + pd.Timedelta(hours=p.morning_start_h)).dt.tz_localize(tz, **kw)
        m1 = (g["day"] + pd.Timedelta(hours=p.morning_end_h)).dt.tz_localize(tz, **kw)
        m0 = m0.dt.tz_convert("UTC").dt.tz_localize(None)
        m1 = m1.dt.tz_convert("UTC").dt.tz_localize(None)
        hit = (g["start_ts"] < m1) & (g["end_ts"] > m0)
        rows.append(g.loc[hit.fillna(True), cols])
    out = pd.concat(rows, ignore_index=True).drop_duplicates(ignore_index=True)
    out["day"] = out["day"].dt.date
    return out
