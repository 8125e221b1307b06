"""Small realistic grids for detector tests: office electricity and water profiles."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.detectors.base import Grid


def slot_range(start: str, days: int, tz: str, slot_minutes: int) -> tuple[pd.Timestamp, int]:
    """Naive UTC start and slot count of ``days`` local days from local midnight ``start``."""
    first = pd.Timestamp(start).tz_localize(tz)
    last = (pd.Timestamp(start) + pd.Timedelta(days=days)).tz_localize(tz)
    n_slots = int((last - first) / pd.Timedelta(minutes=slot_minutes))
    return first.tz_convert("UTC").tz_localize(None), n_slots


def local_frame(start: pd.Timestamp, n_slots: int, tz: str, slot_minutes: int) -> pd.DatetimeIndex:
    """Local time of every slot."""
    utc = pd.date_range(start, periods=n_slots, freq=f"{slot_minutes}min")
    return utc.tz_localize("UTC").tz_convert(tz)


def office_shape(
    local: pd.DatetimeIndex,
    open_hour: float = 7.0,
    close_hour: float = 18.0,
    ramp_hours: float = 1.0,
) -> np.ndarray:
    """0 at night and weekends, 1 during open hours, linear ramps (per slot, local time)."""
    hour = np.asarray(local.hour) + np.asarray(local.minute) / 60.0
    up = np.clip((hour - open_hour) / ramp_hours, 0.0, 1.0)
    down = np.clip((close_hour - hour) / ramp_hours, 0.0, 1.0)
    weekday = np.asarray(local.day_of_week) < 5
    return np.minimum(up, down) * weekday


def make_grid(
    days: int = 21,
    n_meters: int = 1,
    kind: str = "electricity",
    start: str = "2026-02-02",
    tz: str = "UTC",
    slot_minutes: int = 15,
    night: float | Sequence[float] = 10.0,
    day: float | Sequence[float] = 40.0,
    noise: float = 0.03,
    resolution: float | None = None,
    holidays: Sequence[int] = (),
    score_days: int = 1,
    seed: int = 0,
) -> Grid:
    """A grid of ``n_meters`` office meters over ``days`` local days.

    Electricity: ``night`` load outside opening hours and on weekends, ``day`` load while
    open, multiplicative Gaussian ``noise``. Water: 0 outside opening hours and on
    weekends, random draws (mean ``day``) while open. ``holidays`` are local day indices
    run as a weekend day. ``resolution`` rounds readings to that step (e.g. 1 kWh).
    """
    rng = np.random.default_rng(seed)
    utc_start, n_slots = slot_range(start, days, tz, slot_minutes)
    local = local_frame(utc_start, n_slots, tz, slot_minutes)
    shape = office_shape(local)
    day_index = np.asarray((local.normalize() - pd.Timestamp(start).tz_localize(tz)).days)
    shape = np.where(np.isin(day_index, list(holidays)), 0.0, shape)
    night_col = np.broadcast_to(np.asarray(night, dtype=float), (n_meters,))[:, None]
    day_col = np.broadcast_to(np.asarray(day, dtype=float), (n_meters,))[:, None]
    if kind == "water":
        draws = rng.gamma(2.0, 0.5, size=(n_meters, n_slots)) * day_col
        values = np.where(shape[None, :] > 0.5, draws, 0.0)
    else:
        load = night_col + (day_col - night_col) * shape[None, :]
        values = load * (1.0 + noise * rng.standard_normal((n_meters, n_slots)))
    if resolution:
        values = np.round(values / resolution) * resolution
    per_day = 1440 // slot_minutes
    return Grid(
        meter_ids=np.array([f"m{i}" for i in range(n_meters)]),
        kinds=np.array([kind] * n_meters),
        values=values,
        start=utc_start,
        slot_minutes=slot_minutes,
        timezone=tz,
        score_from=max(0, n_slots - score_days * per_day),
    )


def tiny_grid(
    values: Sequence[Sequence[float]] | np.ndarray,
    kind: str = "electricity",
    slot_minutes: int = 15,
    reference: np.ndarray | None = None,
    start: str = "2026-02-02",
) -> Grid:
    """A grid from literal values (rows = meters), UTC, starting at ``start`` midnight."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[None, :]
    return Grid(
        meter_ids=np.array([f"m{i}" for i in range(values.shape[0])]),
        kinds=np.array([kind] * values.shape[0]),
        values=values,
        start=pd.Timestamp(start),
        slot_minutes=slot_minutes,
        timezone="UTC",
        reference=None if reference is None else np.asarray(reference, dtype=float),
    )


def slot_of(grid: Grid, local_time: str) -> int:
    """Index of the slot starting at ``local_time`` (a local wall-clock string)."""
    target = pd.Timestamp(local_time).tz_localize(grid.timezone)
    return int(grid.local_times().get_loc(target))


def events(mask_row: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` of the True runs of a 1-D mask (test readability)."""
    padded = np.concatenate([[False], np.asarray(mask_row, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def with_values(grid: Grid, values: np.ndarray, reference: np.ndarray | None = None) -> Grid:
    """A copy of ``grid`` with new values (and reference), same calendar, empty cache."""
    values = np.asarray(values, dtype=float)
    return Grid(
        meter_ids=grid.meter_ids[: values.shape[0]],
        kinds=grid.kinds[: values.shape[0]],
        values=values,
        start=grid.start,
        slot_minutes=grid.slot_minutes,
        timezone=grid.timezone,
        score_from=min(grid.score_from, values.shape[1]),
        reference=reference,
    )


def detect(module, grid: Grid, **params):
    """Run ``module`` with default params (overridden by ``params``); return its Detection.

    Clears ``grid.cache`` first: tests edit ``grid.values`` between calls, and the shared
    statistics are memoized per grid.
    """
    grid.cache.clear()
    return module.detect(grid, module.Params(**params))
