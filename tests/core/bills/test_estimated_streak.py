"""estimated_streak: runs of estimated bills, or of the same use per day unflagged."""

import pytest

from core.bills.checks import estimated_streak
from tests.core.bills.billmaker import ids, monthly, run

F, T = False, True


@pytest.mark.parametrize(
    ("flags", "expected", "length", "severity"),
    [
        ([F, T, T, F, F, F], [], None, None),
        ([F, T, T, T, F, F], ["m1-202402"], 3, "low"),
        ([T, T, T, T, F, F], ["m1-202401"], 4, "medium"),
        ([T, T, T, T, T, T], ["m1-202401"], 6, "high"),
        ([T, T, F, T, T, F], [], None, None),
    ],
)
def test_estimated_flags(flags, expected, length, severity):
    found = run(
        estimated_streak, monthly(6, per_day=[100.0 + k for k in range(6)], estimated=flags)
    )
    assert ids(found) == expected
    if expected:
        d = found["details"].iat[0]
        assert d["kind"] == "estimated" and d["bills"] == length
        assert len(d["bill_ids"]) == length and d["bill_ids"][0] == expected[0]
        assert found["severity"].iat[0] == severity


def test_streaks_do_not_cross_meters():
    rows = monthly(3, estimated=[F, T, T]) + monthly(3, meter_id="m2", estimated=[T, F, F])
    assert run(estimated_streak, rows).empty


@pytest.mark.parametrize(
    ("per_day", "expected"),
    [
        ([90.0, 100.0, 100.0, 100.0, 110.0], ["m1-202402"]),
        ([90.0, 100.0, 100.0, 101.0, 110.0], []),  # 1% apart: real bills
        ([90.0, 0.0, 0.0, 0.0, 110.0], []),  # zero bills are zero_usage's
    ],
)
def test_repeated_use_per_day(per_day, expected):
    found = run(estimated_streak, monthly(5, per_day=per_day))
    assert ids(found) == expected
    if expected:
        d = found["details"].iat[0]
        assert d["kind"] == "repeated use per day" and d["bills"] == 3
        assert d["use_per_day"] == pytest.approx(100.0)
        assert found["severity"].iat[0] == "medium"  # hidden estimates: at least medium


def test_repeats_rounded_to_whole_units_still_match():
    rows = monthly(4, usage=[2800.0, round(96.7 * 29), round(96.7 * 31), round(96.7 * 30)])
    assert ids(run(estimated_streak, rows)) == ["m1-202402"]


def test_estimated_bills_do_not_count_as_repeats():
    rows = monthly(4, per_day=100.0, estimated=[F, T, F, F])
    assert run(estimated_streak, rows).empty


def test_a_duplicate_does_not_extend_a_streak():
    rows = monthly(3, per_day=[100.0, 120.0, 130.0], estimated=[F, T, T])
    rows.append({**rows[2], "bill_id": "copy"})
    assert run(estimated_streak, rows).empty
