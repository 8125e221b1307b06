"""A small generator of meter feeds as they arrive from the field, written apart from core/demo/.

It shares no code or shape with the demo fleet on purpose: loads follow a thermal building
model (a base load, an occupancy schedule in local time with ramps, an outdoor-temperature
term and autocorrelated AR(1) noise), water comes from random fixture draws (compound
Poisson), solar from a clear-sky bell with day-to-day cloud cover. The gateway side is modelled
separately: how it stamps readings (jitter, a drifting clock, hourly feeds), resends rows,
and what a meter replacement or a unit mix-up does to the interval values. Everything is
returned in the canonical import format, so tests drive the real importer and the real job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

END = pd.Timestamp("2026-03-18")  # a Wednesday; the scored UTC day unless a case says otherwise
DAYS = 29  # history + the scored day, as the job's default window


@dataclass
class Meter:
    """One meter and how its building behaves.

    Parameters
    ----------
    meter_id, kind, timezone, interval_minutes, resolution : as the meters file / the device
    base, peak : float
        Load per hour when closed and when fully occupied (kWh/h or gal/h).
    open_hour, close_hour : float
        Local occupied hours on working days.
    weekend : bool
        Occupied on Saturday and Sunday too.
    noise : float
        Standard deviation of the AR(1) multiplicative noise.
    closed : list of str
        Local dates (YYYY-MM-DD) the building is closed on (holidays).
    solar_peak : float
        Peak PV output per hour (bidirectional net meters), 0 = none.
    """

    meter_id: str
    kind: str = "electricity"
    timezone: str = "America/Chicago"
    interval_minutes: int = 15
    resolution: float = 0.01
    base: float = 40.0
    peak: float = 120.0
    open_hour: float = 7.0
    close_hour: float = 18.5
    weekend: bool = False
    noise: float = 0.04
    closed: list[str] = field(default_factory=list)
    solar_peak: float = 0.0
    building_id: str = "b1"
    account_id: str = "a1"
    extra: dict = field(default_factory=dict)  # more meters-file columns (dq_enabled, ...)

    @property
    def unit(self) -> str:
        return "kWh" if self.kind == "electricity" else "gal"


def slots(meter: Meter, end: pd.Timestamp = END, days: int = DAYS) -> pd.DatetimeIndex:
    """UTC slot starts of ``days`` whole UTC days ending with ``end``'s day."""
    start = end - pd.Timedelta(days=days - 1)
    n = days * 1440 // meter.interval_minutes
    return pd.date_range(start, periods=n, freq=f"{meter.interval_minutes}min")


