"""zero_usage: bills with no usage."""

import numpy as np
import pytest

from core.bills.checks import zero_usage
from tests.core.bills.billmaker import ids, monthly, run


@pytest.mark.parametrize(
    ("usage", "flagged"),
    [(0.0, True), (0.01, False), (-5.0, False), (np.nan, False), (3000.0, False)],
)
def test_cases(usage, flagged):
    found = run(zero_usage, [{"start": "2025-05-01", "end": "2025-05-31", "usage": usage}])
    assert bool(len(found)) == flagged
    if flagged:
        assert (found["magnitude"].iat[0], found["severity"].iat[0]) == (31, "medium")


def test_a_run_of_zero_bills_is_high():
    found = run(zero_usage, monthly(4, usage=[3000.0, 0.0, 0.0, 3000.0]))
    assert ids(found) == ["m1-202402", "m1-202403"]
    assert list(found["severity"]) == ["medium", "high"]
    first, second = found["details"]
    assert first["previous_usage"] == 3000.0 and second["previous_bill_zero"] is True


def test_max_usage_and_unmetered_bills():
    rows = [{"start": "2025-05-01", "end": "2025-05-31", "usage": 0.5, "meter_id": None}]
    assert run(zero_usage, rows).empty
    found = run(zero_usage, rows, params=zero_usage.Params(max_usage=1.0))
    assert len(found) == 1 and found["meter_id"].isna().all()
