"""usage_outlier: use per day against the same month last year, else recent bills."""

import pytest

from core.bills.checks import usage_outlier
from tests.core.bills.billmaker import ids, monthly, run


def year(last_per_day, first_per_day=100.0, between=100.0):
    """13 monthly bills: Jan 2024 .. Jan 2025; the last is judged against the first."""
    per_day = [first_per_day] + [between] * 11 + [last_per_day]
    return monthly(13, per_day=per_day)


@pytest.mark.parametrize(
    ("last", "flagged"),
    [(100.0, False), (149.0, False), (150.0, True), (67.0, False), (66.0, True), (300.0, True)],
)
def test_same_month_last_year(last, flagged):
    found = run(usage_outlier, year(last))
    assert ids(found) == (["m1-202501"] if flagged else [])
    if flagged:
        d = found["details"].iat[0]
        assert d["basis"] == "same month last year"
        assert d["reference_bill_id"] == "m1-202401"
        assert d["expected_use_per_day"] == pytest.approx(100.0)
        assert found["magnitude"].iat[0] == pytest.approx(last / 100.0 - 1)


def test_same_month_last_year_wins_over_recent_bills():
    # winter peak: 200/day now and last January, 100/day in between: not an outlier
    assert run(usage_outlier, year(200.0, first_per_day=190.0)).empty
    # ... while against the recent bills alone it would be
    assert ids(run(usage_outlier, monthly(7, per_day=[100.0] * 6 + [200.0]))) == ["m1-202407"]


@pytest.mark.parametrize(
    ("last", "flagged", "severity"),
    [(100.0, False, None), (130.0, False, None), (170.0, True, "low"), (200.0, True, "medium"),
     (400.0, True, "high"), (58.0, True, "low"), (20.0, True, "high")],
)  # fmt: skip
def test_recent_bills(last, flagged, severity):
    found = run(usage_outlier, monthly(7, per_day=[100.0] * 6 + [last]))
    assert bool(len(found)) == flagged
    if flagged:
        d = found["details"].iat[0]
        assert d["basis"] == "recent median" and d["history_bills"] == 6
        assert d["expected_use_per_day"] == pytest.approx(100.0)
        assert d["use_per_day"] == pytest.approx(last)
        assert found["severity"].iat[0] == severity


def test_needs_min_history_and_ignores_zero_bills():
    assert run(usage_outlier, monthly(3, per_day=[100.0, 100.0, 400.0])).empty
    rows = monthly(5, per_day=[100.0, 0.0, 100.0, 100.0, 400.0])
    found = run(usage_outlier, rows)
    assert ids(found) == ["m1-202405"]  # the zero bill is neither judged nor history
    assert found["details"].iat[0]["history_bills"] == 3


def test_noisy_history_widens_the_scale():
    per_day = [60.0, 140.0, 70.0, 130.0, 65.0, 135.0, 200.0]  # MAD ~ 0.35 in logs
    assert run(usage_outlier, monthly(7, per_day=per_day)).empty


def test_meters_are_separate():
    rows = monthly(4, per_day=100.0) + monthly(4, per_day=[400.0] * 4, meter_id="m2")
    assert run(usage_outlier, rows).empty
