"""Made-up data so every sandbox model works on an empty warehouse.

Each generator is deterministic (fixed seeds) and carries one known example of what the
models look for, at a fixed place, so a person can see a model find it:

* ``meter_values``: a 15-minute office electricity meter that follows the outdoor
  temperature, with one of each meter problem the detectors flag, and a raw feed that
  disagrees with the platform for a few hours;
* ``variant``: the same meter with a unit change, a late gateway clock or an unusual day, or
  an office water meter with a leak, for the detectors that need one;
* ``temperature``: an outdoor temperature series (season, daily cycle, weather swings);
* ``building_demand``: a building's demand for a month, with some clear morning overshoots
  and some small ones that only a looser setting counts;
* ``bills``: three years of monthly electricity bills with one usage outlier and one bill
  at a wrong rate.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

SLOT = pd.Timedelta(minutes=15)
TIMEZONE = "UTC"
_SEED = 20250312

# Where each meter problem sits: (days before the last day, local hour, slots).
# Problems that need an occupied day move back to the weekday before a weekend.
PROBLEMS = {
    "spike_positive": (3, 14.0, 2),
    "spike_negative": (5, 11.0, 2),
    "raw_platform_mismatch": (9, 8.0, 16),
    "flatline": (12, 9.0, 24),
    "zero_run": (16, 10.0, 16),
    "negative_value": (2, 3.0, 1),
    "missing_data": (20, 12.0, 12),
    "offline": (0, 18.0, 24),  # the last 6 hours of the last day
}
# Detectors whose problem needs another kind of synthetic meter (see ``variant``).
VARIANTS = ("water_leak", "unit_change", "clock_drift", "daily_usage_high", "daily_usage_low")
USAGE_DAYS = {"daily_usage_high": (7, 2.5), "daily_usage_low": (14, 0.15)}  # days back, factor
_WEEKDAY_ONLY = ("spike_positive", "spike_negative", "flatline", "zero_run")


def _slots(start: pd.Timestamp, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq=SLOT)


def temperature(times: pd.DatetimeIndex, seed: int = _SEED) -> np.ndarray:
    """Outdoor temperature in deg C at naive UTC ``times``: season, day cycle, weather.

    The weather part is a smooth random walk of whole days (interpolated between days), so
    warm and cold spells last a few days, as real weather does.
    """
    doy = np.asarray(times.day_of_year, dtype=float)
    hour = np.asarray(times.hour, dtype=float) + np.asarray(times.minute, dtype=float) / 60
    season = 12.0 - 10.0 * np.cos(2 * np.pi * (doy - 15) / 365.25)
    daily = 4.5 * np.sin(2 * np.pi * (hour - 9.0) / 24)
    days = (times - times[0].normalize()).days.to_numpy() if len(times) else np.zeros(0, int)
    rng = np.random.default_rng(seed + int(times[0].toordinal()) if len(times) else seed)
    walk = np.cumsum(rng.normal(0, 2.2, int(days.max()) + 2 if len(times) else 1))
    walk -= walk.mean()
    weather = np.interp(days + hour / 24, np.arange(len(walk)), walk)
    return season + daily + weather


def meter_values(
    day: dt.date, days: int = 30
) -> tuple[pd.Timestamp, np.ndarray, np.ndarray, np.ndarray]:
    """A made-up electricity meter: ``(start, platform, raw, temperature)`` per 15 minutes.

    ``days`` whole UTC days end with ``day``. kWh per 15 minutes: a 20 kWh night load, 40
    more on weekday working hours (07:00-19:00), 10 more on weekend days, plus 1.8 kWh per
    degree of heating below 14 C and of cooling above 20 C, plus noise; rounded to 0.01 kWh.
    ``PROBLEMS`` are injected on the platform values; the raw feed equals the platform
    except for its mismatch.
    """
    start = pd.Timestamp(day) - pd.Timedelta(days=days - 1)
    times = _slots(start, days * 96)
    temp = temperature(times)
    hour = np.asarray(times.hour) + np.asarray(times.minute) / 60
    weekday = np.asarray(times.day_of_week) < 5
    occupied = (hour >= 7) & (hour < 19)
    load = 20.0 + np.where(occupied, np.where(weekday, 40.0, 10.0), 0.0)
    load += 1.8 * np.clip(temp - 20.0, 0, None) + 1.8 * np.clip(14.0 - temp, 0, None)
    rng = np.random.default_rng(_SEED)
    values = np.round(load + rng.normal(0, 1.5, len(times)), 2)

    def at(name: str) -> slice:
        back, hour_, n = PROBLEMS[name]
        d = days - 1 - back
        while name in _WEEKDAY_ONLY and (start + pd.Timedelta(days=d)).day_of_week >= 5:
            d -= 1
        first = d * 96 + int(hour_ * 4)
        return slice(first, first + n)

    values[at("spike_positive")] = np.round(3.0 * values.max(), 2)  # far above any normal reading
    values[at("spike_negative")] = 0.3  # a near-zero drop in working hours
    values[at("flatline")] = values[at("flatline")][0]
    values[at("zero_run")] = 0.0
    values[at("negative_value")] = -5.0
    raw = values.copy()
    raw[at("raw_platform_mismatch")] = np.round(raw[at("raw_platform_mismatch")] * 1.4, 2)
    for name in ("missing_data", "offline"):
        values[at(name)] = raw[at(name)] = np.nan
    return start, values, raw, temp


def building_demand(month: str, timezone: str = TIMEZONE) -> pd.DataFrame:
    """A made-up building's demand (kW per 15 minutes) for ``month``, one day either side.

    Weekdays: 60 kW at night, a start-up ramp at 06:00 to a 150 kW plateau until 17:00.
    Five weekday mornings overshoot the plateau by 20-60 kW around 07:30 (one of them the
    month's highest peak); every other weekday overshoots by about 8 kW, below the default
    5 kW-and-10 % rule's 15 kW, so a looser ``min_ratio`` counts them too. Weekends stay at
    the night load.

    Returns
    -------
    pd.DataFrame
        ``building_id`` ("synthetic"), ``ts`` (naive UTC), ``kw``, ``timezone``,
        ``slot_minutes`` (15): the input of ``core.overshoot.detect.building_days``.
    """
    first = pd.Timestamp(f"{month}-01")
    start = first - pd.Timedelta(days=1)
    end = first + pd.offsets.MonthBegin(1) + pd.Timedelta(days=1)
    times = pd.date_range(start, end, freq=SLOT, inclusive="left")
    hour = np.asarray(times.hour) + np.asarray(times.minute) / 60
    weekday = np.asarray(times.day_of_week) < 5
    ramp = np.clip((hour - 6.0) / 1.5, 0, 1) * np.clip((18.0 - hour) / 1.0, 0, 1)
    kw = 60.0 + np.where(weekday, 90.0 * ramp, 0.0)
    day_no = (times.normalize() - first).days.to_numpy()
    big = {3: 35.0, 8: 60.0, 9: 25.0, 15: 45.0, 22: 20.0}  # day of month (0-based) -> kW
    bump = np.array([big.get(int(d), 8.0) for d in range(-1, 33)])[day_no + 1]
    shape = np.exp(-0.5 * ((hour - 7.5) / 0.5) ** 2)
    kw += np.where(weekday, bump * shape, 0.0)
    rng = np.random.default_rng(_SEED + first.month)
    kw = np.round(kw + rng.normal(0, 1.0, len(times)), 1)
    return pd.DataFrame({"building_id": "synthetic", "ts": times, "kw": kw,
                         "timezone": timezone, "slot_minutes": 15})  # fmt: skip


def bills(end: dt.date | None = None, months: int = 36) -> pd.DataFrame:
    """Made-up monthly electricity bills of one meter, raw canonical columns, oldest first.

    Use per day follows the season (more in summer and winter) with a little noise and a
    rate of about $0.15/kWh. Two problems: the bill 5 months before the last uses 2.4 times
    its usual amount (a ``usage_outlier``), and the bill 9 months before the last is
    charged 1.6 times the usual rate (a ``unit_rate_outlier``).
    """
    last = pd.Timestamp(end or dt.date(2025, 3, 1)).to_period("M")
    periods = pd.period_range(last - (months - 1), last, freq="M")
    rng = np.random.default_rng(_SEED)
    starts = periods.start_time
    ends = periods.end_time.normalize()
    days = (ends - starts).days + 1
    month = np.asarray(periods.month)
    per_day = 900 + 250 * np.cos(2 * np.pi * (month - 7) / 6) + rng.normal(0, 25, months)
    per_day[-6] *= 2.4
    usage = np.round(per_day * days, 0)
    rate = 0.15 * (1 + rng.normal(0, 0.01, months))
    rate[-10] *= 1.6
    return pd.DataFrame({
        "bill_id": [f"synthetic-{p}" for p in periods.strftime("%Y-%m")],
        "account_id": "synthetic", "building_id": "synthetic", "meter_id": "synthetic",
        "commodity": "electricity", "period_start": starts, "period_end": ends,
        "usage": usage, "usage_unit": "kWh", "cost": np.round(usage * rate, 2),
        "demand_kw": np.nan, "estimated": False,
    })  # fmt: skip


def variant(
    name: str, day: dt.date, days: int = 30
) -> tuple[pd.Timestamp, np.ndarray, str, dict | None]:
    """The made-up meter for detector ``name`` in ``VARIANTS``: ``(start, values, kind, clock)``.

    * ``water_leak``: an office water meter (gal per 15 minutes, draws in working hours, zero
      otherwise) whose last day never reaches zero flow: 2 gal every 15 minutes leak;
    * ``unit_change``: the electricity meter reporting Wh as kWh from 10:00 on the last day;
    * ``clock_drift``: the electricity meter, its gateway stamping readings about 40 s late
      over the last five days (the import's clock statistics, ``Grid.clock``);
    * ``daily_usage_high`` / ``daily_usage_low``: the electricity meter with one whole day
      (``USAGE_DAYS``: days before the last, factor) at 2.5 times or 15 % of its use.
    """
    start, values, _, _ = meter_values(day, days)
    clock = None
    kind = "electricity"
    if name == "water_leak":
        times = _slots(start, days * 96)
        hour = np.asarray(times.hour) + np.asarray(times.minute) / 60
        open_ = (np.asarray(times.day_of_week) < 5) & (hour >= 7) & (hour < 19)
        rng = np.random.default_rng(_SEED + 1)
        values = np.where(open_, rng.poisson(6.0, len(times)).astype(float), 0.0)
        values[-96:] += 2.0
        kind = "water"
    elif name == "unit_change":
        first = (days - 1) * 96 + 40
        values[first:] = np.round(values[first:] * 1000, 2)  # NaN (offline) stays NaN
    elif name == "clock_drift":
        zeros = np.zeros((1, days))
        clock = {"readings": zeros + 96, "off_grid": zeros.copy(), "late": zeros.copy(),
                 "early": zeros.copy(), "median_offset_s": zeros.copy()}  # fmt: skip
        clock["late"][0, -5:] = 94
        clock["median_offset_s"][0, -5:] = 40.0
    elif name in USAGE_DAYS:
        back, factor = USAGE_DAYS[name]
        day_slots = slice((days - 1 - back) * 96, (days - back) * 96)
        values[day_slots] = np.round(values[day_slots] * factor, 2)
    else:
        raise ValueError(f"no synthetic variant for {name!r}; expected one of {VARIANTS}")
    return start, values, kind, clock