def _temperature(local: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Outdoor temperature (deg C): a daily swing and a weather front every few days."""
    hour = np.asarray(local.hour) + np.asarray(local.minute) / 60
    day = np.asarray(
        (local.tz_localize(None).normalize() - local[0].tz_localize(None).normalize()).days
    )
    fronts = np.cumsum(rng.normal(0, 1.5, day.max() + 2))
    return 8 + 6 * np.sin((hour - 9) / 24 * 2 * np.pi) + fronts[day]


def _occupancy(meter: Meter, local: pd.DatetimeIndex) -> np.ndarray:
    """0..1 occupancy: ramps of an hour around the local open and close times."""
    hour = np.asarray(local.hour) + np.asarray(local.minute) / 60
    up = np.clip(hour - (meter.open_hour - 1), 0, 1)
    down = np.clip(meter.close_hour - hour, 0, 1)
    working = np.asarray(local.day_of_week) < 5 if not meter.weekend else np.ones(len(local), bool)
    closed = np.isin(np.asarray(local.strftime("%Y-%m-%d")), meter.closed)
    return np.minimum(up, down) * (working & ~closed)


def _ar1(n: int, sigma: float, rng: np.random.Generator, phi: float = 0.8) -> np.ndarray:
    eps = rng.normal(0, sigma * np.sqrt(1 - phi**2), n)
    out = np.empty(n)
    out[0] = rng.normal(0, sigma)
    for i in range(1, n):  # a few thousand points: test data, not a hot path
        out[i] = phi * out[i - 1] + eps[i]
    return out


def values(meter: Meter, times: pd.DatetimeIndex, seed: int = 1) -> np.ndarray:
    """Interval consumption (meter unit per interval) at UTC slot starts ``times``."""
    rng = np.random.default_rng(seed)
    local = times.tz_localize("UTC").tz_convert(meter.timezone)
    hours = meter.interval_minutes / 60
    occ = _occupancy(meter, local)
    if meter.kind == "water":
        # fixture draws: Poisson count per interval while occupied, exponential volumes
        rate = occ * meter.peak * hours
        draws = rng.poisson(rate / 3.0)
        flow = np.array([rng.exponential(3.0, k).sum() for k in draws])
    else:
        temp = _temperature(local, rng)
        hvac = 1 + 0.02 * np.clip(18 - temp, 0, None) * occ
        load = (meter.base + (meter.peak - meter.base) * occ) * hvac
        flow = load * hours * (1 + _ar1(len(times), meter.noise, rng))
    if meter.solar_peak:
        hour = np.asarray(local.hour) + np.asarray(local.minute) / 60
        sun = np.clip(np.sin((hour - 6.5) / 12 * np.pi), 0, None) ** 1.5
        day = np.asarray(
            (local.tz_localize(None).normalize() - local[0].tz_localize(None).normalize()).days
        )
        clouds = rng.uniform(0.3, 1.0, day.max() + 1)[day]
        flow = flow - meter.solar_peak * hours * sun * clouds
    return np.round(flow / meter.resolution) * meter.resolution


def meters_frame(meters: list[Meter]) -> pd.DataFrame:
    """The canonical meters file."""
    rows = []
    for m in meters:
        row = {
            "meter_id": m.meter_id,
            "building_id": m.building_id,
            "account_id": m.account_id,
            "kind": m.kind,
            "unit": m.unit,
            "timezone": m.timezone,
            "interval_minutes": m.interval_minutes,
        }
        row.update(m.extra)
        rows.append(row)
    return pd.DataFrame(rows)


def readings_frame(
    meter: Meter,
    v: np.ndarray,
    times: pd.DatetimeIndex,
    offsets_s: np.ndarray | None = None,
    source: str = "platform",
) -> pd.DataFrame:
    """Canonical readings of one meter; NaN values are absent rows; ``offsets_s`` the gateway's
    stamping error per reading (seconds, + = late)."""
    ts = times
    if offsets_s is not None:
        ts = times + pd.to_timedelta(np.asarray(offsets_s, dtype=float), unit="s")
    keep = ~np.isnan(v)
    return pd.DataFrame(
        {"meter_id": meter.meter_id, "ts": ts[keep], "value": v[keep], "source": source}
    )


# --- the gateway side ---------------------------------------------------------------------


def jitter(n: int, low: float, high: float, seed: int = 2) -> np.ndarray:
    """Stamping delays drawn uniformly in ``[low, high]`` seconds."""
    return np.random.default_rng(seed).uniform(low, high, n)


def drifting_clock(
    times: pd.DatetimeIndex, since: pd.Timestamp, per_day_s: float, seed: int = 3
) -> np.ndarray:
    """A clock that gains ``per_day_s`` seconds a day from ``since`` (plus +/-3 s jitter)."""
    days = np.clip((times - since) / pd.Timedelta(days=1), 0, None)
    return per_day_s * np.asarray(days) + np.random.default_rng(seed).uniform(-3, 3, len(times))


def register_deltas(v: np.ndarray, replaced_at: int, old_register: float) -> np.ndarray:
    """Interval values as a platform derives them from a register replaced at slot ``replaced_at``.

    The new meter's register starts at 0; the delta at the swap is new - old, a large negative.
    """
    out = v.copy()
    out[replaced_at] = v[replaced_at] - old_register
    return out


def to_csv_text(frame: pd.DataFrame) -> str:
    """ISO-8601 text, as a gateway export would write it."""
    out = frame.copy()
    if "ts" in out:
        out["ts"] = pd.to_datetime(out["ts"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out.to_csv(index=False)
