"""offline: trailing gaps of at least min_hours, and meters without any reading."""

import numpy as np
import pytest

from core.detectors import offline
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of, tiny_grid

nan = np.nan


def row_with_tail(n_slots: int, tail: int) -> np.ndarray:
    row = np.ones(n_slots)
    if tail:
        row[-tail:] = nan
    return row


@pytest.mark.parametrize(
    ("tail", "expected"),
    [(16, [(24, 40)]), (15, []), (40, [(0, 40)]), (0, [])],
)
def test_trailing_gap(tail, expected):
    found = detect(offline, tiny_grid([row_with_tail(40, tail)]))
    assert events(found.mask[0]) == expected
    assert found.magnitude.sum() == pytest.approx(0.25 * sum(b - a for a, b in expected))


def test_inside_and_leading_gaps_are_not_offline():
    row = np.ones(100)
    row[:30] = nan
    row[50:90] = nan
    assert not detect(offline, tiny_grid([row])).mask.any()


def test_all_nan_meter_is_offline_even_on_a_short_grid():
    found = detect(offline, tiny_grid([[nan, nan, nan], [1, 2, 3]]))
    assert found.mask.tolist() == [[True] * 3, [False] * 3]
    assert detect(offline, tiny_grid([[nan]])).mask.tolist() == [[True]]
    assert not detect(offline, tiny_grid([[1.0]])).mask.any()


def test_min_hours_param_and_hourly_grid():
    assert detect(offline, tiny_grid([row_with_tail(40, 8)]), min_hours=2).mask.sum() == 8
    hourly = tiny_grid([row_with_tail(48, 4)], slot_minutes=60)
    found = detect(offline, hourly)
    assert found.mask.sum() == 4 and found.magnitude.sum() == 4.0


def test_dst_fall_back_trailing_gap_counts_real_hours():
    grid = make_grid(days=2, tz="America/New_York", start="2026-10-31")
    first = slot_of(grid, "2026-11-01 00:00")
    grid.values[0, first:] = nan  # local Nov 1 has 25 hours
    found = detect(offline, grid)
    assert events(found.mask[0]) == [(first, grid.n_slots)]
    assert found.magnitude.sum() == pytest.approx(25.0)


def test_severity():
    grades = offline.severity(np.array([4, 6, 23, 24, 100]), np.zeros(5), offline.Params())
    assert list(grades) == ["low", "medium", "medium", "high", "high"]
