"""stale_bill: a meter with no bill ending within ``max_days`` of the run date.

One row per meter, on its latest bill (``bill_id`` = that bill). Judged against the run
date, never the wall clock. Only meters with at least one bill are judged (sub-meters and
new meters that were never billed are not overdue); meters whose account is inactive
(``account_active`` false) or whose building is archived (``building_archived`` true) in
``ctx.meters`` are skipped when those columns are present. Bills without a ``meter_id``
are not judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import grade, metered, result

NAME = "stale_bill"
MAGNITUDE_UNIT = "days since the latest bill's period end"


@dataclass(frozen=True)
class Params:
    """Parameters of the stale_bill check.

    Parameters
    ----------
    max_days : int
        A meter is stale when its latest bill ended more than this many days before the
        run date (default 45).
    medium_days : int
        Stale for at least this many days is ``medium`` severity (default 75: a whole
        monthly bill overdue).
    high_days : int
        ... and at least this many is ``high`` (default 105: two bills overdue).
    """

    max_days: int = 45
    medium_days: int = 75
    high_days: int = 105


def _retired(meters: pd.DataFrame) -> pd.Series:
    """meter_ids of inactive accounts or archived buildings (when the columns exist)."""
    out = pd.Series(False, index=meters.index)
    if "account_active" in meters:
        out |= meters["account_active"].astype("boolean").eq(False).fillna(False)
    if "building_archived" in meters:
        out |= meters["building_archived"].astype("boolean").eq(True).fillna(False)
    return meters.loc[out.to_numpy(dtype=bool), "meter_id"]


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report each billed meter whose latest bill ended more than ``max_days`` ago."""
    bills = metered(ctx.bills)
    if bills.empty:
        return empty_result()
    bills = bills[~bills["meter_id"].isin(_retired(ctx.meters))]
    latest = bills.sort_values(["meter_id", "period_end", "bill_id"]).groupby("meter_id").tail(1)
    age = (pd.Timestamp(ctx.run_date) - latest["period_end"]).dt.days
    hit = (age > params.max_days).to_numpy()
    rows, age = latest[hit], age[hit]
    details = {
        "latest_bill_id": rows["bill_id"],
        "latest_period_start": rows["period_start"],
        "latest_period_end": rows["period_end"],
        "days_since_end": age,
        "max_days": params.max_days,
        "run_date": pd.Timestamp(ctx.run_date).strftime("%Y-%m-%d"),
    }
    return result(rows, grade(age, params.medium_days, params.high_days), age, details)
