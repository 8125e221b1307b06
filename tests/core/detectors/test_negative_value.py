"""negative_value: every reading below zero."""

import numpy as np
import pytest

from core.detectors import negative_value
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of, tiny_grid

nan = np.nan


@pytest.mark.parametrize(
    ("row", "expected", "magnitude"),
    [
        ([1, -2, -3, 4], [(1, 3)], 5.0),
        ([-1, 2, 3, 4], [(0, 1)], 1.0),  # series start
        ([1, 2, 3, -0.5], [(3, 4)], 0.5),  # series end
        ([-1, nan, -1, 0], [(0, 1), (2, 3)], 2.0),  # NaN is unknown, zero is fine
        ([0, 0, 0], [], 0.0),
        ([nan, nan], [], 0.0),
        ([-7.0], [(0, 1)], 7.0),
    ],
)
def test_cases(row, expected, magnitude):
    found = detect(negative_value, tiny_grid([row]))
    assert events(found.mask[0]) == expected
    assert found.magnitude.sum() == pytest.approx(magnitude)


def test_on_a_dst_day():
    grid = make_grid(days=3, tz="America/New_York", start="2026-03-07")
    at = slot_of(grid, "2026-03-08 03:00")  # first slot after the skipped hour
    grid.values[0, at] = -5
    found = detect(negative_value, grid)
    assert events(found.mask[0]) == [(at, at + 1)]


def test_severity_worse_of_length_and_size():
    params = negative_value.Params()
    hours = np.array([0.25, 1.0, 0.25, 6.0, 0.25])
    magnitude = np.array([1.0, 1.0, 10.0, 1.0, 100.0])
    assert list(negative_value.severity(hours, magnitude, params)) == [
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]
