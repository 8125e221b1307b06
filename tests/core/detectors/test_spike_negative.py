"""spike_negative: short drops far below a substantial expected value."""

import numpy as np
import pytest

from core.detectors import spike_negative
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of, tiny_grid

nan = np.nan
COARSE = {"night": 3.0, "day": 15.0, "resolution": 1.0, "noise": 0.05}


def test_one_hour_drop_is_flagged_with_its_shortfall():
    grid = make_grid(days=21)  # day load ~40
    at = slot_of(grid, "2026-02-20 11:00")
    grid.values[0, at : at + 4] = 3.0
    found = detect(spike_negative, grid)
    assert events(found.mask[0]) == [(at, at + 4)]
    assert found.magnitude.sum() == pytest.approx(4 * 37, rel=0.05)


def test_drop_at_series_end():
    grid = make_grid(days=21)
    end = slot_of(grid, "2026-02-20 12:00")
    grid.values = grid.values[:, :end].copy()  # the grid ends at noon
    grid.values[0, -2:] = 2.0
    assert events(detect(spike_negative, grid).mask[0]) == [(end - 2, end)]


def test_drop_at_series_start():
    grid = make_grid(days=21, start="2026-02-02")
    grid.values = grid.values[:, slot_of(grid, "2026-02-02 12:00") :].copy()  # starts at noon
    grid.values[0, :2] = 2.0
    assert events(detect(spike_negative, grid).mask[0]) == [(0, 2)]


def test_zeros_belong_to_zero_run():
    grid = make_grid(days=21)
    at = slot_of(grid, "2026-02-20 11:00")
    grid.values[0, at : at + 4] = [3.0, 0.0, 0.0, 3.0]
    assert events(detect(spike_negative, grid).mask[0]) == [(at, at + 1), (at + 3, at + 4)]
    grid.values[0, at : at + 4] = 0.0
    assert not detect(spike_negative, grid).mask.any()


def test_long_drop_is_not_a_spike():
    grid = make_grid(days=21)
    at = slot_of(grid, "2026-02-20 11:00")
    grid.values[0, at : at + 16] = 3.0  # 4 h
    assert not detect(spike_negative, grid).mask.any()


def test_small_drop_is_not_a_spike():
    grid = make_grid(days=21)
    at = slot_of(grid, "2026-02-20 11:00")
    grid.values[0, at : at + 4] = 15.0  # 40 % of expected: a dip, not a fault
    assert not detect(spike_negative, grid).mask.any()


@pytest.mark.parametrize("meter", [{}, {"night": 4.0}, COARSE])
def test_holiday_at_night_load_is_not_a_spike(meter):
    grid = make_grid(days=21, holidays=[16], **meter)
    assert not detect(spike_negative, grid).mask.any()


def test_clean_meters_have_no_drops():
    fine = make_grid(days=28, n_meters=10, seed=3)
    coarse = make_grid(days=28, n_meters=10, seed=4, **COARSE)
    water = make_grid(days=28, n_meters=10, kind="water", day=20.0, resolution=1.0, seed=5)
    for grid in (fine, coarse, water):
        assert not detect(spike_negative, grid).mask.any()


def test_drop_at_night_load_is_not_substantial():
    grid = make_grid(days=21)
    at = slot_of(grid, "2026-02-20 02:00")
    grid.values[0, at : at + 4] = 1.0  # expected is the floor (10): not substantial
    assert not detect(spike_negative, grid).mask.any()


def test_dst_day():
    grid = make_grid(days=21, tz="America/New_York", start="2026-10-19")
    at = slot_of(grid, "2026-11-02 11:00")  # Monday after the fall-back Sunday
    grid.values[0, at : at + 4] = 3.0
    assert events(detect(spike_negative, grid).mask[0]) == [(at, at + 4)]


def test_tiny_grids():
    assert not detect(spike_negative, tiny_grid([[5.0]])).mask.any()
    assert not detect(spike_negative, tiny_grid([[nan] * 20])).mask.any()


def test_severity_by_shortfall():
    grades = spike_negative.severity(np.ones(3), np.array([5, 10, 100]), spike_negative.Params())
    assert list(grades) == ["low", "medium", "high"]
