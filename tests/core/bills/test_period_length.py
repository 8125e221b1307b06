"""period_length: 25-35 days for monthly bills, never over 65."""

import pandas as pd
import pytest

from core.bills.checks import period_length
from tests.core.bills.billmaker import ids, monthly, run


def lasting(days, bill_id="x", **fields):
    """A bill of ``days`` inclusive days from 2025-01-01."""
    end = pd.Timestamp("2025-01-01") + pd.Timedelta(days=days - 1)
    return {"bill_id": bill_id, "start": "2025-01-01", "end": f"{end:%Y-%m-%d}", **fields}


@pytest.mark.parametrize(
    ("days", "flagged", "magnitude", "severity"),
    [
        (24, True, 1, "low"),
        (25, False, None, None),
        (30, False, None, None),
        (35, False, None, None),
        (36, True, 1, "low"),
        (40, True, 5, "medium"),
        (65, True, 30, "medium"),
        (66, True, 31, "high"),  # over 65 days whatever the cycle
    ],
)
def test_a_single_bill_is_judged_as_monthly(days, flagged, magnitude, severity):
    found = run(period_length, [lasting(days)])
    assert bool(len(found)) == flagged
    if flagged:
        assert (found["magnitude"].iat[0], found["severity"].iat[0]) == (magnitude, severity)
        d = found["details"].iat[0]
        assert (d["days"], d["cycle"], d["allowed_min_days"]) == (days, "monthly", 25)


def test_in_a_monthly_series():
    rows = monthly(6)
    rows[2]["end"] = "2024-03-20"  # 20 days
    rows[3]["start"] = "2024-03-21"  # 41 days
    assert ids(run(period_length, rows)) == ["m1-202403", "m1-202404"]


def test_a_bimonthly_meter_is_judged_by_the_65_day_rule_only():
    rows = [
        {"bill_id": f"b{k}", "start": s, "end": e}
        for k, (s, e) in enumerate(
            [("2024-01-01", "2024-02-29"), ("2024-03-01", "2024-04-30"),
             ("2024-05-01", "2024-06-30"), ("2024-07-01", "2024-09-04")]  # last: 66 days
        )
    ]  # fmt: skip
    found = run(period_length, rows)
    assert ids(found) == ["b3"]
    assert (found["magnitude"].iat[0], found["severity"].iat[0]) == (1, "high")
    assert found["details"].iat[0]["cycle"] == "longer"


def test_a_quarterly_meter_is_not_judged():
    rows = [
        {"bill_id": f"q{k}", "start": s, "end": e}
        for k, (s, e) in enumerate(
            [("2024-01-01", "2024-03-31"), ("2024-04-01", "2024-06-30"),
             ("2024-07-01", "2024-09-30"), ("2024-10-01", "2024-12-31")]
        )
    ]  # fmt: skip
    assert run(period_length, rows).empty


def test_bills_without_a_meter_are_judged_as_monthly():
    found = run(period_length, [lasting(70, meter_id=None), lasting(30, "ok", meter_id=None)])
    assert ids(found) == ["x"] and found["meter_id"].isna().all()
