"""negative_value: negative usage, cost or demand."""

import numpy as np
import pytest

from core.bills.checks import negative_value
from tests.core.bills.billmaker import run

MAY = {"start": "2025-05-01", "end": "2025-05-31"}


@pytest.mark.parametrize(
    ("fields", "severity", "magnitude", "names"),
    [
        ({"usage": -5.0}, "high", 5.0, "usage"),
        ({"cost": -20.0}, "medium", 20.0, "cost"),  # often a credit
        ({"demand_kw": -3.0}, "high", 3.0, "demand_kw"),
        ({"usage": -5.0, "cost": -10.0}, "high", 5.0, "usage, cost"),
        ({"cost": -1.0, "demand_kw": -2.0}, "high", 1.0, "cost, demand_kw"),
    ],
)
def test_flagged(fields, severity, magnitude, names):
    found = run(negative_value, [{**MAY, **fields}])
    assert (found["severity"].iat[0], found["magnitude"].iat[0]) == (severity, magnitude)
    assert found["details"].iat[0]["negative_fields"] == names


@pytest.mark.parametrize(
    "fields", [{}, {"usage": 0.0, "cost": 0.0}, {"usage": np.nan, "cost": np.nan}]
)
def test_not_flagged(fields):
    assert run(negative_value, [{**MAY, **fields}]).empty


def test_credit_severity():
    params = negative_value.Params(credit_severity="low")
    found = run(negative_value, [{**MAY, "cost": -20.0, "meter_id": None}], params=params)
    assert found["severity"].iat[0] == "low" and found["meter_id"].isna().all()
