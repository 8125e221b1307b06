"""demand_impossible: billed energy above what the billed peak demand allows.

A meter drawing at most ``demand_kw`` for every hour of the period uses at most
``demand_kw x 24 x days`` kWh, so usage / that (the load factor) cannot exceed 1. A higher
load factor means the demand, the usage or the period is wrong (often demand in MW or
usage in Wh). Only electricity bills in kWh with a positive ``demand_kw`` are judged
(missing or zero demand is "not recorded"; negative is ``negative_value``'s); bills with or
without a meter alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import grade, result

NAME = "demand_impossible"
MAGNITUDE_UNIT = "load factor above 1 (usage / (demand_kw x hours) - 1)"

_HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class Params:
    """Parameters of the demand_impossible check.

    Parameters
    ----------
    tolerance : float
        Flag when the load factor exceeds ``1 + tolerance`` (default 0.02: demand is
        rounded on bills and a day may have 25 hours at a DST change).
    medium_excess : float
        A load factor at least ``1 + medium_excess`` is ``medium`` severity (default 0.1).
    high_excess : float
        A load factor at least ``1 + high_excess`` is ``high`` (default 0.5).
    """

    tolerance: float = 0.02
    medium_excess: float = 0.1
    high_excess: float = 0.5


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report electricity bills whose usage exceeds demand_kw x hours in the period."""
    bills = ctx.bills
    if bills.empty:
        return empty_result()
    judged = (
        (bills["commodity"] == "electricity")
        & (bills["usage_unit"] == "kWh")
        & (bills["demand_kw"] > 0)
        & bills["usage"].notna()
    )
    hours = bills["days"].astype(float) * _HOURS_PER_DAY
    possible = bills["demand_kw"] * hours
    load_factor = bills["usage"] / possible
    hit = (judged & (load_factor > 1.0 + params.tolerance)).to_numpy()
    rows = bills[hit]
    excess = load_factor[hit] - 1.0
    details = {
        "usage_kwh": rows["usage"],
        "demand_kw": rows["demand_kw"],
        "hours": hours[hit],
        "max_possible_kwh": possible[hit],
        "load_factor": load_factor[hit],
        "period_start": rows["period_start"],
        "period_end": rows["period_end"],
    }
    severity = grade(excess, params.medium_excess, params.high_excess)
    return result(rows, severity, excess, details)
