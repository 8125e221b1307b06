"""water_leak: a water meter that stopped reaching zero flow while it normally does nightly.

The "never reaches zero" rule water utilities and meter vendors use. A zero-flow hour is
``zero_flow_hours`` of consecutive zero readings. A water meter is leaking when the last
UTC day(s) of the grid (the last 24 h at least) had no zero-flow hour although at least
``nightly_share`` of its earlier well-covered days (``min_complete`` of their readings, at
least ``min_history_days`` of them) had one. Days inside findings people confirmed are not
history. The finding spans the leaking days up to the end of the grid, one per meter.

Magnitude: the leak rate, i.e. the smallest flow over any hour of the leaking days, in the
meter's unit per hour (a toilet running non-stop shows as its flow at 3 a.m.).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import _baseline as baseline
from core.detectors._runs import Runs, paint_once
from core.detectors.base import Detection, Grid, grade

NAME = "water_leak"
MAGNITUDE_UNIT = "gal per hour (smallest hourly flow)"
SOURCES = ("platform",)
SCOPE = "usage"
MERGE_HOURS = 24.0 * 400  # one finding per meter: gaps never split a leak


@dataclass(frozen=True)
class Params:
    """Parameters of the water_leak detector.

    Parameters
    ----------
    zero_flow_hours : float
        Length of a zero-flow period: that many hours of consecutive zero readings
        (default 1).
    nightly_share : float
        Share of the meter's earlier days that had a zero-flow period (default 0.8).
    min_history_days : int
        Fewest earlier well-covered days needed to judge (default 7).
    min_complete : float
        Share of a day's readings that must be present to count it (default 0.9).
    medium_rate : float
        A leak of at least this many units per hour is ``medium`` severity (default 5).
    high_rate : float
        A leak of at least this many units per hour is ``high`` severity (default 50).
    """

    zero_flow_hours: float = 1.0
    nightly_share: float = 0.8
    min_history_days: int = 7
    min_complete: float = 0.9
    medium_rate: float = 5.0
    high_rate: float = 50.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark the trailing days without a zero-flow hour of water meters that normally have one."""
    rows = np.flatnonzero((np.asarray(grid.kinds) == "water") & ~grid.is_bidirectional())
    per_day = grid.slots_per_day
    n_days = grid.n_slots // per_day
    if rows.size == 0 or n_days < 2:
        return Detection.empty(grid)
    width = n_days * per_day
    hour = grid.hours_to_slots(params.zero_flow_hours)
    values = grid.values[rows, :width]
    history = baseline.baseline_values(grid)[rows, :width]
    dry = _zero_hour_days(values, hour, per_day)  # (k, n_days), judged on the real readings
    dry_history = _zero_hour_days(history, hour, per_day)
    covered = (~np.isnan(history)).reshape(len(rows), n_days, per_day).mean(axis=2)
    covered = covered >= params.min_complete
    present = (~np.isnan(values)).reshape(len(rows), n_days, per_day).mean(axis=2)
    wet = (present >= params.min_complete) & ~dry  # a well-covered day without a zero hour
    # Trailing run of wet days ending on the last day.
    trailing = np.cumprod(wet[:, ::-1], axis=1)[:, ::-1].astype(bool)
    leak_days = trailing.sum(axis=1)
    before = ~trailing & covered
    share = np.count_nonzero(before & dry_history, axis=1) / np.maximum(before.sum(axis=1), 1)
    leaking = (leak_days > 0) & (before.sum(axis=1) >= params.min_history_days)
    leaking &= share >= params.nightly_share
    hit = np.flatnonzero(leaking)
    if hit.size == 0:
        return Detection.empty(grid)
    start = (n_days - leak_days[hit]) * per_day
    runs = Runs(rows[hit], start, np.full(hit.size, width), (grid.n_meters, grid.n_slots))
    rate = _min_hourly_flow(values[hit], start, hour) * grid.slots_per_hour / hour
    mask, magnitude = paint_once(grid.values, runs, rate)
    return Detection(mask, magnitude)


def _zero_hour_days(values: np.ndarray, hour: int, per_day: int) -> np.ndarray:
    """``(k, n_days)`` bool: the day holds ``hour`` consecutive zero readings ending in it."""
    zero = (values == 0).astype(np.int32)
    ends = np.zeros(values.shape, dtype=bool)
    csum = np.cumsum(zero, axis=1)
    ends[:, hour - 1] = csum[:, hour - 1] == hour
    ends[:, hour:] = (csum[:, hour:] - csum[:, :-hour]) == hour
    return ends.reshape(values.shape[0], -1, per_day).any(axis=2)


def _min_hourly_flow(values: np.ndarray, start: np.ndarray, hour: int) -> np.ndarray:
    """``(k,)`` smallest sum of ``hour`` consecutive known readings from ``start`` on."""
    filled = np.where(np.isnan(values), np.inf, values)  # a window with a gap never wins
    csum = np.cumsum(np.where(np.isinf(filled), 0.0, filled), axis=1)
    gaps = np.cumsum(np.isinf(filled), axis=1)
    sums = np.full(values.shape, np.inf)
    sums[:, hour - 1] = np.where(gaps[:, hour - 1] == 0, csum[:, hour - 1], np.inf)
    window_gaps = gaps[:, hour:] - gaps[:, :-hour]
    sums[:, hour:] = np.where(window_gaps == 0, csum[:, hour:] - csum[:, :-hour], np.inf)
    cols = np.arange(values.shape[1])[None, :]
    sums[cols < (start[:, None] + hour - 1)] = np.inf  # windows inside the leaking days
    out = sums.min(axis=1)
    return np.where(np.isfinite(out), out, 0.0)


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by leak rate: ``medium_rate`` -> medium, ``high_rate`` -> high."""
    return grade(magnitude, params.medium_rate, params.high_rate)
