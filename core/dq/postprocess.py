"""Post-processing between detection and storage: small steps, each a function of the event table.

``STEPS`` runs in order. Each step takes and returns an events DataFrame (see core.dq.events) that
carries ``status`` and ``status_note`` columns, so a step can down-grade a finding without
dropping it: people can still see why something was not raised.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from core.detectors import REGISTRY
from core.detectors.base import SEVERITIES

MERGE_GAP = pd.Timedelta(minutes=15)  # runs of one detector at most one 15-min slot apart merge

Step = Callable[[pd.DataFrame], pd.DataFrame]


def with_status(events: pd.DataFrame) -> pd.DataFrame:
    """Give every event the initial status ``open`` with no note."""
    out = events.copy()
    out["status"] = "open"
    out["status_note"] = None
    return out


def merge_adjacent(events: pd.DataFrame, max_gap: pd.Timedelta = MERGE_GAP) -> pd.DataFrame:
    """Merge events of the same meter, detector and source separated by at most ``max_gap``.

    The merged event spans both, sums slots, hours and magnitude, and keeps the highest severity.
    """
    if events.empty:
        return events
    keys = ["meter_id", "detector", "source"]
    ev = events.sort_values([*keys, "start_ts"]).reset_index(drop=True)
    same = (ev[keys] == ev[keys].shift()).all(axis=1)
    prev_end = ev.groupby(keys, sort=False)["end_ts"].shift()
    new_group = ~same | (ev["start_ts"] - prev_end > max_gap)
    ev["_group"] = new_group.cumsum()
    ev["_rank"] = ev["severity"].map(SEVERITIES.index)
    merged = ev.groupby("_group", sort=False).agg(
        meter_id=("meter_id", "first"),
        detector=("detector", "first"),
        source=("source", "first"),
        start_ts=("start_ts", "min"),
        end_ts=("end_ts", "max"),
        slots=("slots", "sum"),
        hours=("hours", "sum"),
        magnitude=("magnitude", "sum"),
        _rank=("_rank", "max"),
        clipped_start=("clipped_start", "first"),
        status=("status", "first"),
        status_note=("status_note", "first"),
    )
    merged["severity"] = np.asarray(SEVERITIES, dtype=object)[merged.pop("_rank").to_numpy()]
    return merged.reset_index(drop=True)[events.columns]


def short_flatline_not_an_issue(events: pd.DataFrame) -> pd.DataFrame:
    """A flatline shorter than flatline's ``min_hours`` becomes ``not_an_issue``."""
    min_hours = REGISTRY["flatline"].Params().min_hours
    short = (events["detector"] == "flatline") & (events["hours"] < min_hours)
    out = events.copy()
    out.loc[short, "status"] = "not_an_issue"
    out.loc[short, "status_note"] = f"flatline shorter than min_hours={min_hours:g}"
    return out


STEPS: tuple[Step, ...] = (merge_adjacent, short_flatline_not_an_issue)


def run(events: pd.DataFrame, steps: tuple[Step, ...] = STEPS) -> pd.DataFrame:
    """Apply ``with_status`` then every step in order."""
    out = with_status(events)
    for step in steps:
        out = step(out)
    return out
