"""future_period: a bill whose period ends after the run date.

Nobody can have read a meter on a day that has not come yet: the dates are wrong (a typo
in the year, a forecast or budget bill loaded as actual). Judged against the run date,
never the wall clock. Every bill is judged, with or without a meter.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import grade, result

NAME = "future_period"
MAGNITUDE_UNIT = "days after the run date"


@dataclass(frozen=True)
class Params:
    """Parameters of the future_period check.

    Parameters
    ----------
    tolerance_days : int
        A period may end this many days after the run date (default 0).
    medium_days : int
        Ending at least this many days after the run date is ``medium`` severity
        (default 7).
    high_days : int
        ... and at least this many is ``high`` (default 31: a whole month ahead).
    """

    tolerance_days: int = 0
    medium_days: int = 7
    high_days: int = 31


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report bills whose period_end is later than the run date (plus tolerance)."""
    bills = ctx.bills
    if bills.empty:
        return empty_result()
    run = pd.Timestamp(ctx.run_date)
    ahead = (bills["period_end"] - run).dt.days
    hit = (ahead > params.tolerance_days).to_numpy()
    rows, ahead = bills[hit], ahead[hit]
    details = {
        "days_after_run_date": ahead,
        "run_date": run.strftime("%Y-%m-%d"),
        "period_start": rows["period_start"],
        "period_end": rows["period_end"],
        "starts_in_future": rows["period_start"] > run,
    }
    return result(rows, grade(ahead, params.medium_days, params.high_days), ahead, details)
