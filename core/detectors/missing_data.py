"""missing_data: gaps in the readings that ``offline`` does not cover.

Flags runs of missing readings (NaN) inside the data (the meter reports again afterwards),
a leading gap before the meter's first reading, and trailing gaps shorter than the offline
minimum (often delivery lag). A meter with no reading at all and trailing gaps of at least
``offline_min_hours`` belong to ``offline``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import offline
from core.detectors._runs import missing_runs
from core.detectors.base import Detection, Grid, grade

NAME = "missing_data"
MAGNITUDE_UNIT = "hours"
SOURCES = ("platform", "raw")


@dataclass(frozen=True)
class Params:
    """Parameters of the missing_data detector.

    Parameters
    ----------
    min_slots : int
        Shortest gap, in slots, that is reported (default 1: every missing reading).
    offline_min_hours : float
        Trailing gaps at least this long are ``offline``, not missing data (default
        ``offline.Params().min_hours``, 4 h). Keep it equal to the offline detector's
        ``min_hours``.
    medium_hours : float
        A gap at least this long is ``medium`` severity (default 2).
    high_hours : float
        A gap at least this long is ``high`` severity (default 12).
    """

    min_slots: int = 1
    offline_min_hours: float = offline.Params().min_hours
    medium_hours: float = 2.0
    high_hours: float = 12.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark missing runs of at least ``params.min_slots`` slots, except offline ones."""
    runs = missing_runs(grid)
    keep = (runs.length >= params.min_slots) & ~offline.trailing_gap_runs(
        grid, params.offline_min_hours
    )
    gaps = runs.select(keep)
    return Detection(gaps.to_mask(), gaps.scatter(grid.slot_minutes / 60.0))


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by hours missing: ``medium_hours`` -> medium, ``high_hours`` -> high."""
    return grade(hours, params.medium_hours, params.high_hours)
