"""unit_rate_outlier: cost per unit against the meter's recent bills."""

import pytest

from core.bills.checks import unit_rate_outlier
from tests.core.bills.billmaker import ids, monthly, run


def rates(last, n=7, rate=0.15):
    usage = 3000.0
    return monthly(n, usage=usage, cost=[usage * rate] * (n - 1) + [usage * last])


@pytest.mark.parametrize(
    ("last", "flagged", "severity"),
    [(0.15, False, None), (0.165, False, None), (0.17, False, None), (0.18, True, "low"),
     (0.225, True, "medium"), (0.30, True, "high"), (0.075, True, "high")],
)  # fmt: skip
def test_cases(last, flagged, severity):
    found = run(unit_rate_outlier, rates(last))
    assert ids(found) == (["m1-202407"] if flagged else [])
    if flagged:
        d = found["details"].iat[0]
        assert d["cost_per_unit"] == pytest.approx(last)
        assert d["expected_cost_per_unit"] == pytest.approx(0.15)
        assert found["severity"].iat[0] == severity
        assert found["magnitude"].iat[0] == pytest.approx(last / 0.15 - 1)


def test_needs_history_and_positive_figures():
    assert run(unit_rate_outlier, rates(0.30, n=3)).empty  # 2 previous bills
    rows = rates(0.30)
    rows[-1]["usage"] = 0.0
    assert run(unit_rate_outlier, rows).empty
    rows = rates(0.30)
    rows[-1]["cost"] = -450.0  # a credit is negative_value's
    assert run(unit_rate_outlier, rows).empty
