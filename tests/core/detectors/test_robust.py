"""Order statistics against numpy's (slow, per-row) NaN-aware functions."""

import numpy as np
import pytest

from core.detectors import _robust as robust


@pytest.fixture
def gappy():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(20, 301))
    values[rng.random(values.shape) < 0.3] = np.nan
    values[3] = np.nan
    values[4, 0], values[4, 1:] = 1.5, np.nan
    return values


def test_row_quantiles_match_numpy_nearest(gappy):
    got, count = robust.counted_row_quantiles(gappy, (0.05, 0.5, 0.99))
    np.testing.assert_array_equal(count, np.count_nonzero(~np.isnan(gappy), axis=1))
    rows = count > 0
    for i, q in enumerate((0.05, 0.5, 0.99)):
        want = np.nanquantile(gappy[rows], q, axis=1, method="nearest")
        np.testing.assert_allclose(got[i, rows], want, rtol=1e-6, atol=1e-6)
    assert np.isnan(got[:, 3]).all() and (got[:, 4] == 1.5).all()
    assert robust.row_quantiles(np.zeros((0, 4)), (0.5,)).shape == (1, 0)
    with_inf = np.array([[1.0, np.inf, 3.0, -np.inf]])
    assert robust.row_quantiles(with_inf, (0.0, 1.0)).ravel().tolist() == [1.0, 3.0]


def test_sampled_quantiles_redo_sparse_rows(gappy):
    values = np.tile(gappy, 4)
    sample = values[:, ::2]
    got = robust.sampled_row_quantiles(values, (0.5,), sample, min_samples=100)
    count = np.count_nonzero(~np.isnan(sample), axis=1)
    full = robust.row_quantiles(values, (0.5,))
    sparse = count < 100
    np.testing.assert_array_equal(got[:, sparse], full[:, sparse])
    np.testing.assert_array_equal(got[:, ~sparse], robust.row_quantiles(sample, (0.5,))[:, ~sparse])


def test_group_median_mad_matches_numpy(gappy):
    groups = np.arange(gappy.shape[1]) % 7 - 1  # group -1 is skipped
    stats = robust.group_median_mad(gappy, groups, 6)
    for g in range(6):
        block = gappy[:, groups == g]
        valid = ~np.isnan(block).all(axis=1)
        median = np.nanmedian(block[valid], axis=1)
        np.testing.assert_allclose(stats["median"][valid, g], median)
        mad = np.nanmedian(np.abs(block[valid] - median[:, None]), axis=1)
        np.testing.assert_allclose(stats["mad"][valid, g], mad)
        assert np.isnan(stats["median"][~valid, g]).all()
        np.testing.assert_array_equal(stats["count"][:, g], (~np.isnan(block)).sum(axis=1))


def test_circular_window_median():
    array = np.array([[1.0, 9.0, 2.0, np.nan, 4.0]])
    np.testing.assert_array_equal(
        robust.circular_window_median(array, 1),
        [[4.0, 2.0, 5.5, 3.0, 2.5]],  # wraps around
    )
    assert robust.circular_window_median(array, 0) is array


def test_threaded_sort_equals_numpy(monkeypatch):
    monkeypatch.setattr(robust, "THREADS", 3)
    monkeypatch.setattr(robust, "_PARALLEL_MIN_CELLS", 10)
    rng = np.random.default_rng(1)
    array = rng.normal(size=(10, 50))
    array[rng.random(array.shape) < 0.2] = np.nan
    want = np.sort(array, axis=-1)
    robust.sort_rows(array)
    np.testing.assert_array_equal(array, want)
