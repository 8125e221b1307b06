"""future_period: a period ending after the run date."""

import datetime as dt

import pandas as pd
import pytest

from core.bills.checks import future_period
from tests.core.bills.billmaker import make_bills, make_ctx

RUN = dt.date(2025, 6, 15)


def ending(days_after, **fields):
    end = pd.Timestamp(RUN) + pd.Timedelta(days=days_after)
    start = end - pd.Timedelta(days=29)
    return {"start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}", **fields}


@pytest.mark.parametrize(
    ("days", "flagged", "severity"),
    [(-1, False, None), (0, False, None), (1, True, "low"), (7, True, "medium"),
     (31, True, "high")],
)  # fmt: skip
def test_cases(days, flagged, severity):
    found = future_period.check(
        make_ctx(make_bills([ending(days)]), run_date=RUN), future_period.Params()
    )
    assert bool(len(found)) == flagged
    if flagged:
        assert (found["magnitude"].iat[0], found["severity"].iat[0]) == (days, severity)
        d = found["details"].iat[0]
        assert d["run_date"] == "2025-06-15" and d["starts_in_future"] is (days >= 30)


def test_tolerance_and_unmetered_bills():
    ctx = make_ctx(make_bills([ending(2, meter_id=None)]), run_date=RUN)
    assert future_period.check(ctx, future_period.Params(tolerance_days=2)).empty
    found = future_period.check(ctx, future_period.Params())
    assert len(found) == 1 and found["meter_id"].isna().all()
