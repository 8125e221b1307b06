"""clock_drift: the meter's gateway stamps its readings consistently off the slot boundary.

Import snaps a timestamp within the tolerance (``DQ_SNAP_SECONDS`` / ``DQ_SNAP_FRACTION``)
onto its slot and records each meter-day's offsets (``meter_clock_days``; the job puts them
on ``grid.clock``). Jitter and a drifting clock are a property of the meter, not holes in its
data: this detector reports them once. A UTC day drifts when the meter delivered at least
``min_readings`` readings, at least ``consistent_share`` of them sit on the same side of the
boundary (all late or all early) and their median offset is at least ``min_offset_seconds``.
All drifting days of the grid form one finding per meter, from the first drifting day to the
end of the last; it reaches the scored day (and so is reported) while the drift goes on.

Magnitude: the median offset in seconds (positive = stamped after the boundary), the median
of the drifting days' medians. Severity: ``low`` (the readings themselves are kept); meters
without import statistics (readings from InfluxDB or S3) are never flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors._runs import Runs, paint_once
from core.detectors.base import SEVERITIES, Detection, Grid

NAME = "clock_drift"
MAGNITUDE_UNIT = "seconds (median offset; + = late)"
SOURCES = ("platform",)
SCOPE = "meter"
MERGE_HOURS = 24.0 * 400  # at most one finding per meter: gaps never split it


@dataclass(frozen=True)
class Params:
    """Parameters of the clock_drift detector.

    Parameters
    ----------
    min_offset_seconds : float
        A day drifts when its median offset is at least this many seconds (default 10).
    consistent_share : float
        ... at least this share of its readings are off on the same side (default 0.8) ...
    min_readings : int
        ... out of at least this many readings that day (default 8).
    """

    min_offset_seconds: float = 10.0
    consistent_share: float = 0.8
    min_readings: int = 8


def drifting_days(grid: Grid, params: Params) -> np.ndarray:
    """``(n_meters, n_days)`` bool: the UTC days whose readings sat consistently off."""
    clock = grid.clock
    if not clock:
        return np.zeros((grid.n_meters, 0), dtype=bool)
    total = clock["readings"] + clock["off_grid"]
    side = np.maximum(clock["late"], clock["early"])
    median = np.nan_to_num(clock["median_offset_s"], nan=0.0)
    return (
        (total >= params.min_readings)
        & (side >= params.consistent_share * np.maximum(total, 1))
        & (np.abs(median) >= params.min_offset_seconds)
    )


def detect(grid: Grid, params: Params) -> Detection:
    """Mark each drifting meter's span from its first to the end of its last drifting day."""
    drift = drifting_days(grid, params)
    rows = np.flatnonzero(drift.any(axis=1)) if drift.size else np.zeros(0, dtype=np.intp)
    if rows.size == 0:
        return Detection.empty(grid)
    days = drift[rows]
    n_days = days.shape[1]
    first = days.argmax(axis=1)
    last = n_days - 1 - days[:, ::-1].argmax(axis=1)
    per_day = grid.slots_per_day
    start = np.minimum(first * per_day, grid.n_slots)
    stop = np.minimum((last + 1) * per_day, grid.n_slots)
    median = np.where(days, grid.clock["median_offset_s"][rows], np.nan)
    offset = np.nanmedian(median, axis=1)
    runs = Runs(rows, start, stop, (grid.n_meters, grid.n_slots))
    mask, magnitude = paint_once(grid.values, runs, offset)
    return Detection(mask, magnitude)


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Always ``low``: the clock needs fixing once, the readings are usable."""
    return np.full(np.shape(hours), SEVERITIES[0], dtype=object)
