"""usage_outlier: use per day far from the same meter's history.

The basis is the same month last year where the meter has it (the bill whose mid-period
date lies within ``same_month_tolerance_days`` of 365 days earlier): flagged when use per
day is at least ``same_month_ratio`` times that bill's, or at most 1 / ``same_month_ratio``
of it. Otherwise it is a robust z-score of ln(use per day) against the meter's
``recent_bills`` previous bills (median, 1.4826 x MAD, floored at ``min_log_scale``),
judged once ``min_history`` of them exist. Logs make a doubling and a halving equally
unusual. Bills with zero or negative usage are left to ``zero_usage`` / ``negative_value``
and are never history. Only bills with a ``meter_id`` are judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import grade, metered, recent_history, result

NAME = "usage_outlier"
MAGNITUDE_UNIT = "relative deviation of use per day from expected"

_MAD_TO_SD = 1.4826  # MAD of a normal distribution x this = its standard deviation
_SLACK = 1e-9  # thresholds are inclusive: exactly 2x must count as 2x despite float rounding
_YEAR_DAYS = 365.0
_EPOCH = pd.Timestamp("1970-01-01")
_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Params:
    """Parameters of the usage_outlier check.

    Parameters
    ----------
    same_month_ratio : float
        Against the same month last year: flag use per day at least this many times last
        year's, or at most its inverse (default 1.5).
    same_month_tolerance_days : int
        Last year's bill is the one whose mid-period date is within this many days of 365
        days before this bill's (default 15).
    recent_bills : int
        How many previous bills form the recent history (default 6).
    min_history : int
        Fewest previous bills needed for the recent-history score (default 3).
    z_threshold : float
        Flag when the robust z-score of ln(use per day) reaches this in absolute value
        (default 3.5).
    min_log_scale : float
        Floor of the robust scale of ln(use per day) (default 0.15: with the default
        threshold a bill must be at least 1.7 times, or under 0.6 times, the recent
        median). Recent bills span seasons and a short history has a tiny MAD by chance;
        the floor keeps a normal seasonal change from being an outlier.
    medium_fold : float
        Use per day at least this many times (or at most 1/this of) expected is ``medium``
        severity (default 2).
    high_fold : float
        ... and this many times is ``high`` (default 4).
    """

    same_month_ratio: float = 1.5
    same_month_tolerance_days: int = 15
    recent_bills: int = 6
    min_history: int = 3
    z_threshold: float = 3.5
    min_log_scale: float = 0.15
    medium_fold: float = 2.0
    high_fold: float = 4.0


def _last_year(bills: pd.DataFrame, per_day: pd.Series, tolerance_days: int) -> pd.DataFrame:
    """Per bill, the meter's bill about a year earlier (``ly_*`` columns; NaN when none)."""
    # mid-period date as float days: unit-free, whatever datetime64 resolution came in
    mid = (
        (bills["period_start"] - _EPOCH) + (bills["period_end"] - bills["period_start"]) / 2
    ) / _DAY
    valid = per_day.notna()
    ref = pd.DataFrame(
        {"meter_id": bills["meter_id"], "ly_mid": mid, "ly_per_day": per_day,
         "ly_bill_id": bills["bill_id"], "ly_start": bills["period_start"],
         "ly_end": bills["period_end"]}
    )[valid].sort_values("ly_mid")  # fmt: skip
    target = pd.DataFrame(
        {"meter_id": bills["meter_id"], "key": mid - _YEAR_DAYS, "row": bills.index}
    )
    merged = pd.merge_asof(
        target[valid].sort_values("key"), ref, left_on="key", right_on="ly_mid",
        by="meter_id", direction="nearest", tolerance=float(tolerance_days),
    )  # fmt: skip
    return merged.set_index("row").reindex(bills.index)


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report bills whose use per day is an outlier against last year or recent bills."""
    bills = metered(ctx.bills)
    if bills.empty:
        return empty_result()
    per_day = (bills["usage"] / bills["days"]).where(bills["usage"] > 0)
    log = np.log(per_day.to_numpy(dtype=float))
    ly = _last_year(bills, per_day, params.same_month_tolerance_days)
    has_ly = ly["ly_per_day"].notna().to_numpy()
    median, mad, count = recent_history(
        pd.Series(log, index=bills.index), bills["meter_id"], params.recent_bills
    )
    scale = np.maximum(_MAD_TO_SD * mad, params.min_log_scale)
    z = np.where(has_ly, np.nan, (log - median) / scale)
    log_expected = np.where(has_ly, np.log(ly["ly_per_day"].to_numpy(dtype=float)), median)
    log_ratio = log - log_expected
    hit = np.where(
        has_ly,
        np.abs(log_ratio) >= np.log(params.same_month_ratio) - _SLACK,
        (count >= params.min_history) & (np.abs(z) >= params.z_threshold - _SLACK),
    )
    hit &= ~np.isnan(log_ratio)
    rows, ly, has_ly = bills[hit], ly[hit], has_ly[hit]
    fold = np.exp(np.abs(log_ratio[hit]))
    details = {
        "use_per_day": per_day[hit],
        "expected_use_per_day": np.exp(log_expected[hit]),
        "usage_unit": rows["usage_unit"],
        "basis": np.where(has_ly, "same month last year", "recent median"),
        "reference_bill_id": ly["ly_bill_id"],
        "reference_period_start": ly["ly_start"],
        "reference_period_end": ly["ly_end"],
        "history_bills": np.where(has_ly, 1, count[hit]),
        "robust_z": z[hit],
        "period_start": rows["period_start"],
        "period_end": rows["period_end"],
    }
    magnitude = np.exp(log_ratio[hit]) - 1.0
    return result(
        rows, grade(fold * (1 + _SLACK), params.medium_fold, params.high_fold), magnitude, details
    )
