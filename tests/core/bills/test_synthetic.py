"""The synthetic bill generator: deterministic, every check injected, decoys present."""

import pandas as pd
import pytest

from core.bills import REGISTRY
from core.bills.normalise import BILL_COLUMNS
from tests.core.bills import synthetic


@pytest.fixture(scope="module")
def bill_set():
    return synthetic.generate(seed=5)


def test_same_seed_same_set(bill_set):
    again = synthetic.generate(seed=5)
    pd.testing.assert_frame_equal(bill_set.bills, again.bills)
    pd.testing.assert_frame_equal(bill_set.injected, again.injected)


def test_shapes(bill_set):
    bills, meters, intervals, injected = bill_set  # unpacks as a 4-tuple
    assert list(bills.columns) == list(BILL_COLUMNS)
    assert bills["bill_id"].is_unique
    assert {"meter_id", "building_id", "account_id", "kind", "unit"} <= set(meters.columns)
    assert list(intervals.columns) == ["bill_id", "interval_sum", "coverage"]
    assert list(injected.columns) == list(synthetic.INJECTED_COLUMNS)
    assert bills["meter_id"].isna().any()  # building-level gas bills


def test_every_check_is_injected_about_ten_times_on_its_own_meters(bill_set):
    injected = bill_set.injected
    assert set(injected["check"]) == set(REGISTRY)
    per_check = injected.groupby("check")["meter_id"].nunique()
    assert (per_check == 10).all()
    assert injected.groupby("meter_id")["check"].nunique().max() == 1


def test_low_coverage_decoys(bill_set):
    intervals = bill_set.interval_usage
    low = intervals[intervals["coverage"] < 0.9]
    assert len(low) >= 20


def test_too_few_meters_is_refused():
    with pytest.raises(ValueError, match="n_meters"):
        synthetic.generate(n_meters=50)
