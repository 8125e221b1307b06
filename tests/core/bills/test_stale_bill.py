"""stale_bill: a billed meter with no bill ending within 45 days of the run date."""

import datetime as dt

import pandas as pd
import pytest

from core.bills.checks import stale_bill
from tests.core.bills.billmaker import make_bills, make_ctx, monthly

RUN = dt.date(2025, 6, 15)


def ending(days_before, meter_id="m1"):
    end = pd.Timestamp(RUN) - pd.Timedelta(days=days_before)
    start = end - pd.Timedelta(days=29)
    return {"bill_id": f"{meter_id}-last", "meter_id": meter_id,
            "start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"}  # fmt: skip


def check(rows, meters=None, params=None):
    ctx = make_ctx(make_bills(rows), run_date=RUN, meters=meters)
    return stale_bill.check(ctx, params or stale_bill.Params())


@pytest.mark.parametrize(
    ("days", "flagged", "severity"),
    [(0, False, None), (45, False, None), (46, True, "low"), (75, True, "medium"),
     (105, True, "high"), (-10, False, None)],  # a bill ending after the run date
)  # fmt: skip
def test_cases(days, flagged, severity):
    found = check(monthly(3, start="2024-01-01") + [ending(days)])
    assert bool(len(found)) == flagged
    if flagged:
        assert list(found["bill_id"]) == ["m1-last"]
        assert (found["magnitude"].iat[0], found["severity"].iat[0]) == (days, severity)
        d = found["details"].iat[0]
        assert d["latest_bill_id"] == "m1-last" and d["days_since_end"] == days


def test_one_row_per_meter_on_its_latest_bill():
    rows = monthly(12, start="2024-01-01") + monthly(12, start="2024-01-01", meter_id="m2")
    found = check(rows)
    assert list(found["meter_id"]) == ["m1", "m2"]
    assert list(found["bill_id"]) == ["m1-202412", "m2-202412"]


def test_unmetered_and_retired_meters_are_not_judged():
    rows = [ending(200, meter_id=None), ending(200, "m1"), ending(200, "m2"), ending(200, "m3")]
    meters = pd.DataFrame(
        {"meter_id": ["m1", "m2", "m3"], "account_active": [True, False, True],
         "building_archived": [False, False, True], "unit": "kWh"}
    )  # fmt: skip
    found = check(rows, meters=meters)
    assert list(found["meter_id"]) == ["m1"]
