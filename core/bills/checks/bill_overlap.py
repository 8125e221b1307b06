"""bill_overlap: a bill whose period overlaps days already billed for the same meter.

Each bill is compared with the latest end among the meter's earlier bills (so a bill inside
a long earlier bill is caught too) and reported on the later bill. An exact copy (same
period, usage and cost) is ``bill_duplicate``'s finding and is ignored here; the same period
with other amounts (typically a revised bill that did not replace the original) is an
overlap with ``same_period`` true in its details. Only bills with a ``meter_id`` are judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import copies, grade, metered, previous_cover, result

NAME = "bill_overlap"
MAGNITUDE_UNIT = "days billed twice"


@dataclass(frozen=True)
class Params:
    """Parameters of the bill_overlap check.

    Parameters
    ----------
    min_overlap_days : int
        Smallest overlap reported, in days (default 1: periods are inclusive, so sharing
        even one day bills it twice). Use 2 for a utility whose periods share the read day.
    medium_days : int
        An overlap at least this long is ``medium`` severity (default 3).
    high_days : int
        An overlap at least this long is ``high`` (default 15: half a month billed twice).
    """

    min_overlap_days: int = 1
    medium_days: int = 3
    high_days: int = 15


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report each bill starting on or before the end of the meter's earlier coverage."""
    bills = metered(ctx.bills)
    if bills.empty:
        return empty_result()
    bills = bills[~copies(bills)[0].to_numpy()]
    prev = previous_cover(bills)
    last_shared = np.minimum(prev["prev_end"], bills["period_end"])
    days = (last_shared - bills["period_start"]).dt.days + 1
    hit = (days >= params.min_overlap_days).to_numpy()
    rows, prev, days = bills[hit], prev[hit], days[hit]
    details = {
        "overlap_days": days,
        "overlap_start": rows["period_start"],
        "overlap_end": np.minimum(prev["prev_end"], rows["period_end"]),
        "previous_bill_id": prev["prev_bill_id"],
        "previous_period_start": prev["prev_start"],
        "previous_period_end": prev["prev_end"],
        "period_start": rows["period_start"],
        "period_end": rows["period_end"],
        "same_period": (prev["prev_start"] == rows["period_start"])
        & (prev["prev_end"] == rows["period_end"]),
    }
    return result(rows, grade(days, params.medium_days, params.high_days), days, details)
