"""Post-processing between detection and storage: small steps, each a function of the event table.

``STEPS`` runs in order. Each step takes and returns an events DataFrame (see core.dq.events) that
carries ``status`` and ``status_note`` columns, so a step can down-grade a finding without
dropping it: people can still see why something was not raised. Two more steps need facts from
the run (core.dq.context) and are called by the job after ``run``: :func:`explain_off_grid`
and :func:`apply_mutes`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from core.detectors import REGISTRY
from core.detectors.base import SEVERITIES, scope
from core.dq.mutes import note as mutes_note

MERGE_GAP = pd.Timedelta(minutes=15)  # runs of one detector at most one 15-min slot apart merge

Step = Callable[[pd.DataFrame], pd.DataFrame]


def with_status(events: pd.DataFrame) -> pd.DataFrame:
    """Give every event the initial status ``open`` with no note."""
    out = events.copy()
    out["status"] = "open"
    out["status_note"] = None
    return out


def merge_gap(detector: str, default: pd.Timedelta = MERGE_GAP) -> pd.Timedelta:
    """Largest gap that still joins two events of ``detector``: the module's ``MERGE_HOURS``.

    Detectors reporting one finding per meter or per day (a leak, a clock, a unit change, a
    day's usage) set it, so a gap in the readings never splits their finding in two.
    """
    module = REGISTRY.get(detector)
    hours = getattr(module, "MERGE_HOURS", None)
    return default if hours is None else max(default, pd.Timedelta(hours=hours))


def merge_adjacent(events: pd.DataFrame, max_gap: pd.Timedelta = MERGE_GAP) -> pd.DataFrame:
    """Merge events of the same meter, detector and source separated by at most ``max_gap``.

    Detectors with a ``MERGE_HOURS`` use the larger of the two (:func:`merge_gap`). The merged
    event spans both, sums slots, hours and magnitude, and keeps the highest severity.
    """
    if events.empty:
        return events
    keys = ["meter_id", "detector", "source"]
    ev = events.sort_values([*keys, "start_ts"]).reset_index(drop=True)
    same = (ev[keys] == ev[keys].shift()).all(axis=1)
    prev_end = ev.groupby(keys, sort=False)["end_ts"].shift()
    gaps = {d: merge_gap(d, max_gap) for d in ev["detector"].unique()}
    new_group = ~same | (ev["start_ts"] - prev_end > ev["detector"].map(gaps))
    if new_group.all():  # the usual case: nothing to merge, skip the group-by
        return ev[events.columns]
    group = new_group.cumsum()
    # Only events that merge go through the (slow) group-by; the rest are kept as they are.
    joined = group.duplicated(keep=False).to_numpy()
    single = ev[~joined]
    ev = ev[joined].assign(
        _group=group[joined], _rank=ev.loc[joined, "severity"].map(SEVERITIES.index)
    )
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
    out = pd.concat([single, merged.reset_index(drop=True)], ignore_index=True)[events.columns]
    return out.sort_values([*keys, "start_ts"], ignore_index=True)


def short_flatline_not_an_issue(events: pd.DataFrame) -> pd.DataFrame:
    """A flatline shorter than flatline's ``min_hours`` becomes ``not_an_issue``."""
    min_hours = REGISTRY["flatline"].Params().min_hours
    short = (events["detector"] == "flatline") & (events["hours"] < min_hours)
    out = events.copy()
    out.loc[short, "status"] = "not_an_issue"
    out.loc[short, "status_note"] = f"flatline shorter than min_hours={min_hours:g}"
    return out


def _overlapping(events: pd.DataFrame, these: pd.Series, those: pd.Series) -> pd.Series:
    """The detector of an open ``those`` event overlapping each ``these`` event.

    Same meter and source, overlapping in time; indexed by the ``these`` event's index (events
    without one are absent).
    """
    a = events[these].reset_index()
    b = events[those & (events["status"] == "open")]
    pairs = a.merge(b, on=["meter_id", "source"], suffixes=("", "_b"))
    pairs = pairs[(pairs["start_ts"] < pairs["end_ts_b"]) & (pairs["end_ts"] > pairs["start_ts_b"])]
    return pairs.groupby("index")["detector_b"].first()


USAGE_DAY = ("daily_usage_high", "daily_usage_low")


def usage_defers_to_readings(events: pd.DataFrame) -> pd.DataFrame:
    """A day's usage finding overlapping a finding about its readings becomes ``not_an_issue``.

    A day stuck at zero, a unit change or a burst of spikes also makes the day's total odd;
    the readings' finding is the one to fix, so the to-do list shows it once.
    """
    usage = events["detector"].isin(USAGE_DAY) & (events["status"] == "open")
    if not usage.any():
        return events
    readings = events["detector"].isin([d for d, m in REGISTRY.items() if scope(m) == "readings"])
    cause = _overlapping(events, usage, readings)
    if cause.empty:
        return events
    out = events.copy()
    out.loc[cause.index, "status"] = "not_an_issue"
    out.loc[cause.index, "status_note"] = [
        f"the day's total follows from the {d} finding on its readings" for d in cause
    ]
    return out


def leak_explains_flatline(events: pd.DataFrame) -> pd.DataFrame:
    """A flatline inside a water leak becomes ``not_an_issue``: a steady leak repeats its flow."""
    flat = (events["detector"] == "flatline") & (events["status"] == "open")
    leaks = events["detector"] == "water_leak"
    if not (flat.any() and leaks.any()):
        return events
    leak = _overlapping(events, flat, leaks)
    if leak.empty:
        return events
    out = events.copy()
    out.loc[leak.index, "status"] = "not_an_issue"
    out.loc[leak.index, "status_note"] = "a steady leak repeats its flow: see water_leak"
    return out


STEPS: tuple[Step, ...] = (
    merge_adjacent,
    short_flatline_not_an_issue,
    usage_defers_to_readings,
    leak_explains_flatline,
)
GAP_DETECTORS = ("missing_data", "offline")


def explain_off_grid(
    events: pd.DataFrame,
    off_grid: pd.Series,
    day: tuple[pd.Timestamp, pd.Timestamp],
    slot_minutes: int,
) -> pd.DataFrame:
    """Gaps that readings skipped by the import as off the slot grid explain: ``not_an_issue``.

    A gateway stamping readings beyond the snap tolerance leaves holes that are not missing
    data: the import reported them once per meter and file, and ``clock_drift`` reports the
    clock. A meter's ``missing_data`` and ``offline`` events on the scored day become
    ``not_an_issue`` when the day's missing slots they cover are no more than the readings
    the import skipped that day (``off_grid``: meter_id -> count).
    """
    if events.empty or off_grid.empty:
        return events
    start, end = day
    gaps = events["detector"].isin(GAP_DETECTORS) & events["meter_id"].isin(off_grid.index)
    gaps &= events["status"] == "open"
    if not gaps.any():
        return events
    part = events[gaps]
    inside = (part["end_ts"].clip(upper=end) - part["start_ts"].clip(lower=start)).clip(
        lower=pd.Timedelta(0)
    )
    # Merged events span small gaps they do not flag: count their slots, within the day.
    slots = np.minimum(inside / pd.Timedelta(minutes=slot_minutes), part["slots"])
    missing = slots.groupby(part["meter_id"]).transform("sum")
    explained = missing <= part["meter_id"].map(off_grid)
    idx = part.index[explained.to_numpy()]
    out = events.copy()
    counts = part.loc[idx, "meter_id"].map(off_grid).astype(int)
    out.loc[idx, "status"] = "not_an_issue"
    out.loc[idx, "status_note"] = [
        f"{n} reading(s) that day were skipped by the import as off the slot grid "
        "(beyond the snap tolerance): a clock problem, see the import report and clock_drift"
        for n in counts
    ]
    return out


def apply_mutes(events: pd.DataFrame, mutes: pd.DataFrame) -> pd.DataFrame:
    """Open findings of a muted meter+detector pair become ``muted``, with the mute's reason.

    ``mutes`` holds the mutes active on the scored day (``meter_id, detector, until_day,
    reason, created_by``). A muted finding stays out of the to-do list; the day after the mute
    ends the job proposes ``open`` again.
    """
    if events.empty or mutes.empty:
        return events
    keyed = mutes.sort_values("until_day").drop_duplicates(["meter_id", "detector"], keep="last")
    hit = events.merge(keyed, on=["meter_id", "detector"], how="left")
    muted = hit["until_day"].notna().to_numpy() & (events["status"] == "open").to_numpy()
    if not muted.any():
        return events
    out = events.copy()
    rows = hit[muted]
    out.loc[muted, "status"] = "muted"
    out.loc[muted, "status_note"] = [
        mutes_note(who, until, reason)
        for who, until, reason in zip(
            rows["created_by"], rows["until_day"], rows["reason"], strict=True
        )
    ]
    return out


def run(events: pd.DataFrame, steps: tuple[Step, ...] = STEPS) -> pd.DataFrame:
    """Apply ``with_status`` then every step in order."""
    out = with_status(events)
    for step in steps:
        out = step(out)
    return out
