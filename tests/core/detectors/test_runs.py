"""Run-length helpers against a plain Python reference."""

import numpy as np
import pytest

from core.detectors._runs import (
    find_runs,
    flat_mask,
    missing_runs,
    run_lengths,
    short_runs_with_core,
)
from tests.core.detectors.gridmaker import tiny_grid


def reference_runs(mask):
    out = []
    for row, line in enumerate(mask):
        start = None
        for col, flag in enumerate(list(line) + [False]):
            if flag and start is None:
                start = col
            if not flag and start is not None:
                out.append((row, start, col))
                start = None
    return out


@pytest.mark.parametrize("seed", range(5))
def test_find_runs_matches_reference(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((7, 30)) < rng.uniform(0.1, 0.9)
    mask[1] = True  # runs touching both row ends
    mask[2] = False
    runs = find_runs(mask)
    assert list(zip(runs.row, runs.start, runs.stop, strict=True)) == reference_runs(mask)
    np.testing.assert_array_equal(runs.to_mask(), mask)


def test_runs_do_not_cross_rows():
    mask = np.array([[False, True, True], [True, True, False]])
    runs = find_runs(mask)
    assert list(zip(runs.row, runs.start, runs.stop, strict=True)) == [(0, 1, 3), (1, 0, 2)]


def test_reductions_and_painting():
    mask = np.array([[True, True, False, True], [False, True, True, True]])
    values = np.arange(8.0).reshape(2, 4)
    runs = find_runs(mask)
    np.testing.assert_array_equal(runs.length, [2, 1, 3])
    np.testing.assert_array_equal(runs.sum(values), [1.0, 3.0, 18.0])
    np.testing.assert_array_equal(runs.reduce(np.fmax, values), [1.0, 3.0, 7.0])
    np.testing.assert_array_equal(runs.reduce(np.add, mask), [2, 1, 3])
    np.testing.assert_array_equal(runs.first(values), [0.0, 3.0, 5.0])
    np.testing.assert_array_equal(runs.take(values), [0, 1, 3, 5, 6, 7])
    np.testing.assert_array_equal(runs.cell_rows(), [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(runs.scatter(2.0), mask * 2.0)
    np.testing.assert_array_equal(runs.paint(runs.length), [[2, 2, 0, 1], [0, 3, 3, 3]])
    np.testing.assert_array_equal(run_lengths(mask), [[2, 2, 0, 1], [0, 3, 3, 3]])
    kept = runs.select(runs.length > 1)
    assert len(kept) == 2 and kept.to_mask().sum() == 5


def test_empty_inputs():
    for shape in [(0, 5), (3, 0), (2, 4)]:
        runs = find_runs(np.zeros(shape, dtype=bool))
        assert len(runs) == 0
        assert runs.to_mask().shape == shape
        assert runs.sum(np.zeros(shape)).shape == (0,)


def test_short_runs_with_core():
    extent = np.array([[1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1]], dtype=bool)
    core = np.array([[0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]], dtype=bool)
    runs = short_runs_with_core(extent, core, max_slots=3)
    assert list(zip(runs.start, runs.stop, strict=True)) == [(0, 3)]  # too long; no core


def test_flat_mask_and_missing_runs_cache():
    assert flat_mask(np.array([1, 4]), (2, 3)).tolist() == [
        [False, True, False],
        [False, True, False],
    ]
    grid = tiny_grid([[1.0, np.nan, np.nan, 2.0]])
    runs = missing_runs(grid)
    assert missing_runs(grid) is runs
    assert (runs.start[0], runs.stop[0]) == (1, 3)
