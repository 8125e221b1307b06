"""bill_interval_mismatch: billed usage against the interval readings, gated on coverage."""

import pandas as pd
import pytest

from core.bills.checks import bill_interval_mismatch
from tests.core.bills.billmaker import make_bills, make_ctx

JUNE = {"bill_id": "b", "start": "2025-06-01", "end": "2025-06-30"}


def check(usage, interval_sum, coverage, params=None, meters=None, **bill):
    bills = make_bills([{**JUNE, "usage": usage, **bill}])
    intervals = pd.DataFrame(
        {"bill_id": ["b"], "interval_sum": [interval_sum], "coverage": [coverage]}
    )
    ctx = make_ctx(bills, intervals=intervals, meters=meters)
    return bill_interval_mismatch.check(ctx, params or bill_interval_mismatch.Params())


@pytest.mark.parametrize(
    ("usage", "interval_sum", "coverage", "flagged"),
    [
        (1000.0, 1000.0, 1.0, False),
        (1099.0, 1000.0, 1.0, False),
        (1101.0, 1000.0, 1.0, True),
        (901.0, 1000.0, 1.0, False),
        (899.0, 1000.0, 1.0, True),
        (1300.0, 1000.0, 0.9, True),  # 90% coverage is enough
        (1300.0, 1000.0, 0.89, False),  # under 90%: not judged
        (1000.0, 900.0, 0.9, False),  # the missing 10% taken at the average rate
        (0.0, 1000.0, 1.0, False),  # zero_usage's
    ],
)
def test_cases(usage, interval_sum, coverage, flagged):
    assert bool(len(check(usage, interval_sum, coverage))) == flagged


def test_details_and_severity():
    found = check(1500.0, 950.0, 0.95)
    d = found["details"].iat[0]
    assert (d["billed_usage"], d["interval_sum"], d["coverage"]) == (1500.0, 950.0, 0.95)
    assert d["interval_estimate"] == pytest.approx(1000.0)
    assert found["magnitude"].iat[0] == pytest.approx(0.5)
    assert found["severity"].iat[0] == "high"
    assert check(1300.0, 1000.0, 1.0)["severity"].iat[0] == "medium"
    assert check(1150.0, 1000.0, 1.0)["severity"].iat[0] == "low"


def test_without_coverage_scaling():
    params = bill_interval_mismatch.Params(scale_by_coverage=False)
    assert len(check(1000.0, 900.0, 0.9, params=params)) == 1


def test_other_units_and_bills_without_readings_are_not_compared():
    water = pd.DataFrame({"meter_id": ["m1"], "unit": ["gal"]})
    assert check(5000.0, 1000.0, 1.0, meters=water).empty
    bills = make_bills([{**JUNE, "usage": 5000.0}])
    assert bill_interval_mismatch.check(make_ctx(bills), bill_interval_mismatch.Params()).empty
    assert check(5000.0, 1000.0, 1.0, meter_id=None).empty
