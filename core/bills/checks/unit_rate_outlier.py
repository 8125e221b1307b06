"""unit_rate_outlier: cost per unit far from the same meter's recent bills.

Cost per unit (cost / usage, in currency per kWh, gal or therm) is scored as a robust
z-score of its log against the meter's ``recent_bills`` previous bills (median,
1.4826 x MAD, floored at ``min_log_scale``), once ``min_history`` of them exist. A wrong
tariff, a misplaced decimal or a cost for the wrong period shows up here; a normal annual
tariff change of a few percent does not. Bills with usage or cost zero, negative or missing
are neither judged nor history (``zero_usage`` / ``negative_value`` own them). Only bills
with a ``meter_id`` are judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import grade, metered, recent_history, result

NAME = "unit_rate_outlier"
MAGNITUDE_UNIT = "relative deviation of cost per unit from the recent median"

_MAD_TO_SD = 1.4826  # MAD of a normal distribution x this = its standard deviation
_SLACK = 1e-9  # thresholds are inclusive: exactly 2x must count as 2x despite float rounding


@dataclass(frozen=True)
class Params:
    """Parameters of the unit_rate_outlier check.

    Parameters
    ----------
    recent_bills : int
        How many previous bills form the history (default 6).
    min_history : int
        Fewest previous bills needed to judge a bill (default 3).
    z_threshold : float
        Flag when the robust z-score of ln(cost per unit) reaches this in absolute value
        (default 3.5).
    min_log_scale : float
        Floor of the robust scale of ln(cost per unit) (default 0.05, about 5%, so with
        the default threshold a change must exceed about 19%): tariffs are often flat, and
        a zero MAD must not turn a small tariff change into an outlier.
    medium_fold : float
        A rate at least this many times (or at most 1/this of) the median is ``medium``
        severity (default 1.5).
    high_fold : float
        ... and this many times is ``high`` (default 2).
    """

    recent_bills: int = 6
    min_history: int = 3
    z_threshold: float = 3.5
    min_log_scale: float = 0.05
    medium_fold: float = 1.5
    high_fold: float = 2.0


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report bills whose cost per unit is an outlier against the meter's recent bills."""
    bills = metered(ctx.bills)
    if bills.empty:
        return empty_result()
    rate = (bills["cost"] / bills["usage"]).where((bills["usage"] > 0) & (bills["cost"] > 0))
    log = pd.Series(np.log(rate.to_numpy(dtype=float)), index=bills.index)
    median, mad, count = recent_history(log, bills["meter_id"], params.recent_bills)
    z = (log.to_numpy() - median) / np.maximum(_MAD_TO_SD * mad, params.min_log_scale)
    hit = (count >= params.min_history) & (np.abs(z) >= params.z_threshold - _SLACK)
    rows = bills[hit]
    log_ratio = log.to_numpy()[hit] - median[hit]
    details = {
        "cost_per_unit": rate[hit],
        "expected_cost_per_unit": np.exp(median[hit]),
        "usage": rows["usage"],
        "usage_unit": rows["usage_unit"],
        "cost": rows["cost"],
        "basis": "recent median",
        "history_bills": count[hit],
        "robust_z": z[hit],
        "period_start": rows["period_start"],
        "period_end": rows["period_end"],
    }
    fold = np.exp(np.abs(log_ratio))
    magnitude = np.exp(log_ratio) - 1.0
    return result(
        rows, grade(fold * (1 + _SLACK), params.medium_fold, params.high_fold), magnitude, details
    )
