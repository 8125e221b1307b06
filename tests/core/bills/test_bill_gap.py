"""bill_gap: uncovered days between a meter's bills."""

import pytest

from core.bills.checks import bill_gap
from tests.core.bills.billmaker import ids, run


def two(first_end, second_start, **second):
    return [
        {"bill_id": "a", "start": "2025-01-01", "end": first_end},
        {"bill_id": "b", "start": second_start, "end": "2025-03-31", **second},
    ]


@pytest.mark.parametrize(
    ("first_end", "second_start", "expected", "severity"),
    [
        ("2025-01-31", "2025-02-01", [], None),  # inclusive periods: no gap
        ("2025-01-31", "2025-02-02", ["b"], "low"),  # one uncovered day
        ("2025-01-31", "2025-02-08", ["b"], "medium"),  # 7 days
        ("2025-01-31", "2025-03-01", ["b"], "high"),  # a whole month (28 days)
        ("2025-01-31", "2025-01-20", [], None),  # an overlap is not a gap
    ],
)
def test_cases(first_end, second_start, expected, severity):
    found = run(bill_gap, two(first_end, second_start))
    assert ids(found) == expected
    if expected:
        assert found["severity"].iat[0] == severity


def test_details_name_the_previous_bill_and_the_gap():
    found = run(bill_gap, two("2025-01-31", "2025-02-04"))
    d = found["details"].iat[0]
    assert found["magnitude"].iat[0] == 3
    assert d["previous_bill_id"] == "a"
    assert (d["previous_period_start"], d["previous_period_end"]) == ("2025-01-01", "2025-01-31")
    assert (d["gap_start"], d["gap_end"], d["gap_days"]) == ("2025-02-01", "2025-02-03", 3)


def test_a_short_bill_inside_a_long_one_opens_no_gap():
    rows = [
        {"bill_id": "long", "start": "2025-01-01", "end": "2025-03-31"},
        {"bill_id": "inside", "start": "2025-02-01", "end": "2025-02-28"},
        {"bill_id": "next", "start": "2025-04-01", "end": "2025-04-30"},
        {"bill_id": "late", "start": "2025-05-05", "end": "2025-05-31"},
    ]
    found = run(bill_gap, rows)
    assert ids(found) == ["late"]
    assert found["details"].iat[0]["previous_bill_id"] == "next"


def test_meters_and_unmetered_bills_are_separate():
    rows = [
        {"bill_id": "m1-jan", "start": "2025-01-01", "end": "2025-01-31"},
        {"bill_id": "m2-mar", "start": "2025-03-01", "end": "2025-03-31", "meter_id": "m2"},
        {"bill_id": "x-jan", "start": "2025-01-01", "end": "2025-01-31", "meter_id": None},
        {"bill_id": "x-mar", "start": "2025-03-01", "end": "2025-03-31", "meter_id": None},
    ]
    assert run(bill_gap, rows).empty


def test_min_gap_days():
    params = bill_gap.Params(min_gap_days=3)
    assert run(bill_gap, two("2025-01-31", "2025-02-03"), params=params).empty
    assert ids(run(bill_gap, two("2025-01-31", "2025-02-04"), params=params)) == ["b"]
