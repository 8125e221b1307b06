"""zero_usage: a bill with no usage at all.

A zero bill usually means a meter that stopped registering, a vacant space, or a bill
issued on fixed charges only; each is worth a look. Usage at or below ``max_usage`` (and
not negative: that is ``negative_value``'s) counts as zero. Every bill is judged, with or
without a meter; the previous bill (for the severity) is looked up per meter only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import ORDER, result

NAME = "zero_usage"
MAGNITUDE_UNIT = "days billed at zero"


@dataclass(frozen=True)
class Params:
    """Parameters of the zero_usage check.

    Parameters
    ----------
    max_usage : float
        Usage at or below this, in the bill's unit, is zero (default 0: exactly zero).

    Notes
    -----
    Severity: ``high`` when the meter's previous bill was zero too (a run of zero bills),
    ``medium`` otherwise.
    """

    max_usage: float = 0.0


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report bills whose usage is zero (within ``max_usage``)."""
    bills = ctx.bills.sort_values(ORDER, kind="stable", ignore_index=True)
    if bills.empty:
        return empty_result()
    zero = (bills["usage"] >= 0) & (bills["usage"] <= params.max_usage)
    prev_zero = zero.groupby(bills["meter_id"]).shift().astype("boolean").fillna(False)
    prev_usage = bills["usage"].groupby(bills["meter_id"]).shift()
    hit = zero.to_numpy()
    rows = bills[hit]
    details = {
        "usage": rows["usage"],
        "usage_unit": rows["usage_unit"],
        "cost": rows["cost"],
        "estimated": rows["estimated"],
        "previous_usage": prev_usage[hit],
        "previous_bill_zero": prev_zero[hit].astype(bool),
        "period_start": rows["period_start"],
        "period_end": rows["period_end"],
    }
    severity = np.where(prev_zero[hit].astype(bool), "high", "medium")
    return result(rows, severity, rows["days"].astype(float), details)
