"""What one month's morning-overshoot scan covers, read in one transaction.

:func:`open_month` returns a :class:`MonthScope`: the eligible electricity meters
(``dq_enabled``, account active, building not archived) numbered by building then meter, their
buildings, and the **blocked days** (:func:`blocked_days`: local days whose morning overlaps an
open or acknowledged high-severity offline/flatline/spike issue on one of those meters, so the
morning is not trusted). :meth:`MonthScope.chunks` cuts the meters into chunks of whole
buildings, about ``CHUNK_METERS`` meters each, which :mod:`core.overshoot.demand` loads one at
a time.

The month is loaded with one day of margin on each side (UTC) so that local days at the
month's edges are complete in every time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.db.base import Transaction
from core.overshoot.detect import Params

# Detectors whose open/acknowledged high-severity issues make a morning untrustworthy.
BLOCKING_DETECTORS = ("offline", "flatline", "spike_positive", "spike_negative")
BLOCKING_STATUSES = ("open", "acknowledged")
CHUNK_METERS = 500  # meters loaded and scanned together (whole buildings): bounds memory

ELIGIBLE = "kind = 'electricity' AND dq_enabled AND account_active AND NOT building_archived"

# Meters numbered by (building, meter); DENSE_RANK gives a meter row listed twice one number,
# so the building still expects two meters (and never gets them), as it always has.
METER_INDEX_SQL = f"""
SELECT meter_id, building_id, interval_minutes,
       DENSE_RANK() OVER (ORDER BY building_id, meter_id) - 1 AS meter_index
FROM meters
WHERE {ELIGIBLE}
"""

_METERS_SQL = f"SELECT * FROM ({METER_INDEX_SQL}) q ORDER BY meter_index"

_BUILDINGS_SQL = f"""
SELECT building_id, min(account_id) AS account_id, min(building_name) AS building_name,
       min(timezone) AS timezone
FROM meters
WHERE {ELIGIBLE}
GROUP BY building_id
ORDER BY building_id
"""

_ISSUES_SQL = f"""
WITH m AS (SELECT meter_id, building_id FROM meters WHERE {ELIGIBLE})
SELECT m.building_id, i.start_ts, i.end_ts
FROM dq_issues i JOIN m ON i.meter_id = m.meter_id
WHERE i.kind = 'meter' AND i.severity = 'high'
  AND i.detector IN ({", ".join("?" for _ in BLOCKING_DETECTORS)})
  AND i.status IN ({", ".join("?" for _ in BLOCKING_STATUSES)})
  AND i.start_ts < ? AND (i.end_ts IS NULL OR i.end_ts > ?)
"""


def month_bounds(month: str) -> tuple[date, date]:
    """First day of ``month`` (``YYYY-MM``) and first day of the next month."""
    first = date.fromisoformat(f"{month}-01")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt


@dataclass(frozen=True)
class MonthScope:
    """What a month's scan covers, read in one transaction by :func:`open_month`.

    Attributes
    ----------
    month : str
        ``YYYY-MM``.
    start, end : pd.Timestamp
        The UTC range loaded: the month with one day of margin on each side.
    buildings : pd.DataFrame
        ``building_id``, ``account_id``, ``building_name``, ``timezone`` of every building with
        an eligible electricity meter, by ``building_id``.
    meters : pd.DataFrame
        ``meter_id``, ``building_id``, ``interval_minutes``, ``meter_index``: the eligible
        electricity meters numbered by building, then meter.
    blocked : pd.DataFrame
        ``building_id``, ``day`` (local date): see :func:`blocked_days`.
    """

    month: str
    start: pd.Timestamp
    end: pd.Timestamp
    buildings: pd.DataFrame
    meters: pd.DataFrame
    blocked: pd.DataFrame

    def chunks(
        self, chunk_meters: int = CHUNK_METERS, building_ids: Sequence[str] | None = None
    ) -> list[pd.DataFrame]:
        """The meters in chunks of whole buildings, about ``chunk_meters`` meters each.

        ``building_ids``: only these buildings (default: all).
        """
        meters = self.meters
        if building_ids is not None:
            meters = meters[meters["building_id"].isin(list(building_ids))]
        if meters.empty:
            return []
        bid = meters["building_id"].to_numpy()
        starts = np.flatnonzero(np.r_[True, bid[1:] != bid[:-1]])  # first meter of a building
        cuts = [0]
        for s in starts[1:]:
            if s - cuts[-1] >= chunk_meters:
                cuts.append(int(s))
        cuts.append(len(meters))
        return [meters.iloc[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


def open_month(tx: Transaction, month: str, params: Params | None = None) -> MonthScope:
    """Buildings, meters and blocked days of ``month`` (``YYYY-MM``); see :class:`MonthScope`."""
    p = params or Params()
    first, nxt = month_bounds(month)
    start = pd.Timestamp(first - timedelta(days=1))
    end = pd.Timestamp(nxt + timedelta(days=1))
    buildings = tx.fetch_df(_BUILDINGS_SQL)
    meters = tx.fetch_df(_METERS_SQL)
    issues = tx.fetch_df(_ISSUES_SQL, (*BLOCKING_DETECTORS, *BLOCKING_STATUSES, end, start))
    meters["meter_index"] = meters["meter_index"].astype(np.int64)
    meters["interval_minutes"] = meters["interval_minutes"].astype(np.int64)
    zones = buildings.set_index("building_id")["timezone"].fillna("UTC").astype(str)
    blocked = blocked_days(issues, zones, start, end, p)
    return MonthScope(month, start, end, buildings, meters, blocked)


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
        # candidate days: the local day before the start's through the end's
        first = lo.dt.normalize().to_numpy("datetime64[ns]") - np.timedelta64(1, "D")
        last = hi.dt.normalize().to_numpy("datetime64[ns]")
        n = (last - first) // np.timedelta64(1, "D") + 1
        rep = np.repeat(np.arange(len(grp)), np.maximum(n, 1))  # none: one NaT row, kept
        step = np.arange(len(rep)) - np.repeat(np.cumsum(np.maximum(n, 1)) - np.maximum(n, 1),
                                               np.maximum(n, 1))  # fmt: skip
        day = first[rep] + step.astype("timedelta64[D]")
        g = grp.iloc[rep].assign(day=np.where(n[rep] > 0, day, np.datetime64("NaT", "ns")))
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
