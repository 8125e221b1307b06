"""bill_duplicate: the same bill (meter, period, usage and cost) again under another id.

Among equal bills the first by ``bill_id`` is taken as the original and every other one is
reported, with the original's id, so paying it twice can be prevented. Usage and cost are
"the same" within ``rel_tolerance`` (unit conversions round); two missing costs are equal.
Only bills with a ``meter_id`` are judged: building-level bills have no meter to match on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import DUPLICATE_REL_TOLERANCE, copies, metered, result

NAME = "bill_duplicate"
MAGNITUDE_UNIT = "cost of the copy (currency; 0 when missing)"


@dataclass(frozen=True)
class Params:
    """Parameters of the bill_duplicate check.

    Parameters
    ----------
    rel_tolerance : float
        Usage and cost match when they differ by at most this fraction (default 0.001).
        ``bill_overlap`` and ``estimated_streak`` ignore copies by the same default rule.
    high_cost : float
        A copy costing at least this much is ``high`` severity, others ``medium``
        (default 1000, in the bill's currency): a duplicate risks paying twice.
    """

    rel_tolerance: float = DUPLICATE_REL_TOLERANCE
    high_cost: float = 1000.0


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report every copy of an earlier bill, naming the original."""
    bills = metered(ctx.bills)
    if bills.empty:
        return empty_result()
    is_copy, original = copies(bills, params.rel_tolerance)
    hit = is_copy.to_numpy()
    rows = bills[hit]
    cost = rows["cost"].fillna(0.0).abs()
    severity = np.where(cost >= params.high_cost, "high", "medium")
    details = {
        "original_bill_id": original[hit],
        "period_start": rows["period_start"],
        "period_end": rows["period_end"],
        "usage": rows["usage"],
        "usage_unit": rows["usage_unit"],
        "cost": rows["cost"],
    }
    return result(rows, severity, cost, details)
