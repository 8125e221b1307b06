"""Shared per-meter statistics: expected time-of-week profile, resolution, floor and scale.

Detectors judge a reading against the meter's own history instead of fixed global
thresholds. Everything here is computed for the whole grid at once (no loop per meter) and
memoized in ``grid.cache`` under ``"detectors.*"`` keys, so the detectors of one run share
one computation. Statistics use every slot of the grid (history and scored window); medians
and low/high percentiles keep them robust to a few anomalous days.

Readings inside findings people confirmed (``grid.excluded``: acknowledged, resolved, ignored,
muted) are left out of every statistic here, so a week of a stuck meter never becomes its
normal; readings people marked ``not_an_issue`` stay in (they were normal).

A cached value assumes ``grid.values`` / ``grid.reference`` are not modified afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from core.detectors._robust import (
    circular_window_median,
    counted_row_quantiles,
    group_median_mad,
    row_quantiles,
    sampled_row_quantiles,
)
from core.detectors.base import Grid

FLOOR_QUANTILE = 0.05  # "floor": the meter's night/closed load, below most of its readings
HIGH_QUANTILE = 0.99  # "high": the top of normal operation; 1 % of 29 days is ~7 h of slots
RESOLUTION_QUANTILE = 0.10  # low percentile of positive steps ~ the meter's quantum
MIN_GROUP_SAMPLES = 3  # fewer samples in a weekday/weekend x slot group: use all days
DEFAULT_RESOLUTION = 1.0  # meters with no positive step at all (constant or empty): 1 unit
_MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution x this = its standard deviation
_STEP_EPS = 1e-6  # smaller steps are float noise from unit conversions, not readings
_MIN_SAMPLES = 200  # sampled percentiles need this many values, else use every slot
_SCALE_WINDOW_HOURS = 0.5  # the spread is smoothed over +/- this around the slot of day
_CACHE_PREFIX = "detectors."
_SOURCES = ("values", "reference")


def _memo(grid: Grid, key: str, compute: Callable[[], Any]) -> Any:
    """Return ``grid.cache[prefix + key]``, computing and storing it on first use."""
    full = _CACHE_PREFIX + key
    if full not in grid.cache:
        grid.cache[full] = compute()
    return grid.cache[full]


def _array(grid: Grid, source: str) -> np.ndarray | None:
    if source not in _SOURCES:
        raise ValueError(f"Unknown grid source {source!r}; expected one of {_SOURCES}")
    return grid.values if source == "values" else grid.reference


def baseline_values(grid: Grid) -> np.ndarray:
    """``grid.values`` with the readings of confirmed findings (``grid.excluded``) as NaN.

    The grid's own array when nothing is excluded (no copy); cached otherwise.
    """
    if grid.excluded is None or not grid.excluded.any():
        return grid.values

    def compute() -> np.ndarray:
        out = grid.values.copy()
        out[grid.excluded] = np.nan
        return out

    return _memo(grid, "baseline_values", compute)


def values32(grid: Grid) -> np.ndarray:
    """:func:`baseline_values` as float32, cached: sorts and gathers on half the bytes.

    Statistics (medians, percentiles, resolution) keep 7 significant digits, plenty for
    thresholds; detectors still compare the float64 readings.
    """
    return _memo(grid, "values32", lambda: baseline_values(grid).astype(np.float32))


def slots_per_day(grid: Grid) -> int:
    """Number of local slot-of-day positions (96 for 15-minute grids, 24 for hourly)."""
    return 1440 // grid.slot_minutes


def slot_groups(grid: Grid) -> np.ndarray:
    """``(n_slots,)`` int time-of-week group of each slot, in local time.

    The group is ``is_weekend * slots_per_day + local_slot_of_day``; weekend means local
    Saturday or Sunday. Local time follows DST, so a 23- or 25-hour day maps each reading
    to its wall-clock slot.
    """

    def compute() -> np.ndarray:
        local = grid.local_times()
        minutes = np.asarray(local.hour) * 60 + np.asarray(local.minute)
        sod = minutes // grid.slot_minutes
        weekend = np.asarray(local.day_of_week) >= 5
        return (weekend * slots_per_day(grid) + sod).astype(np.intp)

    return _memo(grid, "slot_groups", compute)


def value_quantiles(grid: Grid) -> dict[str, np.ndarray]:
    """Per-meter ``floor`` (5th pct), ``median`` and ``high`` (99th pct) of the readings."""

    def compute() -> dict[str, np.ndarray]:
        quantiles = (FLOOR_QUANTILE, 0.5, HIGH_QUANTILE)
        data = values32(grid)
        # Every other slot: percentiles of ~1,400 readings per meter are as good as of
        # 2,800, at half the sort; sparse rows are redone on every slot.
        sample = data[:, ::2]
        floor, median, high = sampled_row_quantiles(data, quantiles, sample, _MIN_SAMPLES)
        return {"floor": floor, "median": median, "high": high}

    return _memo(grid, "value_quantiles", compute)


def floor(grid: Grid) -> np.ndarray:
    """``(n_meters,)`` the meter's floor: a low percentile of its readings (night load)."""
    return value_quantiles(grid)["floor"]


