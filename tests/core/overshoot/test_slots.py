"""Building sums on the 15-minute grid: hourly spreading, the all-meters rule, duplicates."""

import numpy as np
import pytest

from core.overshoot.slots import sum_dense, sum_sparse

# One building, two meters: meter 0 every 15 minutes, meter 1 hourly (spread over 4 slots).
INTERVAL = np.array([15, 60])
BUILDING = np.array([0, 0])
EXPECTED = np.array([2])


def _sums(meter, slot, kw, dense):
    meter, slot, kw = np.array(meter), np.array(slot), np.array(kw, dtype=float)
    if dense:
        return sum_dense(meter, slot, kw, INTERVAL, BUILDING, EXPECTED, n_slots=8)
    # the sparse path counts time in any unit; here 3 units a slot
    b, t, out = sum_sparse(meter, slot * 3, kw, INTERVAL, BUILDING, EXPECTED, slot_len=3)
    return b, t // 3, out


@pytest.mark.parametrize("dense", [True, False])
def test_a_slot_is_the_sum_of_every_meter_or_missing(dense):
    b, slot, kw = _sums([0, 0, 1], [0, 1, 0], [4.0, 6.0, 10.0], dense)
    assert b.tolist() == [0, 0, 0, 0]
    assert slot.tolist() == [0, 1, 2, 3]  # the hourly reading covers slots 0-3
    np.testing.assert_array_equal(kw, [14.0, 16.0, np.nan, np.nan])  # 2-3: meter 0 missing


@pytest.mark.parametrize("dense", [True, False])
def test_two_readings_of_one_meter_on_one_slot_are_averaged(dense):
    _, slot, kw = _sums([0, 0, 1], [0, 0, 0], [2.0, 4.0, 10.0], dense)
    assert slot.tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(kw, [13.0, np.nan, np.nan, np.nan])
