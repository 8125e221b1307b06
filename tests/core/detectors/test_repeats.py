"""The repeat model behind flatline and zero_run: judged by the meter's own history."""

import dataclasses

import numpy as np

from core.detectors import flatline, zero_run
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of

COARSE = {"night": 3.0, "day": 15.0, "resolution": 1.0, "noise": 0.05}  # a 1 kWh sub-meter
TENTH = {"night": 30.0, "day": 60.0, "resolution": 0.1, "noise": 0.03}  # a 0.1 kWh meter


def freeze(grid, start: str, stop: str, row: int = 0) -> tuple[int, int]:
    first, last = slot_of(grid, start), slot_of(grid, stop)
    grid.values[row, first:last] = grid.values[row, first]
    return first, last


def test_coarse_meter_holding_its_night_load_all_weekend_is_quiet():
    grid = make_grid(days=28, **COARSE)
    weekend = grid.values[0, slot_of(grid, "2026-02-21 00:00") : slot_of(grid, "2026-02-23 06:00")]
    assert (weekend == weekend[0]).mean() > 0.95  # the premise: ~54 h at one value
    assert not detect(flatline, grid).mask.any()


def test_tenth_kwh_meter_frozen_four_hours_at_night_level_is_flagged():
    grid = make_grid(days=28, **TENTH)
    first, last = freeze(grid, "2026-02-26 01:00", "2026-02-26 05:00")
    assert grid.values[0, first] < 31  # its night level, the bottom of its range
    # the old rule excused it: the value sits in the floor band and the profile is flat
    old = {"max_log10_probability": -1e9, "min_history_days": 1e9}
    assert not detect(flatline, grid, **old).mask.any()
    assert events(detect(flatline, grid).mask[0]) == [(first, last)]


def test_tenth_kwh_meter_frozen_through_the_morning_ramp_is_flagged():
    grid = make_grid(days=28, **TENTH)
    first, last = freeze(grid, "2026-02-26 04:00", "2026-02-26 09:00")
    assert events(detect(flatline, grid).mask[0]) == [(first, last)]


def test_a_plateau_cannot_make_itself_normal():
    grid = make_grid(days=28, **TENTH)
    first, last = freeze(grid, "2026-02-24 00:00", "2026-02-26 00:00")  # 48 h, > a third
    # of the meter's weekday night transitions are now this plateau's own repeats
    assert events(detect(flatline, grid).mask[0]) == [(first, last)]


def test_probability_is_lower_for_a_longer_freeze_and_for_a_finer_meter():
    def logp(options, hours):
        grid = make_grid(days=28, **options)
        freeze(grid, "2026-02-26 10:00", f"2026-02-26 {10 + hours:02d}:00")
        grid.cache.clear()
        runs = flatline.plateaus(grid)
        runs = runs.select(runs.length >= 8)
        return flatline.log10_probability(grid, runs).min()

    assert logp(TENTH, 6) < logp(TENTH, 3) < -3
    assert logp(TENTH, 3) < logp(COARSE, 3)


def test_confirmed_readings_are_not_evidence():
    grid = make_grid(days=28, **TENTH)
    freeze(grid, "2026-02-10 00:00", "2026-02-13 00:00")  # a 3-day freeze in the history
    first, last = freeze(grid, "2026-02-26 01:00", "2026-02-26 04:00")  # 3 h today
    runs = flatline.plateaus(grid)
    runs = runs.select(runs.start == first)
    with_history = flatline.log10_probability(grid, runs)[0]
    excluded = np.zeros(grid.values.shape, dtype=bool)
    excluded[0, slot_of(grid, "2026-02-10 00:00") : slot_of(grid, "2026-02-13 00:00")] = True
    confirmed = dataclasses.replace(grid, excluded=excluded, cache={})
    assert flatline.log10_probability(confirmed, runs)[0] < with_history - 3


def test_zero_run_on_a_meter_that_never_reads_zero():
    grid = make_grid(days=28, night=1.0, day=8.0, resolution=1.0)  # 1 kWh every night slot
    assert (grid.values != 0).all()  # the premise: it never reads zero
    first, last = slot_of(grid, "2026-02-26 01:00"), slot_of(grid, "2026-02-26 03:00")
    grid.values[0, first:last] = 0.0
    # its night profile is one resolution: the expected-consumption rule sees nothing missing
    old = {"max_zero_share": 0.0}
    assert not detect(zero_run, grid, **old).mask.any()
    assert events(detect(zero_run, grid).mask[0]) == [(first, last)]


def test_zero_run_on_a_meter_that_reads_zero_every_night_stays_quiet():
    grid = make_grid(days=28, night=0.0, day=8.0)
    first, last = slot_of(grid, "2026-02-26 01:00"), slot_of(grid, "2026-02-26 05:00")
    assert (grid.values[0, first:last] == 0).all()
    assert not detect(zero_run, grid).mask.any()


def test_water_meter_that_always_flows_is_judged_at_two_hours():
    grid = make_grid(days=28, night=2.0, day=20.0, resolution=1.0, noise=0.2)
    grid.kinds[:] = "water"
    first, last = slot_of(grid, "2026-02-26 10:00"), slot_of(grid, "2026-02-26 13:00")
    grid.values[0, first:last] = 0.0
    assert events(detect(zero_run, grid).mask[0]) == [(first, last)]  # not 48 h
