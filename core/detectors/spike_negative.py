"""spike_negative: a short drop far below a substantial expected reading.

A slot is a drop core when the reading is positive (zeros belong to ``zero_run``), below
``ratio`` x expected and below expected - ``k`` robust scales, while the expected value is
substantial: at least ``expected_resolutions`` resolutions and above the meter's floor band.
The excursion around it (readings below ``loose_ratio`` x expected) must last at most
``max_hours``: a whole day at night load (holiday, closure) is not a spike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import _baseline as baseline
from core.detectors._runs import flat_mask, short_runs_with_core
from core.detectors.base import Detection, Grid, grade

NAME = "spike_negative"
MAGNITUDE_UNIT = "kWh or gal shortfall"  # sum of expected - reading
SOURCES = ("platform", "raw")


@dataclass(frozen=True)
class Params:
    """Parameters of the spike_negative detector.

    Parameters
    ----------
    max_hours : float
        Longest drop that is still a spike, in hours (default 2).
    ratio : float
        Core: 0 < reading < ``ratio`` x expected (default 0.2).
    k : float
        Core: reading < expected - ``k`` robust scales (default 4).
    expected_resolutions : float
        Core: expected >= this many meter resolutions (default 3).
    floor_band_resolutions : float
        Core: expected above the meter's floor by more than this many resolutions ...
        (default 2)
    floor_band_fraction : float
        ... and by more than this fraction of its high-minus-floor range (default 0.2).
    loose_ratio : float
        Extent of the drop: reading < ``loose_ratio`` x expected (default 0.5).
    medium_magnitude : float
        Shortfall (meter unit) at least this is ``medium`` severity (default 10).
    high_magnitude : float
        Shortfall at least this is ``high`` severity (default 100).
    """

    max_hours: float = 2.0
    ratio: float = 0.2
    k: float = 4.0
    expected_resolutions: float = 3.0
    floor_band_resolutions: float = 2.0
    floor_band_fraction: float = 0.2
    loose_ratio: float = 0.5
    medium_magnitude: float = 10.0
    high_magnitude: float = 100.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark short drops far below a substantial expected profile."""
    values = grid.values
    expected = baseline.expected(grid)
    # One cheap necessary condition over the whole grid, the rest on the few candidates.
    cand = np.flatnonzero(values < max(params.ratio, params.loose_ratio) * expected)
    row = cand // grid.n_slots
    value = values.ravel()[cand]
    want = expected.ravel()[cand]
    band = baseline.floor_band(grid, params.floor_band_resolutions, params.floor_band_fraction)
    substantial = (want >= params.expected_resolutions * baseline.resolution(grid)[row]) & (
        want > band[row]
    )
    core = (
        substantial
        & (value > 0)
        & (value < params.ratio * want)
        & (want - value > params.k * baseline.scale(grid).ravel()[cand])
    )
    extent = value < params.loose_ratio * want
    runs = short_runs_with_core(
        flat_mask(cand[extent], values.shape),
        flat_mask(cand[core], values.shape),
        grid.hours_to_slots(params.max_hours),
    )
    # Zeros inside a drop belong to zero_run; NaN never gets here (comparisons are False).
    cells = runs.cells()
    cells = cells[values.ravel()[cells] > 0]
    magnitude = np.zeros(values.size)
    magnitude[cells] = expected.ravel()[cells] - values.ravel()[cells]
    return Detection(flat_mask(cells, values.shape), magnitude.reshape(values.shape))


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by shortfall: ``medium_magnitude`` -> medium, ``high_magnitude`` -> high."""
    return grade(magnitude, params.medium_magnitude, params.high_magnitude)
