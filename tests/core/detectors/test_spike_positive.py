"""spike_positive: short bursts far above the meter's expected profile and its normal top."""

import numpy as np
import pytest

from core.detectors import spike_positive
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of, tiny_grid

nan = np.nan


def test_one_slot_spike_is_flagged_with_its_excess():
    grid = make_grid(days=21)  # day load ~40
    at = slot_of(grid, "2026-02-20 11:00")
    grid.values[0, at] = 200.0
    found = detect(spike_positive, grid)
    assert events(found.mask[0]) == [(at, at + 1)]
    assert found.magnitude.sum() == pytest.approx(160, rel=0.05)


def test_spikes_at_series_start_and_end():
    grid = make_grid(days=21)
    grid.values[0, 0] = 200.0
    grid.values[0, -1] = 150.0
    end = grid.n_slots
    assert events(detect(spike_positive, grid).mask[0]) == [(0, 1), (end - 1, end)]


def test_two_hours_is_a_spike_three_hours_is_operation():
    grid = make_grid(days=21)
    at = slot_of(grid, "2026-02-20 11:00")
    grid.values[0, at : at + 8] = 200.0
    assert events(detect(spike_positive, grid).mask[0]) == [(at, at + 8)]
    grid.values[0, at : at + 12] = 200.0
    assert not detect(spike_positive, grid).mask.any()


def test_load_doubled_for_a_few_hours_is_not_a_spike():
    grid = make_grid(days=21)
    at = slot_of(grid, "2026-02-20 10:00")
    grid.values[0, at : at + 12] *= 2  # 3 h
    assert not detect(spike_positive, grid).mask.any()
    grid.values[0, at : at + 4] *= 1.4  # 1 h at 2.8x
    assert not detect(spike_positive, grid).mask.any()


def test_clean_meters_have_no_spikes():
    fine = make_grid(days=28, n_meters=10, seed=3)
    coarse = make_grid(days=28, n_meters=10, night=3, day=15, resolution=1.0, noise=0.05)
    water = make_grid(days=28, n_meters=10, kind="water", day=20.0, resolution=1.0, seed=5)
    for grid in (fine, coarse, water):
        assert not detect(spike_positive, grid).mask.any()


def test_water_burst_far_above_its_usual_draws():
    grid = make_grid(days=21, kind="water", day=20.0, resolution=1.0)
    at = slot_of(grid, "2026-02-20 03:00")
    grid.values[0, at] = 500.0
    assert events(detect(spike_positive, grid).mask[0]) == [(at, at + 1)]


def test_catch_up_reading_after_a_gap_is_flagged_gap_is_not():
    grid = make_grid(days=21)
    at = slot_of(grid, "2026-02-20 11:00")
    grid.values[0, at - 8 : at] = nan
    grid.values[0, at] = 9 * 40.0  # the meter delivers the missing 2 h in one reading
    found = detect(spike_positive, grid)
    assert events(found.mask[0]) == [(at, at + 1)]


def test_noise_cannot_split_a_long_excursion_into_spikes():
    grid = make_grid(days=21)
    at = slot_of(grid, "2026-02-20 10:00")
    grid.values[0, at : at + 16] = np.tile([200.0, 90.0], 8)  # 4 h high, every other slot less
    assert not detect(spike_positive, grid).mask.any()


def test_dst_day_and_hourly_grid():
    grid = make_grid(days=21, tz="America/New_York", start="2026-02-16")
    at = slot_of(grid, "2026-03-08 03:00")  # first slot after the skipped hour
    grid.values[0, at] = 300.0
    assert events(detect(spike_positive, grid).mask[0]) == [(at, at + 1)]
    hourly = make_grid(days=21, slot_minutes=60)
    at = slot_of(hourly, "2026-02-20 11:00")
    hourly.values[0, at : at + 2] = 200.0
    assert events(detect(spike_positive, hourly).mask[0]) == [(at, at + 2)]
    hourly.values[0, at : at + 3] = 200.0
    assert not detect(spike_positive, hourly).mask.any()


def test_tiny_grids():
    assert not detect(spike_positive, tiny_grid([[5.0]])).mask.any()
    assert not detect(spike_positive, tiny_grid([[nan] * 20])).mask.any()


def test_severity_by_excess():
    grades = spike_positive.severity(np.ones(3), np.array([5, 10, 100]), spike_positive.Params())
    assert list(grades) == ["low", "medium", "high"]
