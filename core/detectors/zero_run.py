"""zero_run: the meter reads exactly zero for hours while it is expected to consume.

A run of exact zeros is flagged when it lasts at least the kind's minimum (``min_hours``
for electricity, ``water_min_hours`` for water) and the meter's expected time-of-week
profile expects consumption (expected > ``expected_resolutions`` resolutions) on a share
of the run's slots of at least ``expected_fraction`` x the meter's usual share. For a
meter that always consumes (electricity with a night load) the usual share is ~1, so this
is "expected on at least half the run"; for an office water meter that only draws during
opening hours (~30 % of the week) a zero run over working days still qualifies, while a
run over nights, weekends and a holiday does not. Water meters read 0 most nights and
weekends, and a closed building's water meter can stay at 0 from one evening to the
morning after a holiday, hence the longer water minimum.

On a meter that (almost) never reads zero (at most ``max_zero_share`` of its readings in the
grid), a zero run of at least ``min_hours``, water meters included, is also flagged when it is
improbable for that meter: under the repeat model of ``core.detectors._repeats`` (how often it
enters and stays at zero at that time of the week, its own run left out) its probability is
below ``10 ** max_log10_probability``. That catches the stuck-at-zero meter whose profile
expects little (a night-time fault, a small load) and the water meter that always flows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import _baseline as baseline
from core.detectors import _repeats as repeats
from core.detectors._runs import Runs, find_runs
from core.detectors.base import Detection, Grid, grade

NAME = "zero_run"
MAGNITUDE_UNIT = "kWh or gal expected"  # sum of the expected profile over the run
SOURCES = ("platform", "raw")


@dataclass(frozen=True)
class Params:
    """Parameters of the zero_run detector.

    Parameters
    ----------
    min_hours : float
        Shortest zero run of an electricity (non-water) meter, in hours (default 2).
    water_min_hours : float
        Shortest zero run of a water meter, in hours (default 48).
    expected_resolutions : float
        A slot "expects consumption" when its expected value exceeds this many meter
        resolutions (default 1).
    expected_fraction : float
        The share of the run's slots that expect consumption must reach this fraction of
        the meter's usual share over the grid (default 0.5).
    max_zero_share : float
        Meters with at most this share of zero readings in the grid "never read zero" and
        are also judged by the repeat model (default 0.01).
    max_log10_probability : float
        On such meters a zero run is improbable when log10 of its probability under the
        meter's repeat model is below this (default -7).
    min_history_days : float
        ... provided the meter has at least this many days of readings (default 7).
    medium_hours : float
        A run at least this long is ``medium`` severity (default 6).
    high_hours : float
        A run at least this long is ``high`` severity (default 24).
    """

    min_hours: float = 2.0
    water_min_hours: float = 48.0
    expected_resolutions: float = 1.0
    expected_fraction: float = 0.5
    max_zero_share: float = 0.01
    max_log10_probability: float = -7.0
    min_history_days: float = 7.0
    medium_hours: float = 6.0
    high_hours: float = 24.0


def log10_probability(grid: Grid, runs: Runs) -> np.ndarray:
    """``(n_runs,)`` log10 probability of each zero run under its meter's repeat model."""
    rows, local = np.unique(runs.row, return_inverse=True)
    held = baseline.baseline_values(grid)[rows]  # excluded readings are not evidence
    known = ~np.isnan(held)
    counted = np.zeros(held.shape, dtype=bool)
    counted[:, 1:] = known[:, 1:] & known[:, :-1]
    state = grid.values[rows] == 0
    sub = Runs(local, runs.start, runs.stop, held.shape)
    return repeats.run_log10(state, counted, None, repeats.time_bins(grid), sub, 0)


def _rarely_zero(grid: Grid, rows: np.ndarray, params: Params) -> np.ndarray:
    """``(len(rows),)`` bool: few zeros and enough history for the repeat model."""
    data = baseline.baseline_values(grid)[rows]
    known = np.count_nonzero(~np.isnan(data), axis=1)
    zeros = np.count_nonzero(data == 0, axis=1)
    enough = known >= params.min_history_days * grid.slots_per_day
    return enough & (zeros <= params.max_zero_share * np.maximum(known, 1))


def detect(grid: Grid, params: Params) -> Detection:
    """Mark zero runs long enough while consumption is expected, or improbable (see above)."""
    runs = find_runs(grid.values == 0)
    runs = runs.select(runs.length >= grid.hours_to_slots(params.min_hours))
    if len(runs) == 0:
        return Detection.empty(grid)
    is_water = (np.asarray(grid.kinds) == "water")[runs.row]
    long_enough = runs.length >= np.where(
        is_water,
        grid.hours_to_slots(params.water_min_hours),
        grid.hours_to_slots(params.min_hours),
    )

    threshold = params.expected_resolutions * baseline.resolution(grid)
    expected = runs.take(baseline.expected(grid))
    share = runs.reduce_cells(np.add, expected > threshold[runs.cell_rows()]) / runs.length
    usual = baseline.active_share(grid, threshold)[runs.row]
    keep = long_enough & (share > 0) & (share >= params.expected_fraction * usual)

    rows = np.unique(runs.row)
    rare = np.zeros(grid.n_meters, dtype=bool)
    rare[rows] = _rarely_zero(grid, rows, params)
    judged = rare[runs.row] & ~keep
    if judged.any():
        improbable = log10_probability(grid, runs.select(judged)) < params.max_log10_probability
        keep[np.flatnonzero(judged)[improbable]] = True
    lost = np.clip(np.nan_to_num(expected), 0.0, None)
    # Keep only the qualifying runs' cells (the cells of runs are contiguous per run).
    keep_cells = np.repeat(keep, runs.length)
    runs, lost = runs.select(keep), lost[keep_cells]
    return Detection(runs.to_mask(), runs.scatter(lost))


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by run hours: ``medium_hours`` -> medium, ``high_hours`` -> high."""
    return grade(hours, params.medium_hours, params.high_hours)
