"""bill_duplicate: the same bill again under another id."""

import numpy as np
import pytest

from core.bills.checks import bill_duplicate
from tests.core.bills.billmaker import ids, run

JAN = {"start": "2025-01-01", "end": "2025-01-31"}


@pytest.mark.parametrize(
    ("copy", "expected"),
    [
        ({}, ["b"]),
        ({"usage": 3001.0}, ["b"]),  # within 0.1% (unit-conversion rounding)
        ({"usage": 3030.0}, []),  # 1% apart: another bill
        ({"cost": 460.0}, []),
        ({"start": "2025-01-02"}, []),  # another period
        ({"meter_id": "m2"}, []),  # another meter
        ({"meter_id": None}, []),  # building-level bills are not matched
    ],
)
def test_cases(copy, expected):
    found = run(bill_duplicate, [{"bill_id": "a", **JAN}, {"bill_id": "b", **JAN, **copy}])
    assert ids(found) == expected


def test_reports_every_copy_with_the_original():
    rows = [{"bill_id": i, **JAN} for i in ("inv-2", "inv-1", "inv-3")]
    found = run(bill_duplicate, rows)
    assert ids(found) == ["inv-2", "inv-3"]
    assert [d["original_bill_id"] for d in found["details"]] == ["inv-1", "inv-1"]


def test_severity_by_cost_and_missing_costs():
    rows = [{"bill_id": "a", **JAN, "cost": 1000.0}, {"bill_id": "b", **JAN, "cost": 1000.0}]
    found = run(bill_duplicate, rows)
    assert (found["severity"].iat[0], found["magnitude"].iat[0]) == ("high", 1000.0)
    rows = [{"bill_id": "a", **JAN, "cost": np.nan}, {"bill_id": "b", **JAN, "cost": np.nan}]
    found = run(bill_duplicate, rows)
    assert (found["severity"].iat[0], found["magnitude"].iat[0]) == ("medium", 0.0)
