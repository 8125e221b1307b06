"""flatline: a non-zero reading repeated exactly for longer than this meter plausibly does.

A plateau is a run of identical consecutive readings (diff == 0, zeros excluded: they belong
to ``zero_run``). It is flagged when it lasts at least ``candidate_hours`` and either

* it is improbable for this meter: under the repeat model of ``core.detectors._repeats``
  (how often this meter repeats a reading at that level and time of the week, and keeps
  repeating once it has, from its own readings with the plateau itself left out), the
  plateau's probability is below ``10 ** max_log10_probability``. A 1 kWh sub-meter that
  holds its night load every night and all weekend has many such plateaus: quiet. A 0.1 kWh
  meter whose readings change every interval, frozen for four hours at any level (its night
  level included), is flagged. Meters with less than ``min_history_days`` of readings are
  judged by the older rule instead: the expected profile varies over the plateau by at least
  ``vary_resolutions`` resolutions and the value is above the meter's floor band; or
* the profile varies and the repeated value is far *below* the meter's usual level (under
  ``below_floor_fraction`` of its floor or ``below_median_fraction`` of its median): a
  sentinel such as a logger writing 1.0 for a whole day on a building whose night load is
  200 kWh. The median keeps this working when earlier sentinel days drag the floor down, or
* it lasts at least ``long_hours``, longer than a normal weekend/holiday night-load stretch.

Plateaus shorter than ``min_hours`` are still reported as candidates; the DQ job's
post-processing turns them into ``not_an_issue`` using ``Params.min_hours``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import _baseline as baseline
from core.detectors import _repeats as repeats
from core.detectors._runs import Runs, find_runs
from core.detectors.base import Detection, Grid, grade

NAME = "flatline"
MAGNITUDE_UNIT = "hours"
SOURCES = ("platform", "raw")


@dataclass(frozen=True)
class Params:
    """Parameters of the flatline detector.

    Parameters
    ----------
    candidate_hours : float
        Shortest plateau reported at all, in hours (default 2).
    min_points : int
        Fewest identical readings in a plateau reported at all (default 6): on hourly meters
        a few equal readings in a row happen by chance, so hours alone are too little evidence.
    min_hours : float
        Shortest plateau that is an issue, in hours (default 4). The detector reports
        shorter candidates; the DQ job's post-processing marks them ``not_an_issue``.
    long_hours : float
        A plateau at least this long is flagged whatever the profile and floor (default 96:
        longer than a long weekend at night load, Thursday 18:00 to Monday 07:00 = 85 h).
    vary_resolutions : float
        The expected profile must vary (max - min over the plateau) by at least this many
        meter resolutions (default 3).
    floor_band_resolutions : float
        The repeated value must exceed the meter's floor by more than this many
        resolutions (default 2) ...
    floor_band_fraction : float
        ... and by more than this fraction of the meter's high-minus-floor range
        (default 0.1).
    below_floor_fraction : float
        A repeated value under this fraction of the meter's floor (its night load) is a
        sentinel, not a real load (default 0.5).
    below_median_fraction : float
        ... and so is one under this fraction of the meter's median reading (default 0.1).
    max_log10_probability : float
        A plateau is improbable for the meter when log10 of its probability under the
        meter's repeat model is below this (default -7: one chance in ten million).
    min_history_days : float
        Meters with fewer days of readings in the grid are judged by the profile and floor
        band rule instead of the repeat model (default 7).
    medium_hours : float
        A plateau at least this long is ``medium`` severity (default 6).
    high_hours : float
        A plateau at least this long is ``high`` severity (default 24).
    """

    candidate_hours: float = 2.0
    min_points: int = 6
    min_hours: float = 4.0
    long_hours: float = 96.0
    vary_resolutions: float = 3.0
    floor_band_resolutions: float = 2.0
    floor_band_fraction: float = 0.1
    below_floor_fraction: float = 0.5
    below_median_fraction: float = 0.1
    max_log10_probability: float = -7.0
    min_history_days: float = 7.0
    medium_hours: float = 6.0
    high_hours: float = 24.0


def plateaus(grid: Grid) -> Runs:
    """Runs of identical consecutive non-zero readings, from their first slot (all lengths)."""
    values = grid.values
    repeat = np.zeros(values.shape, dtype=bool)
    # NaN == NaN is False, so a gap always ends a plateau.
    np.equal(values[:, 1:], values[:, :-1], out=repeat[:, 1:])
    repeat[:, 1:] &= values[:, 1:] != 0
    runs = find_runs(repeat)
    # A run of k repeats is a plateau of k + 1 slots starting one slot earlier.
    return Runs(runs.row, runs.start - 1, runs.stop, runs.shape)


def log10_probability(grid: Grid, runs: Runs) -> np.ndarray:
    """``(n_runs,)`` log10 probability of each plateau under its meter's repeat model."""
    rows, local = np.unique(runs.row, return_inverse=True)
    values = grid.values[rows]
    held = baseline.baseline_values(grid)[rows]  # excluded readings are not evidence
    known = ~np.isnan(held)
    counted = np.zeros(values.shape, dtype=bool)
    counted[:, 1:] = known[:, 1:] & known[:, :-1] & (held[:, :-1] != 0)
    state = np.zeros(values.shape, dtype=bool)
    np.equal(values[:, 1:], values[:, :-1], out=state[:, 1:])
    level = np.zeros(values.shape, dtype=np.int8)
    level[:, 1:] = repeats.level_bins(grid, rows, values[:, :-1])  # the held value, at t-1
    sub = Runs(local, runs.start, runs.stop, values.shape)
    return repeats.run_log10(state, counted, level, repeats.time_bins(grid), sub, 1)


def detect(grid: Grid, params: Params) -> Detection:
    """Mark plateaus of repeated non-zero readings that qualify (see module docstring)."""
    values = grid.values
    runs = plateaus(grid)
    shortest = max(grid.hours_to_slots(params.candidate_hours), params.min_points)
    runs = runs.select(runs.length >= shortest)
    if len(runs) == 0:
        return Detection.empty(grid)

    expected = baseline.expected(grid)
    spread = runs.reduce(np.fmax, expected) - runs.reduce(np.fmin, expected)
    res = baseline.resolution(grid)[runs.row]
    varies = spread >= params.vary_resolutions * res
    value = runs.first(values)
    levels = baseline.value_quantiles(grid)
    sentinel = (value < params.below_floor_fraction * levels["floor"][runs.row]) | (
        value < params.below_median_fraction * levels["median"][runs.row]
    )
    long = runs.length >= grid.hours_to_slots(params.long_hours)
    rows = np.unique(runs.row)
    enough = np.zeros(grid.n_meters, dtype=bool)
    enough[rows] = repeats.history_days(grid, rows) >= params.min_history_days
    improbable = np.zeros(len(runs), dtype=bool)
    judged = enough[runs.row]
    if judged.any():
        sub = runs.select(judged)
        improbable[judged] = log10_probability(grid, sub) < params.max_log10_probability
    band = baseline.floor_band(grid, params.floor_band_resolutions, params.floor_band_fraction)
    young = ~judged & varies & (value > band[runs.row])
    flat = runs.select(improbable | young | (varies & sentinel) | long)
    return Detection(flat.to_mask(), flat.scatter(grid.slot_minutes / 60.0))


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by plateau hours: ``medium_hours`` -> medium, ``high_hours`` -> high."""
    return grade(hours, params.medium_hours, params.high_hours)
