"""spike_positive: a short burst of readings far above what the meter normally reads.

A slot is a spike core when its reading exceeds the expected time-of-week value by more
than ``k`` robust scales, is more than ``ratio`` times ``max(expected, resolution)`` and is
above ``high_ratio`` x the meter's 99th percentile plus ``high_margin`` scales. The
excursion around it (readings above ``loose_k`` scales and ``loose_ratio`` times expected)
must last at most ``max_hours``: a load that doubles, or stays high for longer, is
operation, not a spike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import _baseline as baseline
from core.detectors._runs import flat_mask, short_runs_with_core
from core.detectors.base import Detection, Grid, grade

NAME = "spike_positive"
MAGNITUDE_UNIT = "kWh or gal excess"  # sum of reading - expected
SOURCES = ("platform", "raw")


@dataclass(frozen=True)
class Params:
    """Parameters of the spike_positive detector.

    Parameters
    ----------
    max_hours : float
        Longest excursion that is still a spike, in hours (default 2).
    k : float
        Core: reading > expected + ``k`` robust scales (default 8).
    ratio : float
        Core: reading > ``ratio`` x max(expected, resolution) (default 3).
    high_ratio : float
        Core: reading > ``high_ratio`` x the meter's 99th percentile + ``high_margin``
        scales (default 2: heavy-tailed meters, e.g. water draws, exceed their own 99th
        percentile by 50 % now and then).
    high_margin : float
        See ``high_ratio`` (default 2).
    loose_k : float
        Extent of the excursion: reading > expected + ``loose_k`` scales ... (default 3)
    loose_ratio : float
        ... and reading > ``loose_ratio`` x max(expected, resolution) (default 1.5).
    medium_magnitude : float
        Excess (meter unit) at least this is ``medium`` severity (default 10).
    high_magnitude : float
        Excess at least this is ``high`` severity (default 100).
    """

    max_hours: float = 2.0
    k: float = 8.0
    ratio: float = 3.0
    high_ratio: float = 2.0
    high_margin: float = 2.0
    loose_k: float = 3.0
    loose_ratio: float = 1.5
    medium_magnitude: float = 10.0
    high_magnitude: float = 100.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark short excursions far above the meter's expected profile."""
    values = grid.values
    expected = baseline.expected(grid)
    # One cheap necessary condition over the whole grid, the rest on the few candidates.
    base = baseline.expected_or_resolution(grid)
    weakest = min(params.ratio, params.loose_ratio)
    cand = np.flatnonzero(values > weakest * base)  # NaN compares False: never flagged
    row = cand // grid.n_slots
    value = values.ravel()[cand]
    excess = value - expected.ravel()[cand]
    base = base.ravel()[cand]
    scale = baseline.scale(grid).ravel()[cand]
    core = (
        (excess > params.k * scale)
        & (value > params.ratio * base)
        & (value > params.high_ratio * baseline.high(grid)[row] + params.high_margin * scale)
    )
    extent = (excess > params.loose_k * scale) & (value > params.loose_ratio * base)
    runs = short_runs_with_core(
        flat_mask(cand[extent], values.shape),
        flat_mask(cand[core], values.shape),
        grid.hours_to_slots(params.max_hours),
    )
    return Detection(runs.to_mask(), runs.scatter(runs.take(values) - runs.take(expected)))


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by excess: ``medium_magnitude`` -> medium, ``high_magnitude`` -> high."""
    return grade(magnitude, params.medium_magnitude, params.high_magnitude)