def high(grid: Grid) -> np.ndarray:
    """``(n_meters,)`` a high percentile of the meter's readings (top of normal use)."""
    return value_quantiles(grid)["high"]


def floor_band(grid: Grid, resolutions: float, fraction: float) -> np.ndarray:
    """``(n_meters,)`` upper edge of the meter's floor band.

    ``floor + max(resolutions * resolution, fraction * (high - floor))``: readings at or
    below it look like the meter's night / closed-building load.
    """
    res = resolution(grid)
    spread = np.nan_to_num(high(grid) - floor(grid), nan=0.0)
    return floor(grid) + np.maximum(resolutions * res, fraction * spread)


def profile(grid: Grid) -> dict[str, np.ndarray]:
    """Expected reading and its spread per time-of-week group, per meter.

    Returns
    -------
    dict of np.ndarray
        ``median`` and ``mad``, each ``(n_meters, 2 * slots_per_day)``: the median of the
        meter's readings in the same local weekday/weekend and slot of day, and their
        median absolute deviation from it (then the median of that over the neighbouring
        +/- 30 minutes of the same day type: ~20 samples per group alone give a noisy
        spread). A group with fewer than ``MIN_GROUP_SAMPLES`` readings (short grid, long
        gap) falls back to the slot-of-day statistics over all days, then to the meter's
        median (and the median of its group MADs). NaN only for a meter without readings.
    """

    def compute() -> dict[str, np.ndarray]:
        per_day = slots_per_day(grid)
        groups = slot_groups(grid)
        m = grid.n_meters
        stats = {
            "median": np.full((m, 2 * per_day), np.nan, dtype=np.float32),
            "mad": np.full((m, 2 * per_day), np.nan, dtype=np.float32),
            "count": np.zeros((m, 2 * per_day), dtype=np.intp),
        }
        for weekend in (0, 1):
            part = np.where(groups // per_day == weekend, groups % per_day, -1)
            block = slice(weekend * per_day, (weekend + 1) * per_day)
            for key, value in group_median_mad(values32(grid), part, per_day).items():
                stats[key][:, block] = value
        count = stats["count"]
        thin = count < MIN_GROUP_SAMPLES
        rows = np.flatnonzero(thin.any(axis=1))
        if rows.size:
            all_days = group_median_mad(values32(grid)[rows], groups % per_day, per_day)
            use = thin[rows] & (np.tile(all_days["count"], 2) > count[rows])
            for key in ("median", "mad"):
                stats[key][rows] = np.where(use, np.tile(all_days[key], 2), stats[key][rows])
        median = stats["median"]
        half_width = grid.hours_to_slots(_SCALE_WINDOW_HOURS)
        mad = circular_window_median(stats["mad"].reshape(m, 2, per_day), half_width)
        mad = mad.reshape(m, 2 * per_day)
        fallback = {
            "median": value_quantiles(grid)["median"],
            "mad": row_quantiles(mad, (0.5,))[0],
        }
        for key, array in (("median", median), ("mad", mad)):
            empty = np.isnan(array)
            if empty.any():
                array[empty] = np.broadcast_to(fallback[key][:, None], array.shape)[empty]
        return {"median": median.astype(float), "mad": mad.astype(float)}

    return _memo(grid, "profile", compute)


def expected(grid: Grid) -> np.ndarray:
    """``(n_meters, n_slots)`` expected reading of every slot (the time-of-week median)."""
    # np.take keeps C order; profile[:, groups] would be Fortran-ordered, and every later
    # ravel() would copy the grid.
    return _memo(
        grid, "expected", lambda: np.take(profile(grid)["median"], slot_groups(grid), axis=1)
    )


def expected_or_resolution(grid: Grid) -> np.ndarray:
    """``(n_meters, n_slots)`` max(expected, resolution): what a reading is compared with."""
    return _memo(
        grid,
        "expected_or_resolution",
        lambda: np.fmax(expected(grid), resolution(grid)[:, None]),
    )


def active_share(grid: Grid, threshold: np.ndarray) -> np.ndarray:
    """``(n_meters,)`` share of the grid's slots whose expected value exceeds ``threshold``.

    ``threshold`` is ``(n_meters,)``. Computed on the time-of-week profile weighted by how
    often each group occurs in the grid, so it costs ``n_meters x groups``, not a grid pass.
    """
    if grid.n_slots == 0:
        return np.zeros(grid.n_meters)
    weights = np.bincount(slot_groups(grid), minlength=2 * slots_per_day(grid))
    active = profile(grid)["median"] > np.asarray(threshold)[:, None]
    return active @ weights / grid.n_slots


def scale(grid: Grid) -> np.ndarray:
    """``(n_meters, n_slots)`` robust spread of the reading expected at every slot.

    ``1.4826 * MAD`` of the meter's readings in the slot's time-of-week group (a standard
    deviation for normal noise), at least the meter's resolution so quantized or constant
    groups never get 0. Per time of week because a meter is often far noisier by day
    (water draws) than at night.
    """

    def compute() -> np.ndarray:
        sigma = np.fmax(_MAD_TO_SIGMA * profile(grid)["mad"], resolution(grid)[:, None])
        return np.take(sigma, slot_groups(grid), axis=1)  # C order, unlike sigma[:, idx]

    return _memo(grid, "scale", compute)


def resolution(grid: Grid, source: str = "values") -> np.ndarray:
    """``(n_meters,)`` the meter's resolution: smallest typical positive step.

    A low percentile of the positive absolute differences between consecutive readings:
    1 for a meter reporting whole kWh, ~0.01 for a fine one. ``DEFAULT_RESOLUTION`` when
    the meter never changes value. ``source`` is ``"values"`` or ``"reference"``.
    """

    def compute() -> np.ndarray:
        data = _array(grid, source)
        if data is None:
            return np.full(grid.n_meters, DEFAULT_RESOLUTION)
        return resolution_of(baseline_values(grid) if source == "values" else data)

    return _memo(grid, f"resolution.{source}", compute)


def _positive_steps(steps: np.ndarray) -> np.ndarray:
    """``|steps|`` as float32, NaN where not a real positive step."""
    steps = np.abs(steps).astype(np.float32)
    steps[~(steps > _STEP_EPS)] = np.nan
    return steps


def resolution_of(data: np.ndarray) -> np.ndarray:
    """``(n_rows,)`` resolution of each row of a readings array (uncached ``resolution``).

    Uses the steps between slots 2i and 2i+1 (half the work, every part of the grid);
    rows with few such steps fall back to every consecutive pair.
    """
    data = np.asarray(data)
    if data.shape[0] == 0:
        return np.zeros(0)
    pairs = data.shape[1] // 2 * 2
    sample = _positive_steps(data[:, 1:pairs:2] - data[:, 0:pairs:2])
    out, count = counted_row_quantiles(sample, (RESOLUTION_QUANTILE,))
    redo = np.flatnonzero(count < _MIN_SAMPLES)
    if redo.size:
        steps = _positive_steps(np.diff(data[redo], axis=1))
        out[:, redo] = row_quantiles(steps, (RESOLUTION_QUANTILE,))
    return np.where(np.isnan(out[0]), DEFAULT_RESOLUTION, out[0])
