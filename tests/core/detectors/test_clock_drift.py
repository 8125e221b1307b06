"""clock_drift: readings stamped consistently off the slot boundary, from import statistics."""

import dataclasses

import numpy as np
import pytest

from core.detectors import clock_drift
from tests.core.detectors.gridmaker import detect, events, make_grid


def with_clock(grid, late=0, early=0, median=0.0, days=slice(None), readings=96, off_grid=0):
    n_days = grid.n_slots // 96
    clock = {
        k: np.zeros((grid.n_meters, n_days)) for k in ("readings", "off_grid", "late", "early")
    }
    clock["median_offset_s"] = np.zeros((grid.n_meters, n_days))
    clock["readings"][:] = readings
    clock["late"][0, days] = late
    clock["early"][0, days] = early
    clock["median_offset_s"][0, days] = median
    clock["off_grid"][0, days] = off_grid
    return dataclasses.replace(grid, clock=clock, cache={})


def test_a_gateway_stamping_late_is_one_low_finding_with_its_median_offset():
    grid = with_clock(make_grid(days=14), late=90, median=40.0, days=slice(10, 14))
    found = detect(clock_drift, grid)
    assert events(found.mask[0]) == [(10 * 96, 14 * 96)]
    assert found.magnitude.sum() == pytest.approx(40.0)
    assert list(clock_drift.severity(np.array([96.0]), np.array([40.0]), clock_drift.Params())) == [
        "low"
    ]


def test_an_early_clock_is_a_negative_offset():
    grid = with_clock(make_grid(days=14), early=96, median=-75.0, days=slice(12, 14))
    assert detect(clock_drift, grid).magnitude.sum() == pytest.approx(-75.0)


def test_drift_days_with_a_gap_between_still_make_one_finding():
    grid = with_clock(make_grid(days=14), late=90, median=30.0, days=[5, 6, 12, 13])
    assert events(detect(clock_drift, grid).mask[0]) == [(5 * 96, 14 * 96)]


def test_jitter_both_ways_few_readings_or_small_offsets_are_quiet():
    base = make_grid(days=14)
    assert not detect(clock_drift, with_clock(base, late=48, early=48, median=2.0)).mask.any()
    assert not detect(clock_drift, with_clock(base, late=90, median=4.0)).mask.any()
    assert not detect(clock_drift, with_clock(base, late=5, median=40.0, readings=5)).mask.any()
    assert not detect(clock_drift, base).mask.any()  # no import statistics at all


def test_readings_skipped_as_off_the_grid_count_toward_the_day():
    # 60 kept readings and 36 skipped ones, all about 2.5 minutes late
    grid = with_clock(
        make_grid(days=14), late=96, median=150.0, readings=60, off_grid=36, days=slice(13, 14)
    )
    assert detect(clock_drift, grid).mask.any()
