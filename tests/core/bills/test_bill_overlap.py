"""bill_overlap: days billed twice for one meter."""

import pytest

from core.bills.checks import bill_overlap
from tests.core.bills.billmaker import ids, run


@pytest.mark.parametrize(
    ("second", "expected", "days", "severity"),
    [
        ({"start": "2025-02-01", "end": "2025-02-28"}, [], None, None),
        ({"start": "2025-01-31", "end": "2025-02-28"}, ["b"], 1, "low"),  # shared read day
        ({"start": "2025-01-27", "end": "2025-02-28"}, ["b"], 5, "medium"),
        ({"start": "2025-01-10", "end": "2025-02-28"}, ["b"], 22, "high"),
        # same period, other amounts: a revised bill that did not replace the original
        ({"start": "2025-01-01", "end": "2025-01-31", "usage": 3100.0}, ["b"], 31, "high"),
        # an exact copy is bill_duplicate's
        ({"start": "2025-01-01", "end": "2025-01-31"}, [], None, None),
    ],
)
def test_cases(second, expected, days, severity):
    rows = [
        {"bill_id": "a", "start": "2025-01-01", "end": "2025-01-31"},
        {"bill_id": "b", **second},
    ]
    found = run(bill_overlap, rows)
    assert ids(found) == expected
    if expected:
        assert (found["magnitude"].iat[0], found["severity"].iat[0]) == (days, severity)


def test_same_period_is_marked():
    rows = [
        {"bill_id": "a", "start": "2025-01-01", "end": "2025-01-31"},
        {"bill_id": "a-rev", "start": "2025-01-01", "end": "2025-01-31", "cost": 470.0},
    ]
    d = run(bill_overlap, rows)["details"].iat[0]
    assert d["same_period"] is True and d["previous_bill_id"] == "a"


def test_compared_with_the_latest_earlier_end():
    rows = [
        {"bill_id": "long", "start": "2025-01-01", "end": "2025-03-31"},
        {"bill_id": "inside", "start": "2025-02-01", "end": "2025-02-28"},
        {"bill_id": "after", "start": "2025-03-15", "end": "2025-04-14"},
    ]
    found = run(bill_overlap, rows)
    assert ids(found) == ["inside", "after"]
    after = found["details"].iat[1]
    assert after["previous_bill_id"] == "long" and after["overlap_days"] == 17
    assert (after["overlap_start"], after["overlap_end"]) == ("2025-03-15", "2025-03-31")
    assert found["magnitude"].iat[0] == 28  # the whole inside bill


def test_other_meters_do_not_overlap():
    rows = [
        {"bill_id": "a", "start": "2025-01-01", "end": "2025-01-31"},
        {"bill_id": "b", "start": "2025-01-15", "end": "2025-02-14", "meter_id": "m2"},
        {"bill_id": "c", "start": "2025-01-15", "end": "2025-02-14", "meter_id": None},
        {"bill_id": "d", "start": "2025-01-01", "end": "2025-01-31", "meter_id": None},
    ]
    assert run(bill_overlap, rows).empty


def test_min_overlap_days():
    rows = [
        {"bill_id": "a", "start": "2025-01-01", "end": "2025-01-31"},
        {"bill_id": "b", "start": "2025-01-31", "end": "2025-02-28"},
    ]
    assert run(bill_overlap, rows, params=bill_overlap.Params(min_overlap_days=2)).empty
