"""raw_platform_mismatch: sustained disagreement between raw and platform readings."""

import numpy as np

from core.detectors import raw_platform_mismatch as mismatch
from tests.core.detectors.gridmaker import detect, events, make_grid, tiny_grid, with_values

nan = np.nan


def pair(*changes: tuple[int, int, float], n_slots: int = 40, slot_minutes: int = 15):
    """Platform 10, 11, 12, 13, ...; raw equal except ``(start, stop, value)`` changes."""
    platform = np.tile([10.0, 11.0, 12.0, 13.0], n_slots // 4)[None, :]
    raw = platform.copy()
    for start, stop, value in changes:
        raw[0, start:stop] = value
    return tiny_grid(raw, reference=platform, slot_minutes=slot_minutes)


def test_no_reference_finds_nothing():
    grid = tiny_grid([[1.0, 2.0, 3.0]])
    found = detect(mismatch, grid)
    assert not found.mask.any() and found.mask.shape == (1, 3)


def test_sustained_disagreement_is_flagged():
    found = detect(mismatch, pair((10, 14, 30.0)))
    assert events(found.mask[0]) == [(10, 14)]
    assert found.magnitude.sum() == np.abs(30.0 - np.array([12, 13, 10, 11])).sum()


def test_short_disagreement_is_not():
    assert not detect(mismatch, pair((10, 13, 30.0))).mask.any()


def test_at_series_start_and_end():
    found = detect(mismatch, pair((0, 4, 0.0), (34, 40, 50.0)))
    assert events(found.mask[0]) == [(0, 4), (34, 40)]


def test_relative_tolerance():
    grid = make_grid(days=3)  # readings ~10..40 with 3 % noise: fine resolution
    raw = grid.values * 1.05  # 5 % off: within rel_tol
    assert not detect(mismatch, with_values(grid, raw, grid.values)).mask.any()
    raw = grid.values * 1.25
    assert detect(mismatch, with_values(grid, raw, grid.values)).mask.all()


def test_missing_on_either_side_is_unknown_and_breaks_runs():
    grid = pair((10, 18, 30.0))
    grid.reference[0, 13] = nan
    grid.values[0, 16] = nan
    found = detect(mismatch, grid)
    assert not found.mask[0, [13, 16]].any()
    assert events(found.mask[0]) == []  # 3 + 2 + 1 slots: none lasts an hour
    assert events(detect(mismatch, grid, min_hours=0.5).mask[0]) == [(10, 13), (14, 16)]


def test_hourly_grid_one_slot_is_an_hour():
    found = detect(mismatch, pair((5, 6, 40.0), n_slots=24, slot_minutes=60))
    assert events(found.mask[0]) == [(5, 6)]


def test_severity():
    grades = mismatch.severity(np.array([1, 6, 24]), np.zeros(3), mismatch.Params())
    assert list(grades) == ["low", "medium", "high"]
