"""Fast NaN-aware order statistics over many rows at once: quantiles, medians, MADs.

``np.nanmedian`` / ``np.nanpercentile`` loop over rows in Python for large arrays; here each
statistic is one vectorised sort (NaN sorts last) followed by picking, per row, the
positions given by its count of valid values. Sorts run on blocks of rows in parallel
threads (numpy releases the GIL while sorting).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

THREADS = max(1, min(4, os.cpu_count() or 1))
_PARALLEL_MIN_CELLS = 500_000  # below this, thread start-up costs more than it saves


def sort_rows(array: np.ndarray) -> None:
    """Sort ``array`` in place along its last axis, blocks of rows on parallel threads."""
    if THREADS == 1 or array.size < _PARALLEL_MIN_CELLS or array.shape[0] < THREADS:
        array.sort(axis=-1)
        return
    bounds = np.linspace(0, array.shape[0], THREADS + 1).astype(int)
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda i: array[bounds[i] : bounds[i + 1]].sort(axis=-1), range(THREADS)))


def sorted_median(block: np.ndarray) -> np.ndarray:
    """Median along the last axis of an array sorted with NaN last; NaN without values."""
    count = np.count_nonzero(~np.isnan(block), axis=-1)
    lo = ((np.maximum(count, 1) - 1) // 2)[..., None]
    hi = (np.maximum(count, 1) // 2)[..., None]
    return 0.5 * (
        np.take_along_axis(block, lo, axis=-1)[..., 0]
        + np.take_along_axis(block, hi, axis=-1)[..., 0]
    )


def counted_row_quantiles(
    values: np.ndarray, quantiles: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row quantiles (nearest rank), ignoring NaN and +/-inf, and the valid counts.

    Parameters
    ----------
    values : np.ndarray
        ``(n_rows, n_cols)``. Computed in float32 (half the sort time; 7 significant
        digits are plenty for thresholds).
    quantiles : sequence of float
        Quantiles in [0, 1].

    Returns
    -------
    tuple of np.ndarray
        ``(len(quantiles), n_rows)`` float64 quantiles (NaN for a row without a finite
        value) and ``(n_rows,)`` number of finite values per row.
    """
    values = np.asarray(values)
    n_rows = values.shape[0]
    out = np.full((len(quantiles), n_rows), np.nan)
    if n_rows == 0 or values.shape[1] == 0:
        return out, np.zeros(n_rows, dtype=np.intp)
    work = values.astype(np.float32)  # always a copy: sorted in place below
    work[np.isinf(work)] = np.nan
    sort_rows(work)  # NaN sorts last
    count = np.count_nonzero(~np.isnan(work), axis=1)
    has = count > 0
    for i, q in enumerate(quantiles):
        pos = np.rint(q * np.maximum(count - 1, 0)).astype(np.intp)
        picked = np.take_along_axis(work, pos[:, None], axis=1)[:, 0]
        out[i] = np.where(has, picked, np.nan)
    return out, count


def row_quantiles(values: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """``(len(quantiles), n_rows)`` NaN-aware per-row quantiles (see counted_row_quantiles)."""
    return counted_row_quantiles(values, quantiles)[0]


def sampled_row_quantiles(
    values: np.ndarray, quantiles: Sequence[float], sample: np.ndarray, min_samples: int
) -> np.ndarray:
    """Per-row quantiles from ``sample`` (a cheaper subset of ``values``' columns).

    Rows with fewer than ``min_samples`` finite sampled cells (short grids, sparse meters,
    a reporting pattern aligned with the sampling) are recomputed on all of ``values``.
    """
    out, count = counted_row_quantiles(sample, quantiles)
    redo = np.flatnonzero(count < min_samples)
    if redo.size:
        out[:, redo] = row_quantiles(values[redo], quantiles)
    return out


def group_median_mad(
    values: np.ndarray, groups: np.ndarray, n_groups: int
) -> dict[str, np.ndarray]:
    """Per-row NaN-aware median and MAD of the columns of each group.

    Gathers ``values`` into ``(n_rows, n_groups, largest_group)`` with NaN padding and sorts
    the last axis once for the medians and once for the absolute deviations.

    Parameters
    ----------
    values : np.ndarray
        ``(n_rows, n_cols)``; NaN = missing.
    groups : np.ndarray
        ``(n_cols,)`` int group of each column in ``[0, n_groups)``; negative = skip.
    n_groups : int
        Number of groups.

    Returns
    -------
    dict of np.ndarray
        ``median``, ``mad`` (NaN for a group without a value) and ``count``, each
        ``(n_rows, n_groups)``.
    """
    m = values.shape[0]
    cols = np.flatnonzero(groups >= 0)
    if m == 0 or cols.size == 0:
        nan = np.full((m, n_groups), np.nan)
        return {"median": nan, "mad": nan.copy(), "count": np.zeros((m, n_groups), np.intp)}
    grp = groups[cols]
    order = np.argsort(grp, kind="stable")
    cols, grp = cols[order], grp[order]
    sizes = np.bincount(grp, minlength=n_groups)
    pos = np.arange(cols.size) - (np.cumsum(sizes) - sizes)[grp]
    index = np.zeros((n_groups, int(sizes.max())), dtype=np.intp)
    index[grp, pos] = cols
    pad = np.ones(index.shape, dtype=bool)
    pad[grp, pos] = False
    stack = np.take(values, index, axis=1)  # C order (values[:, index] is not): fast sorts
    if pad.any():
        stack[:, pad] = np.nan
    count = np.count_nonzero(~np.isnan(stack), axis=2)
    sort_rows(stack)
    median = sorted_median(stack)
    np.subtract(stack, median[..., None], out=stack)
    np.abs(stack, out=stack)
    sort_rows(stack)
    return {"median": median, "mad": sorted_median(stack), "count": count}


def circular_window_median(array: np.ndarray, half_width: int) -> np.ndarray:
    """Median over a +/- ``half_width`` window along the last axis, wrapping around.

    NaN neighbours are ignored; a window without values stays NaN.
    """
    if array.size == 0 or half_width < 1:
        return array
    window = np.stack(
        [np.roll(array, shift, axis=-1) for shift in range(-half_width, half_width + 1)],
        axis=-1,
    )
    sort_rows(window)
    return sorted_median(window).astype(array.dtype)
