"""Turn per-slot detection masks into events (one row per contiguous run), vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.detectors._runs import Runs, find_runs
from core.detectors.base import Detection, Grid

EVENT_COLUMNS = [
    "meter_id",
    "detector",
    "source",
    "start_ts",
    "end_ts",
    "slots",
    "hours",
    "magnitude",
    "severity",
    "clipped_start",
]


def extract(
    grid: Grid, detection: Detection, detector: str, source: str, module: object, params: object
) -> pd.DataFrame:
    """Events of one detector on one grid that reach into the scored window.

    Magnitude is the sum of the per-slot magnitudes over the run; severity comes from the
    detector module's ``severity(hours, magnitude, params)``.
    """
    # Most detectors find nothing in most grids: one cheap scan instead of a run search.
    if not detection.mask[:, grid.score_from :].any():
        return pd.DataFrame(columns=EVENT_COLUMNS)
    found = find_runs(detection.mask)
    found = found.select(found.stop > grid.score_from)
    if len(found) == 0:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    rows, starts, ends = found.row, found.start, found.stop
    per_cell = detection.magnitude.ravel()[found.cells()]
    totals = found.reduce_cells(np.add, np.nan_to_num(per_cell))
    slots = ends - starts
    hours = slots / grid.slots_per_hour
    slot = pd.Timedelta(minutes=grid.slot_minutes)
    return pd.DataFrame(
        {
            "meter_id": grid.meter_ids[rows],
            "detector": detector,
            "source": source,
            "start_ts": grid.start + starts * slot,
            "end_ts": grid.start + ends * slot,
            "slots": slots,
            "hours": hours,
            "magnitude": totals,
            "severity": module.severity(hours, totals, params),  # type: ignore[attr-defined]
            "clipped_start": starts == 0,
        }
    )


def scored_day_counts(grid: Grid, flagged: np.ndarray) -> pd.DataFrame:
    """Per meter: expected, present and flagged points in the scored window, and the score.

    ``score`` is the share of expected points that are present and not flagged, in [0, 1].
    """
    values = grid.values[:, grid.score_from :]
    flags = flagged[:, grid.score_from :]
    expected = values.shape[1]
    present = (~np.isnan(values)).sum(axis=1)
    clean = (~np.isnan(values) & ~flags).sum(axis=1)
    return pd.DataFrame(
        {
            "meter_id": grid.meter_ids,
            "expected_points": expected,
            "present_points": present,
            "completeness": present / expected,
            "flagged_points": flags.sum(axis=1),
            "score": clean / expected,
        }
    )


def paint(grid: Grid, events: pd.DataFrame) -> np.ndarray:
    """``(n_meters, n_slots)`` bool mask of the slots the events of ``grid``'s meters cover."""
    if events.empty:
        return np.zeros((grid.n_meters, grid.n_slots), dtype=bool)
    slot = pd.Timedelta(minutes=grid.slot_minutes)
    rows = pd.Index(grid.meter_ids).get_indexer(events["meter_id"])
    start = ((events["start_ts"] - grid.start) // slot).to_numpy(dtype=np.int64)
    stop = ((events["end_ts"] - grid.start) // slot).to_numpy(dtype=np.int64)
    keep = rows >= 0
    runs = Runs(
        rows[keep],
        np.clip(start[keep], 0, grid.n_slots),
        np.clip(stop[keep], 0, grid.n_slots),
        (grid.n_meters, grid.n_slots),
    )
    return runs.to_mask()
