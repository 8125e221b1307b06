"""demand_impossible: usage above demand_kw x hours."""

import numpy as np
import pytest

from core.bills.checks import demand_impossible
from tests.core.bills.billmaker import run

JUNE = {"start": "2025-06-01", "end": "2025-06-30", "demand_kw": 10.0}  # at most 7,200 kWh


@pytest.mark.parametrize(
    ("usage", "flagged", "severity"),
    [(3000.0, False, None), (7200.0, False, None), (7344.0, False, None),  # tolerance 2%
     (7400.0, True, "low"), (7920.0, True, "medium"), (10800.0, True, "high")],
)  # fmt: skip
def test_cases(usage, flagged, severity):
    found = run(demand_impossible, [{**JUNE, "usage": usage}])
    assert bool(len(found)) == flagged
    if flagged:
        d = found["details"].iat[0]
        assert (d["hours"], d["max_possible_kwh"]) == (720.0, 7200.0)
        assert d["load_factor"] == pytest.approx(usage / 7200.0, abs=1e-4)
        assert found["severity"].iat[0] == severity


@pytest.mark.parametrize(
    "fields",
    [{"demand_kw": np.nan}, {"demand_kw": 0.0}, {"demand_kw": -1.0},
     {"commodity": "water", "usage_unit": "gal"}, {"usage": np.nan}],
)  # fmt: skip
def test_not_judged(fields):
    assert run(demand_impossible, [{**JUNE, "usage": 50000.0, **fields}]).empty


def test_unmetered_bills_are_judged():
    found = run(demand_impossible, [{**JUNE, "usage": 50000.0, "meter_id": None}])
    assert len(found) == 1 and found["meter_id"].isna().all()
