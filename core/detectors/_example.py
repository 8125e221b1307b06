"""_example: a copyable template detector (flags sustained readings far above normal).

It is NOT in ``REGISTRY``. To add a detector, copy this file and follow README.md, "Add a
detector". Every threshold goes in the frozen ``Params`` dataclass with a default and a
numpy-style description (the job, the sandbox and the docs read them from there); ``detect``
uses whole-grid numpy operations, no loop per meter or per slot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import _baseline as baseline
from core.detectors._runs import find_runs
from core.detectors.base import Detection, Grid, grade

NAME = "_example"
MAGNITUDE_UNIT = "kWh or gal above the threshold"  # unit of the per-event sum
SOURCES = ("platform", "raw")  # which readings sources the job runs it on


@dataclass(frozen=True)
class Params:
    """Parameters of the example detector.

    Parameters
    ----------
    factor : float
        A reading is high when it exceeds ``factor`` x the meter's 99th percentile
        (default 2).
    min_hours : float
        Shortest run of high readings reported, in hours (default 1).
    medium_hours : float
        A run at least this long is ``medium`` severity (default 3).
    high_hours : float
        A run at least this long is ``high`` severity (default 12).
    """

    factor: float = 2.0
    min_hours: float = 1.0
    medium_hours: float = 3.0
    high_hours: float = 12.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark runs of at least ``min_hours`` of readings above ``factor`` x the 99th percentile.

    Parameters
    ----------
    grid : Grid
        The fleet grid (meters x slots); NaN = missing.
    params : Params
        Thresholds.

    Returns
    -------
    Detection
        ``mask`` True on flagged slots, ``magnitude`` the excess over the threshold there.
    """
    threshold = params.factor * baseline.high(grid)[:, None]  # (m, 1) broadcasts over slots
    above = grid.values > threshold  # NaN compares False: unknown is never flagged
    runs = find_runs(above)
    mask = runs.select(runs.length >= grid.hours_to_slots(params.min_hours)).to_mask()
    return Detection(mask, np.where(mask, grid.values - threshold, 0.0))


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by duration: ``medium_hours`` -> medium, ``high_hours`` -> high."""
    return grade(hours, params.medium_hours, params.high_hours)
