"""bill_interval_mismatch: billed usage far from the meter's own interval readings.

``ctx.interval_usage`` holds, per bill, the sum of the meter's platform readings over the
bill's days and their coverage (present / expected intervals). Bills with coverage under
``min_coverage`` are not judged: missing readings, not the bill, would explain a
difference. With ``scale_by_coverage`` the sum is divided by the coverage (the missing
few percent of intervals are taken at the average rate) before comparing. Flagged when
billed usage and that estimate differ by more than ``max_rel_difference`` of the estimate.
Only bills with a ``meter_id`` whose unit equals the meter's unit are compared; bills with
zero or negative usage are ``zero_usage`` / ``negative_value``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import grade, metered, result

NAME = "bill_interval_mismatch"
MAGNITUDE_UNIT = "relative difference (billed - intervals) / intervals"


@dataclass(frozen=True)
class Params:
    """Parameters of the bill_interval_mismatch check.

    Parameters
    ----------
    min_coverage : float
        Fewest intervals present, as a fraction of those expected over the bill's days,
        for the bill to be judged (default 0.9).
    max_rel_difference : float
        Flag when |billed - intervals| / intervals exceeds this (default 0.1).
    scale_by_coverage : bool
        Divide the interval sum by its coverage before comparing (default True).
    medium_difference : float
        A relative difference at least this large is ``medium`` severity (default 0.25).
    high_difference : float
        ... and at least this large is ``high`` (default 0.5).
    """

    min_coverage: float = 0.9
    max_rel_difference: float = 0.1
    scale_by_coverage: bool = True
    medium_difference: float = 0.25
    high_difference: float = 0.5


def _meter_units(meters: pd.DataFrame) -> pd.DataFrame:
    """``meter_id, _meter_unit`` (empty when the meters frame has no unit column)."""
    if not {"meter_id", "unit"} <= set(meters.columns):
        return pd.DataFrame({"meter_id": pd.Series(dtype=object), "_meter_unit": None})
    units = meters[["meter_id", "unit"]].drop_duplicates("meter_id")
    return units.rename(columns={"unit": "_meter_unit"})


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report bills whose usage differs from their interval readings by over 10%."""
    bills = metered(ctx.bills)
    intervals = ctx.interval_usage
    if bills.empty or intervals is None or intervals.empty:
        return empty_result()
    cols = ["bill_id", "interval_sum", "coverage"]
    merged = bills.merge(intervals[cols].drop_duplicates("bill_id"), on="bill_id", how="inner")
    merged = merged.merge(_meter_units(ctx.meters), on="meter_id", how="left")
    same_unit = merged["_meter_unit"].isna() | (merged["_meter_unit"] == merged["usage_unit"])
    estimate = merged["interval_sum"] / (merged["coverage"] if params.scale_by_coverage else 1.0)
    judged = (
        same_unit
        & (merged["coverage"] >= params.min_coverage)
        & (merged["usage"] > 0)
        & (estimate > 0)
    )
    difference = (merged["usage"] - estimate) / estimate
    hit = (judged & (difference.abs() > params.max_rel_difference)).to_numpy()
    rows, difference = merged[hit], difference[hit]
    details = {
        "billed_usage": rows["usage"],
        "interval_sum": rows["interval_sum"],
        "coverage": rows["coverage"],
        "interval_estimate": estimate[hit],
        "usage_unit": rows["usage_unit"],
        "period_start": rows["period_start"],
        "period_end": rows["period_end"],
    }
    severity = grade(np.abs(difference), params.medium_difference, params.high_difference)
    return result(rows, severity, difference, details)
