"""flatline: exactly repeated non-zero readings while the meter should be changing."""

import numpy as np
import pytest

from core.detectors import flatline
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of, tiny_grid

nan = np.nan
COARSE = {"night": 3.0, "day": 15.0, "resolution": 1.0, "noise": 0.05}  # a small 1 kWh meter


def stick(grid, start: str, stop: str, row: int = 0) -> tuple[int, int]:
    """Repeat the reading at local ``start`` until local ``stop``; return the slots."""
    first, last = slot_of(grid, start), slot_of(grid, stop)
    grid.values[row, first:last] = grid.values[row, first]
    return first, last


def test_stuck_through_the_evening_ramp_is_flagged():
    grid = make_grid(days=21)
    first, last = stick(grid, "2026-02-20 14:00", "2026-02-20 22:00")
    found = detect(flatline, grid)
    assert events(found.mask[0]) == [(first, last)]
    assert found.magnitude.sum() == pytest.approx(8.0)  # hours


def test_sentinel_far_below_the_floor_is_flagged():
    grid = make_grid(days=21)
    first, last = slot_of(grid, "2026-02-20 00:00"), slot_of(grid, "2026-02-20 23:00")
    grid.values[0, first:last] = 1.0  # a logger's placeholder, far under the night load
    assert events(detect(flatline, grid).mask[0]) == [(first, last)]


def test_hourly_meter_needs_min_points():
    grid = make_grid(days=21, slot_minutes=60)
    first, _ = stick(grid, "2026-02-20 14:00", "2026-02-20 19:00")  # 5 equal hourly readings
    assert events(detect(flatline, grid).mask[0]) == []
    # A separate meter: the repeat model counts one meter's other plateaus as its habit.
    grid = make_grid(days=21, slot_minutes=60)
    first, last = stick(grid, "2026-02-19 13:00", "2026-02-19 20:00")  # 7 equal readings
    assert events(detect(flatline, grid).mask[0]) == [(first, last)]


def test_repeated_sentinel_days_are_each_flagged():
    grid = make_grid(days=28)
    days = ["2026-02-08", "2026-02-15", "2026-02-22", "2026-03-01"]  # four Sundays
    for day in days:
        first, last = slot_of(grid, f"{day} 00:00"), slot_of(grid, f"{day} 23:00")
        grid.values[0, first:last] = 1.0
    found = events(detect(flatline, grid).mask[0])
    assert len(found) == len(days)  # earlier sentinels in the history do not hide the last


def test_coarse_night_load_at_the_floor_is_not_a_sentinel():
    grid = make_grid(days=21, **COARSE)
    first, last = slot_of(grid, "2026-02-20 00:00"), slot_of(grid, "2026-02-20 23:00")
    grid.values[0, first:last] = 3.0  # a closed building at its night load
    assert events(detect(flatline, grid).mask[0]) == []


def test_fine_meter_stuck_mid_day_is_flagged():
    grid = make_grid(days=21)
    first, last = stick(grid, "2026-02-20 10:00", "2026-02-20 16:00")
    assert events(detect(flatline, grid).mask[0]) == [(first, last)]


def test_coarse_meter_stuck_at_a_day_value_is_flagged():
    grid = make_grid(days=21, **COARSE)
    first, last = stick(grid, "2026-02-20 14:00", "2026-02-20 22:00")
    ((start, stop),) = events(detect(flatline, grid).mask[0])
    assert start <= first and stop == last  # the plateau may start earlier: same reading


def test_coarse_meter_repeating_its_night_load_is_not_flagged():
    grid = make_grid(days=21, **COARSE)
    night = grid.values[0, slot_of(grid, "2026-02-17 00:00") : slot_of(grid, "2026-02-17 06:00")]
    assert (night == night[0]).all()  # the premise: hours of identical readings at night
    assert not detect(flatline, grid).mask.any()  # nights, weekends


