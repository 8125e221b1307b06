"""zero_run: exact zeros for hours while the meter's profile expects consumption."""

import numpy as np
import pytest

from core.detectors import zero_run
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of, tiny_grid

nan = np.nan
WATER = {"kind": "water", "day": 20.0, "resolution": 1.0}


def zero(grid, start: str, stop: str) -> tuple[int, int]:
    first, last = slot_of(grid, start), slot_of(grid, stop)
    grid.values[0, first:last] = 0.0
    return first, last


def test_electricity_zeros_while_open_are_flagged():
    grid = make_grid(days=21)
    first, last = zero(grid, "2026-02-20 10:00", "2026-02-20 13:00")
    found = detect(zero_run, grid)
    assert events(found.mask[0]) == [(first, last)]
    assert found.magnitude.sum() == pytest.approx(12 * 40, rel=0.05)  # 3 h at ~40 / slot


def test_electricity_zeros_at_night_load_are_flagged():
    grid = make_grid(days=21)
    first, last = zero(grid, "2026-02-19 01:00", "2026-02-19 04:00")
    assert events(detect(zero_run, grid).mask[0]) == [(first, last)]


def test_short_zero_run_is_not_flagged():
    grid = make_grid(days=21)
    zero(grid, "2026-02-20 10:00", "2026-02-20 11:45")  # 1.75 h < 2 h
    assert not detect(zero_run, grid).mask.any()
    assert detect(zero_run, grid, min_hours=1.5).mask.any()


def test_submeter_off_at_night_is_not_flagged_but_off_by_day_is():
    grid = make_grid(days=21, night=0.0)  # reads exactly 0 every night and weekend
    assert not detect(zero_run, grid).mask.any()
    first, last = zero(grid, "2026-02-20 10:00", "2026-02-20 13:00")
    assert events(detect(zero_run, grid).mask[0]) == [(first, last)]


def test_water_zero_nights_and_weekends_are_not_flagged():
    grid = make_grid(days=21, **WATER)
    assert (grid.values == 0).mean() > 0.6  # the premise
    assert not detect(zero_run, grid).mask.any()


def test_water_zero_over_a_long_holiday_weekend_is_not_flagged():
    grid = make_grid(days=21, holidays=[18], **WATER)  # Friday: Thu 17:30 -> Mon 07:30
    assert not detect(zero_run, grid).mask.any()


def test_water_zero_over_working_days_is_flagged():
    grid = make_grid(days=21, **WATER)
    first, last = zero(grid, "2026-02-16 00:00", "2026-02-19 00:00")  # Mon-Wed
    found = detect(zero_run, grid)
    ((start, stop),) = events(found.mask[0])
    assert start < first and stop > last  # joined with the weekend's and Thursday's zeros
    assert found.magnitude.sum() > 3 * 30 * 10  # 3 days x ~36 open slots x ~17 gal median


def test_water_needs_48_hours():
    grid = make_grid(days=21, **WATER)
    zero(grid, "2026-02-17 06:00", "2026-02-18 06:00")  # Tue: 13:00 Mon -> 07:30 Wed, ~38 h
    assert not detect(zero_run, grid).mask.any()
    assert detect(zero_run, grid, water_min_hours=24).mask.any()


def test_zero_run_at_series_start_and_end():
    grid = make_grid(days=18)  # Mon 2026-02-02 .. Thu 2026-02-19
    grid.values[0, :12] = 0.0
    grid.values[0, -12:] = 0.0
    assert events(detect(zero_run, grid).mask[0]) == [(0, 12), (grid.n_slots - 12, grid.n_slots)]


def test_nan_ends_a_zero_run():
    grid = make_grid(days=21)
    first, last = zero(grid, "2026-02-20 10:00", "2026-02-20 13:00")
    grid.values[0, first + 6] = nan  # 1.5 h + 1.25 h
    assert not detect(zero_run, grid).mask.any()


def test_dst_day():
    grid = make_grid(days=21, tz="America/New_York", start="2026-10-19")
    first, last = zero(grid, "2026-11-01 00:00", "2026-11-01 04:00")  # 5 real hours
    found = detect(zero_run, grid)
    assert events(found.mask[0]) == [(first, last)]
    assert last - first == 20


def test_tiny_grids():
    assert not detect(zero_run, tiny_grid([[0.0]])).mask.any()  # no consumption expected
    assert not detect(zero_run, tiny_grid([[nan] * 20])).mask.any()
    assert not detect(zero_run, tiny_grid([[0.0] * 20])).mask.any()


def test_severity():
    grades = zero_run.severity(np.array([2, 6, 48]), np.zeros(3), zero_run.Params())
    assert list(grades) == ["low", "medium", "high"]
