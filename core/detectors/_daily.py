"""Local-day totals and the same-weekday history the daily usage checks compare them with.

Computed once per grid for ``daily_usage_high`` and ``daily_usage_low`` (memoized in
``grid.cache``), vectorised over meters: one ``reduceat`` over the slots of each local day.
Days follow each grid's time zone, so a DST day has 92 or 100 quarter hours and is still one
day. Totals use the baseline readings (confirmed findings left out, so such a day counts as
incomplete and is neither judged against nor used as history).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.detectors import _baseline as baseline
from core.detectors._runs import Runs, paint_once
from core.detectors.base import Grid

_MAD_TO_SIGMA = 1.4826
_KEY = "detectors.daily"


@dataclass(frozen=True)
class Days:
    """The grid's local days and each meter's totals.

    Attributes
    ----------
    dates : np.ndarray
        ``(n_days,)`` ``datetime64[D]`` local dates of the days that start in the grid.
    starts, stops : np.ndarray
        ``(n_days,)`` first slot and one past the last slot of each day in the grid.
    whole : np.ndarray
        ``(n_days,)`` bool: every slot of the local day is inside the grid.
    weekday : np.ndarray
        ``(n_days,)`` local day of the week (0 = Monday).
    total : np.ndarray
        ``(n_meters, n_days)`` sum of the known baseline readings.
    present : np.ndarray
        ``(n_meters, n_days)`` share of the day's slots with a known baseline reading.
    """

    dates: np.ndarray
    starts: np.ndarray
    stops: np.ndarray
    whole: np.ndarray
    weekday: np.ndarray
    total: np.ndarray
    present: np.ndarray


def days(grid: Grid) -> Days:
    """The local days of ``grid`` with every meter's totals, cached."""
    if _KEY in grid.cache:
        return grid.cache[_KEY]
    local = grid.local_times()
    dates = np.asarray(local.tz_localize(None).normalize(), dtype="datetime64[D]")
    if len(dates) == 0:
        empty = np.zeros(0, dtype=np.intp)
        out = Days(dates, empty, empty, empty.astype(bool), empty,
                   np.zeros((grid.n_meters, 0)), np.zeros((grid.n_meters, 0)))  # fmt: skip
        grid.cache[_KEY] = out
        return out
    unique, starts = np.unique(dates, return_index=True)
    stops = np.append(starts[1:], len(dates))
    # Slots a whole local day has (92, 96 or 100 on 15-minute grids): midnight to midnight.
    tz = grid.timezone
    midnights = pd.DatetimeIndex(unique.astype("datetime64[ns]")).tz_localize(
        tz, nonexistent="shift_forward", ambiguous=False
    )
    after = pd.DatetimeIndex((unique + 1).astype("datetime64[ns]")).tz_localize(
        tz, nonexistent="shift_forward", ambiguous=False
    )
    length = np.asarray((after - midnights) / pd.Timedelta(minutes=grid.slot_minutes), dtype=float)
    whole = (stops - starts) == np.rint(length).astype(np.intp)
    data = baseline.values32(grid)
    known = ~np.isnan(data)
    total = np.add.reduceat(np.where(known, data, np.float32(0)), starts, axis=1)
    count = np.add.reduceat(known, starts, axis=1, dtype=np.int32)
    out = Days(
        dates=unique,
        starts=starts,
        stops=stops,
        whole=whole,
        weekday=(unique.astype("datetime64[D]").view("int64") - 4) % 7,  # 1970-01-05 a Monday
        total=total.astype(float),
        present=count / np.maximum(stops - starts, 1)[None, :],
    )
    grid.cache[_KEY] = out
    return out


@dataclass(frozen=True)
class Judged:
    """Target days and their comparison with the meter's history.

    Attributes
    ----------
    day : np.ndarray
        ``(k,)`` index into ``Days`` of each judged (meter, day) pair.
    row : np.ndarray
        ``(k,)`` meter row.
    total : np.ndarray
        ``(k,)`` the day's total.
    high_usual, low_usual : np.ndarray
        ``(k,)`` the larger and the smaller of the two usual totals (median of the same
        weekday's history days, median of the same day type's); the high check compares with
        the larger, the low check with the smaller, so a day must be odd against both.
    spread : np.ndarray
        ``(k,)`` robust relative spread of the meter's history days around their medians.
    """

    day: np.ndarray
    row: np.ndarray
    total: np.ndarray
    high_usual: np.ndarray
    low_usual: np.ndarray
    spread: np.ndarray


