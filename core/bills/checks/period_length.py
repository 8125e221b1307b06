"""period_length: a bill period too short or too long for the meter's billing cycle.

A meter whose bills last ``monthly_cycle_max_days`` or less at the median (or with fewer
than ``min_bills_for_cycle`` bills, or without a ``meter_id``) is billed monthly: its bills
must last ``min_days`` to ``max_monthly_days`` days. Any bill longer than ``max_days`` is
reported whatever the cycle, except on a meter routinely billed over longer periods
(median above ``max_days``, e.g. quarterly), whose bills are not judged. This check looks at
every bill, with or without a meter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import rank, result, worse

NAME = "period_length"
MAGNITUDE_UNIT = "days outside the allowed range"


@dataclass(frozen=True)
class Params:
    """Parameters of the period_length check.

    Parameters
    ----------
    min_days : int
        Shortest monthly bill, inclusive days (default 25).
    max_monthly_days : int
        Longest monthly bill (default 35).
    max_days : int
        Longest bill on any cycle (default 65: two months plus a few days).
    monthly_cycle_max_days : float
        A meter whose median bill lasts at most this many days is billed monthly
        (default 45).
    min_bills_for_cycle : int
        Fewer bills than this: the cycle is unknown and taken as monthly (default 3).
    medium_days : int
        Magnitude at least this is ``medium`` severity (default 5); a bill longer than
        ``max_days`` is always ``high``.
    """

    min_days: int = 25
    max_monthly_days: int = 35
    max_days: int = 65
    monthly_cycle_max_days: float = 45.0
    min_bills_for_cycle: int = 3
    medium_days: int = 5


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report bills outside their cycle's length range (see module docstring)."""
    bills = ctx.bills
    if bills.empty:
        return empty_result()
    days = bills["days"].astype(float)
    by_meter = days.groupby(bills["meter_id"])  # NaN meter ids form no group
    median = by_meter.transform("median")
    count = by_meter.transform("size")
    known = median.notna() & (count >= params.min_bills_for_cycle)
    monthly = ~known | (median <= params.monthly_cycle_max_days)
    judged = ~known | (median <= params.max_days)
    short = monthly & (days < params.min_days)
    long_monthly = monthly & (days > params.max_monthly_days)
    too_long = judged & (days > params.max_days)
    hit = (short | long_monthly | too_long).to_numpy()
    rows = bills[hit]
    d, is_monthly, over = days[hit], monthly[hit], too_long[hit].to_numpy()
    low = np.where(is_monthly, params.min_days, 0)
    high = np.where(is_monthly, params.max_monthly_days, params.max_days)
    magnitude = np.maximum(low - d, d - high)
    severity = worse(rank(magnitude, params.medium_days, np.inf), 2 * over)
    details = {
        "days": d,
        "cycle": np.where(is_monthly, "monthly", "longer"),
        "allowed_min_days": low,
        "allowed_max_days": high,
        "meter_median_days": median[hit],
        "period_start": rows["period_start"],
        "period_end": rows["period_end"],
    }
    return result(rows, severity, magnitude, details)
