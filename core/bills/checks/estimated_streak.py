"""estimated_streak: a meter billed on estimates for several bills in a row.

Two patterns, each reported once per streak on the streak's first bill (so the finding
keeps its id while the streak grows; ``details.bill_ids`` lists every bill):

* ``estimated``: at least ``min_bills`` consecutive bills flagged ``estimated``;
* ``repeated use per day``: at least ``min_bills`` consecutive bills *not* flagged
  estimated whose use per day is the same (within ``repeat_rel_tolerance`` plus
  ``repeat_rounding``): an estimate copied forward without the flag. Zero-usage bills
  are ``zero_usage``'s and never repeat.

Copies found by ``bill_duplicate`` are ignored (a copy does not extend a streak). Only
bills with a ``meter_id`` are judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import copies, metered, rank, result, worse

NAME = "estimated_streak"
MAGNITUDE_UNIT = "bills in the streak"


@dataclass(frozen=True)
class Params:
    """Parameters of the estimated_streak check.

    Parameters
    ----------
    min_bills : int
        Shortest streak reported, in bills (default 3).
    repeat_rel_tolerance : float
        Two bills have "the same use per day" when their use per day differs by at most
        this fraction (default 0.00001, for unit-conversion arithmetic) ...
    repeat_rounding : float
        ... plus this many usage units spread over each bill's days (default 0.5: an
        estimate of x per day times the days, rounded to whole units). On the synthetic
        fleet about one real pair of consecutive months in 1,000 matches this closely
        (and one meter in 20,000 has three in a row).
    medium_bills : int
        A streak at least this long is ``medium`` severity (default 4). A streak of
        repeated use per day without the estimated flag is at least ``medium``: the
        estimate is hidden.
    high_bills : int
        ... and at least this long is ``high`` (default 6: half a year of estimates).
    """

    min_bills: int = 3
    repeat_rel_tolerance: float = 0.00001
    repeat_rounding: float = 0.5
    medium_bills: int = 4
    high_bills: int = 6


def _streaks(
    bills: pd.DataFrame, member: pd.Series, starts: pd.Series, min_bills: int
) -> pd.DataFrame:
    """One row per streak of at least ``min_bills`` consecutive ``member`` bills.

    A new streak begins at each ``starts``; sizes are counted before grouping, so only
    the few long streaks reach the (slower) aggregation.
    """
    streak = starts.cumsum().to_numpy()
    keep = member.to_numpy(dtype=bool) & (np.bincount(streak)[streak] >= min_bills)
    grouped = bills[keep].groupby(streak[keep], sort=False)
    return grouped.agg(
        bill_id=("bill_id", "first"),
        meter_id=("meter_id", "first"),
        bills=("bill_id", "size"),
        bill_ids=("bill_id", list),
        first_period_start=("period_start", "first"),
        last_period_end=("period_end", "last"),
        use_per_day=("_per_day", "first"),
    )


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report streaks of estimated bills or of repeated use per day (one row each)."""
    bills = metered(ctx.bills)
    if bills.empty:
        return empty_result()
    bills = bills[~copies(bills)[0].to_numpy()].reset_index(drop=True)
    bills["_per_day"] = (bills["usage"] / bills["days"]).where(bills["usage"] > 0)
    new_meter = bills["meter_id"].ne(bills["meter_id"].shift())
    est = bills["estimated"].astype("boolean").fillna(False).astype(bool)  # missing = not estimated
    flagged = _streaks(bills, est, new_meter | est.ne(est.shift()), params.min_bills)
    flagged["kind"] = "estimated"

    per_day, prev = bills["_per_day"], bills["_per_day"].shift()
    days = bills["days"].astype(float)
    tolerance = params.repeat_rel_tolerance * np.maximum(per_day, prev) + params.repeat_rounding * (
        1 / days + 1 / days.shift()
    )
    same = ~new_meter & ~est & ~est.shift(fill_value=True) & ((per_day - prev).abs() <= tolerance)
    repeated = _streaks(bills, pd.Series(True, index=bills.index), ~same, params.min_bills)
    repeated["kind"] = "repeated use per day"
    found = pd.concat([flagged, repeated], ignore_index=True)
    if found.empty:
        return empty_result()
    hidden = 1 * (found["kind"] == "repeated use per day").to_numpy()
    severity = worse(rank(found["bills"], params.medium_bills, params.high_bills), hidden)
    details = found[
        ["kind", "bills", "bill_ids", "first_period_start", "last_period_end", "use_per_day"]
    ]
    return result(found, severity, found["bills"].astype(float), details)