def judge(grid: Grid, min_complete: float, min_same_weekday: int) -> Judged:
    """Compare each whole local day reaching the scored window with its meter's history.

    History days are the whole, complete (``min_complete``), non-holiday days before the
    judged day. The usual totals are the median of those on the same weekday (with at least
    ``min_same_weekday`` of them) and the median of those of the same day type (weekday or
    weekend, at least twice as many); a meter-day with neither is not judged. Two medians
    keep one odd history (a weekday whose last Sundays were sentinel days, a string of
    holidays) from making a normal day look odd. ``spread`` is 1.4826 x the median of
    |total / usual - 1| over the meter's history days, each against its own day type's
    median. Holidays are not judged; nor are bidirectional meters (net totals swing with the
    weather) or days whose usual totals are not positive.
    """
    d = days(grid)
    m, n_days = d.total.shape
    empty = np.zeros(0, dtype=np.intp)
    if m == 0 or n_days == 0:
        return Judged(empty, empty, *(np.zeros(0) for _ in range(4)))
    holiday = np.zeros((m, n_days), dtype=bool)
    if grid.holidays:
        holiday = grid.holidays.mask(grid.account_ids, d.dates)
        if holiday.shape[0] != m:
            holiday = np.broadcast_to(holiday, (m, n_days))
    ok = d.whole[None, :] & (d.present >= min_complete) & ~holiday
    targets = np.flatnonzero(d.whole & (d.stops > grid.score_from))
    weekend = d.weekday >= 5
    high = np.full((m, len(targets)), np.nan)
    low = np.full((m, len(targets)), np.nan)
    values = np.where(ok, d.total, np.nan)
    for j, t in enumerate(targets):  # one or two target days: not a loop over meters
        before = np.arange(n_days) < t
        same = before & (d.weekday == d.weekday[t])
        kind = before & (weekend == weekend[t])
        by_day = _median(values[:, same])
        by_kind = _median(values[:, kind])
        by_day[np.count_nonzero(ok[:, same], axis=1) < min_same_weekday] = np.nan
        by_kind[np.count_nonzero(ok[:, kind], axis=1) < 2 * min_same_weekday] = np.nan
        high[:, j] = np.fmax(by_day, by_kind)
        low[:, j] = np.fmin(by_day, by_kind)
    history = np.arange(n_days) < (targets.min() if len(targets) else n_days)
    kind_median = np.where(
        weekend[None, :],
        _median(values[:, history & weekend])[:, None],
        _median(values[:, history & ~weekend])[:, None],
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.abs(values / kind_median - 1)
    rel[:, ~history] = np.nan
    spread = _MAD_TO_SIGMA * _median(rel)
    judged = ok[:, targets] & (low > 0) & ~grid.is_bidirectional()[:, None]
    row, col = np.nonzero(judged)
    return Judged(
        day=targets[col],
        row=row,
        total=d.total[row, targets[col]],
        high_usual=high[row, col],
        low_usual=low[row, col],
        spread=np.nan_to_num(spread[row], nan=0.0),
    )


def _median(values: np.ndarray) -> np.ndarray:
    """Row medians ignoring NaN; NaN for a row without values (no warning)."""
    if values.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    out = np.sort(values, axis=1)
    count = np.count_nonzero(~np.isnan(out), axis=1)
    lo = np.maximum(count - 1, 0) // 2
    hi = np.maximum(count, 1) // 2
    rows = np.arange(values.shape[0])
    mid = 0.5 * (out[rows, lo] + out[rows, np.minimum(hi, values.shape[1] - 1)])
    return np.where(count > 0, mid, np.nan)


def paint(
    grid: Grid, judged: Judged, flagged: np.ndarray, magnitude: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mask and magnitude grids: each flagged day's known slots, its magnitude on the first.

    One value per day (not per slot) keeps an event's magnitude that day's figure when NaN
    gaps split the day and post-processing merges the pieces back.
    """
    d = days(grid)
    keep = np.flatnonzero(flagged)
    runs = Runs(judged.row[keep], d.starts[judged.day[keep]], d.stops[judged.day[keep]],
                (grid.n_meters, grid.n_slots))  # fmt: skip
    return paint_once(grid.values, runs, magnitude[keep])
