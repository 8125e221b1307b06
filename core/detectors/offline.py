"""offline: the meter stopped reporting and has not come back by the end of the grid.

Flags the trailing run of missing readings (NaN up to the last slot) once it lasts at least
``min_hours``, and every slot of a meter with no reading at all. Shorter trailing gaps are
left to ``missing_data`` (they are usually delivery lag).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors._runs import missing_runs
from core.detectors.base import Detection, Grid, grade

NAME = "offline"
MAGNITUDE_UNIT = "hours"
SOURCES = ("platform", "raw")


@dataclass(frozen=True)
class Params:
    """Parameters of the offline detector.

    Parameters
    ----------
    min_hours : float
        Shortest trailing gap, in hours, that counts as offline (default 4). Shorter
        trailing gaps are reported by ``missing_data``.
    medium_hours : float
        Offline at least this long is ``medium`` severity (default 6).
    high_hours : float
        Offline at least this long is ``high`` severity (default 24).
    """

    min_hours: float = 4.0
    medium_hours: float = 6.0
    high_hours: float = 24.0


def trailing_gap_runs(grid: Grid, min_hours: float) -> np.ndarray:
    """``(n_runs,)`` bool over ``missing_runs(grid)``: True where the run is offline.

    A NaN run is offline when it reaches the last slot and lasts at least ``min_hours``, or
    when it covers the meter's whole row (no reading at all). ``missing_data`` uses the
    same rule to leave these runs out.
    """
    runs = missing_runs(grid)
    at_end = runs.stop == grid.n_slots
    whole = at_end & (runs.start == 0)
    return at_end & ((runs.length >= grid.hours_to_slots(min_hours)) | whole)


def detect(grid: Grid, params: Params) -> Detection:
    """Mark trailing missing runs of at least ``params.min_hours`` and all-NaN meters."""
    offline = missing_runs(grid).select(trailing_gap_runs(grid, params.min_hours))
    return Detection(offline.to_mask(), offline.scatter(grid.slot_minutes / 60.0))


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by hours offline: ``medium_hours`` -> medium, ``high_hours`` -> high."""
    return grade(hours, params.medium_hours, params.high_hours)
