"""missing_data: gaps inside the data, leading gaps and short trailing gaps."""

import numpy as np
import pytest

from core.detectors import missing_data
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of, tiny_grid

nan = np.nan


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ([1, nan, nan, 2, 3], [(1, 3)]),  # inside the data
        ([nan, nan, 1, 2, 3], [(0, 2)]),  # at series start (meter not started yet)
        ([1, 2, 3, nan, nan], [(3, 5)]),  # short trailing gap (< offline's 4 h)
        ([nan, 1, nan, 2, nan], [(0, 1), (2, 3), (4, 5)]),
        ([1, 2, 3, 4, 5], []),
        ([nan] * 5, []),  # all-NaN meter: offline's
        ([nan], []),
        ([4.0], []),
    ],
)
def test_cases(row, expected):
    found = detect(missing_data, tiny_grid([row]))
    assert events(found.mask[0]) == expected
    np.testing.assert_allclose(found.magnitude[0], np.isnan(row) * found.mask[0] * 0.25)


def test_long_trailing_gap_is_offline_not_missing():
    row = np.ones(40)
    row[-16:] = nan  # exactly offline's 4 h minimum
    assert not detect(missing_data, tiny_grid([row])).mask.any()
    row[-16] = 1.0  # 15 slots: still missing data
    assert events(detect(missing_data, tiny_grid([row])).mask[0]) == [(25, 40)]


def test_long_inside_gap_is_missing():
    row = np.ones(200)
    row[50:150] = nan
    assert events(detect(missing_data, tiny_grid([row])).mask[0]) == [(50, 150)]


def test_min_slots():
    row = [1, nan, nan, 2, nan, 3]
    found = detect(missing_data, tiny_grid([row]), min_slots=2)
    assert events(found.mask[0]) == [(1, 3)]


def test_meters_are_independent():
    rows = [[1, nan, 2, 3], [nan, nan, nan, nan], [1, 2, 3, nan]]
    found = detect(missing_data, tiny_grid(rows))
    assert [events(m) for m in found.mask] == [[(1, 2)], [], [(3, 4)]]


def test_hourly_grid_uses_hours():
    row = np.ones(24)
    row[-3:] = nan  # 3 h trailing: missing
    assert events(detect(missing_data, tiny_grid([row], slot_minutes=60)).mask[0]) == [(21, 24)]
    row[-4:] = nan  # 4 h trailing: offline
    assert not detect(missing_data, tiny_grid([row], slot_minutes=60)).mask.any()
    row = np.ones(24)
    row[5:7] = nan
    found = detect(missing_data, tiny_grid([row], slot_minutes=60))
    assert found.magnitude.sum() == 2.0


def test_dst_spring_forward_gap_hours():
    grid = make_grid(days=3, tz="America/New_York", start="2026-03-07")
    first, last = slot_of(grid, "2026-03-08 00:00"), slot_of(grid, "2026-03-08 06:00")
    grid.values[0, first:last] = nan  # 00:00-06:00 local on a 23-hour day is 5 real hours
    found = detect(missing_data, grid)
    assert events(found.mask[0]) == [(first, last)]
    assert found.magnitude.sum() == pytest.approx(5.0)


def test_severity():
    grades = missing_data.severity(
        np.array([0.25, 2.0, 11.9, 12.0]), np.zeros(4), missing_data.Params()
    )
    assert list(grades) == ["low", "medium", "medium", "high"]