def test_holiday_at_night_load_is_not_flagged():
    grid = make_grid(days=21, holidays=[16, 17], **COARSE)  # Wed + Thu: Tue 18:00 -> Fri 07:00
    assert not detect(flatline, grid).mask.any()


def test_long_plateau_is_flagged_whatever_the_profile():
    grid = make_grid(days=21, **COARSE)
    grid.values[0, :] = 3.0  # at the floor all the time
    first, last = 0, grid.hours_to_slots(100)
    grid.values[0, last:] += np.tile([1.0, 0.0], (grid.n_slots - last) // 2)
    assert events(detect(flatline, grid).mask[0]) == [(first, last)]  # series start
    # The long-plateau rule alone (repeat model off) needs long_hours ...
    off = {"max_log10_probability": -1e9}
    assert not detect(flatline, grid, long_hours=120, **off).mask.any()
    # ... but a meter that otherwise never repeats makes 100 h at one value improbable anyway.
    assert events(detect(flatline, grid, long_hours=120).mask[0]) == [(first, last)]


def test_plateau_at_series_end():
    grid = make_grid(days=18)  # the last day is Thursday 2026-02-19
    first = slot_of(grid, "2026-02-19 16:00")
    grid.values[0, first:] = grid.values[0, first]
    assert events(detect(flatline, grid).mask[0]) == [(first, grid.n_slots)]


def test_short_candidates_are_reported_min_hours_is_for_post_processing():
    grid = make_grid(days=21)
    first, last = stick(grid, "2026-02-20 16:00", "2026-02-20 19:00")  # 3 h
    assert events(detect(flatline, grid).mask[0]) == [(first, last)]
    assert flatline.Params().min_hours > 3 > flatline.Params().candidate_hours
    first, last = stick(grid, "2026-02-19 16:00", "2026-02-19 17:30")  # 1.5 h: not even that
    assert not detect(flatline, grid).mask[0, first:last].any()


def test_zeros_and_nan_are_not_plateaus():
    grid = make_grid(days=21)
    first, last = slot_of(grid, "2026-02-20 14:00"), slot_of(grid, "2026-02-20 22:00")
    grid.values[0, first:last] = 0.0
    assert not detect(flatline, grid).mask.any()
    grid.values[0, first:last] = nan
    assert not detect(flatline, grid).mask.any()
    grid.values[0, first:last] = 25.0
    grid.values[0, first + 5] = nan  # splits into 1.25 h + 6.5 h
    assert events(detect(flatline, grid).mask[0]) == [(first + 6, last)]


def test_dst_day():
    # 2026-03-08 is the Sunday New York springs forward. A coarse meter holding its weekend
    # load that day is its habit; a fine meter frozen for 8 h is not, weekend or not.
    coarse = make_grid(days=21, tz="America/New_York", start="2026-02-16", **COARSE)
    assert not detect(flatline, coarse).mask.any()
    grid = make_grid(days=21, tz="America/New_York", start="2026-02-16")
    first, last = stick(grid, "2026-03-08 14:00", "2026-03-08 22:00")
    assert last - first == 32  # 8 local hours on the 23-hour day
    assert events(detect(flatline, grid).mask[0]) == [(first, last)]
    other_first, other_last = stick(grid, "2026-03-06 14:00", "2026-03-06 22:00")
    assert events(detect(flatline, grid).mask[0]) == [(other_first, other_last), (first, last)]


def test_tiny_grids():
    assert not detect(flatline, tiny_grid([[5.0]])).mask.any()
    assert not detect(flatline, tiny_grid([[nan] * 20])).mask.any()
    found = detect(flatline, tiny_grid([[5.0] * 500]))  # > long_hours of one value
    assert found.mask.all()


def test_severity():
    grades = flatline.severity(np.array([2, 6, 24]), np.zeros(3), flatline.Params())
    assert list(grades) == ["low", "medium", "high"]
