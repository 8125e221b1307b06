"""bill_gap: days between two consecutive bills of a meter that no bill covers.

Periods are inclusive, so a bill starting the day after the previous one ends leaves no
gap. The gap is measured from the latest end among the meter's earlier bills (a short bill
inside a long one does not open a false gap) and reported on the bill after it. Only bills
with a ``meter_id`` are judged: a building-level bill has no series of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import grade, metered, previous_cover, result

NAME = "bill_gap"
MAGNITUDE_UNIT = "days of gap"


@dataclass(frozen=True)
class Params:
    """Parameters of the bill_gap check.

    Parameters
    ----------
    min_gap_days : int
        Smallest uncovered stretch reported, in days (default 1: periods are inclusive, so
        any uncovered day is a gap).
    medium_days : int
        A gap at least this long is ``medium`` severity (default 7).
    high_days : int
        A gap at least this long is ``high`` (default 28: about a whole missing bill).
    """

    min_gap_days: int = 1
    medium_days: int = 7
    high_days: int = 28


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report each bill that starts more than one day after the meter's previous coverage."""
    bills = metered(ctx.bills)
    if bills.empty:
        return empty_result()
    prev = previous_cover(bills)
    gap = (bills["period_start"] - prev["prev_end"]).dt.days - 1
    hit = (gap >= params.min_gap_days).to_numpy()
    rows, prev, gap = bills[hit], prev[hit], gap[hit]
    details = {
        "gap_days": gap,
        "gap_start": prev["prev_end"] + pd.Timedelta(days=1),
        "gap_end": rows["period_start"] - pd.Timedelta(days=1),
        "previous_bill_id": prev["prev_bill_id"],
        "previous_period_start": prev["prev_start"],
        "previous_period_end": prev["prev_end"],
        "period_start": rows["period_start"],
        "period_end": rows["period_end"],
    }
    return result(rows, grade(gap, params.medium_days, params.high_days), gap, details)
