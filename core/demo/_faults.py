"""The demo fleet's problems: injected faults per detector, decoys, benign oddities."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.demo._common import _DAY, _SLOT
from core.demo._fleet import _local_day, _round

# detector -> (kind required, needs 0.01 kWh resolution, needs a raw feed)
_POOLS = {
    "raw_platform_mismatch": ("electricity", True, True),
    "flatline": ("electricity", True, False),
    "spike_negative": ("electricity", True, False),
    "zero_run": ("electricity", False, False),
    "negative_value": ("electricity", False, False),
    "spike_positive": ("electricity", False, False),
    "missing_data": (None, False, False),
    "offline": (None, False, False),
    "water_leak": ("water", False, False),
    "daily_usage_high": ("electricity", True, False),
    "daily_usage_low": ("electricity", True, False),
    "unit_change": ("electricity", True, False),
    "clock_drift": (None, False, False),
}
DETECTORS = tuple(_POOLS)  # the detectors the demo plants a problem for
_USAGE = ("daily_usage_high", "daily_usage_low")  # judged on local days: not the holiday account
_CLOCK_OFFSET_S = (40, 80)  # clock_drift: the gateway stamps the scored day this early (+/-10 s)
_DECOYS = ("flatline", "zero_run", "spike_positive", "negative_value", "missing_data", "offline")


def _late_clocks(
    rng: np.random.Generator,
    readings: pd.DataFrame,
    injected: list[tuple],
    ids: np.ndarray,
    t0: pd.Timestamp,
) -> pd.DataFrame:
    """Stamp the clock_drift meters' readings early by their gateway's offset (+/- 10 s jitter)."""
    drift = [(ids[k], t0 + s0 * _SLOT) for k, det, _, s0, _ in injected if det == "clock_drift"]
    if not drift:
        return readings
    ts = readings["ts"].to_numpy().copy()
    for meter_id, since in drift:
        rows = np.flatnonzero(
            (readings["meter_id"] == meter_id).to_numpy() & (readings["ts"] >= since).to_numpy()
        )
        offset = rng.integers(*_CLOCK_OFFSET_S) + rng.uniform(-10, 10, len(rows))
        ts[rows] -= (offset * 1e9).astype("timedelta64[ns]")
    return readings.assign(ts=ts)


def _benign(
    rng: np.random.Generator,
    m: pd.DataFrame,
    b: pd.DataFrame,
    true15: np.ndarray,
    biz: np.ndarray,
    closed_b: int,
    end_day: dt.date,
    t0: pd.Timestamp,
) -> list[tuple]:
    """Record the holiday closure and double the load of a few meters for a few hours.

    The meters involved are marked ``used`` so that no problem is injected on them.
    """
    closed = np.flatnonzero(m["b"].to_numpy() == closed_b)
    lo, hi = _local_day(b["timezone"].iat[closed_b], end_day, t0, true15.shape[1])
    out = [(k, "holiday_closure", None, lo, hi) for k in closed]
    m.loc[closed, "used"] = True
    pool = (m["eligible"] & m["fine"] & ~m["has_raw"] & (m["interval_minutes"] == 15)).to_numpy()
    for k in _pick(rng, pool, m, max(1, len(b) // 13)):
        s0, s1 = _span(rng, *biz[k, :2], 8, 16)
        true15[k, s0:s1] = np.round(true15[k, s0:s1] * 2, 2)
        out.append((k, "load_doubled", None, s0, s1))
    return out


def _plant(
    rng: np.random.Generator,
    m: pd.DataFrame,
    platform: np.ndarray,
    rawfeed: np.ndarray,
    expected: np.ndarray,
    biz: np.ndarray,
    n_buildings: int,
    closed_acc: str = "",
    end_day: dt.date | None = None,
    t0: pd.Timestamp | None = None,
) -> tuple[list[tuple], list[tuple]]:
    """Inject the known problems on eligible meters, and decoys on a few ineligible ones.

    Platform problems go to meters without a raw feed, so the raw feed stays equal to the
    platform feed everywhere except the ``raw_platform_mismatch`` windows.
    """
    elec, fine = (m["kind"] == "electricity").to_numpy(), m["fine"].to_numpy()
    raw, eligible = m["has_raw"].to_numpy(), m["eligible"].to_numpy()
    q15, dec = (m["interval_minutes"] == 15).to_numpy(), m["dec"].to_numpy()
    n_per = int(np.clip(n_buildings // 4, 1, 10))
    injected, decoys = [], []
    kinds = {None: True, "electricity": elec, "water": ~elec}
    for det, (kind, need_fine, need_raw) in _POOLS.items():
        pool = eligible & q15 & (raw if need_raw else ~raw) & (fine if need_fine else True)
        if det in _USAGE:
            pool &= (m["account_id"] != closed_acc).to_numpy()
        if det == "zero_run":  # a few water meters stuck at 0 for three days
            water = _pick(rng, pool & ~elec, m, max(1, (3 * n_per) // 10))
            rows = np.concatenate([water, _pick(rng, pool & elec, m, n_per - len(water))])
        else:
            rows = _pick(rng, pool & kinds[kind], m, n_per)
        source = "raw" if need_raw else "platform"
        for k in rows:
            if det in _USAGE:  # the whole local day the job judges with the scored day
                s0, s1 = _usage_day(m["timezone"].iat[k], end_day, t0, platform.shape[1])
                # away from 3.785 and 1 / 3.785: a whole day scaled by a unit factor is a
                # unit change
                factor = (
                    rng.uniform(2.4, 2.9) if det == "daily_usage_high" else rng.uniform(0.1, 0.19)
                )
                platform[k, s0:s1] = _round(platform[k : k + 1, s0:s1] * factor, dec[k : k + 1])[0]
            else:
                s0, s1 = _inject(rng, det, k, platform, rawfeed, expected, elec, dec, biz[k])
            injected.append((k, det, source, s0, s1))
    for det in _DECOYS:
        kind, need_fine, _ = _POOLS[det]
        pool = ~eligible & q15 & ~raw & kinds[kind] & (fine if need_fine else True)
        for k in _pick(rng, pool, m, 1):
            s0, s1 = _inject(rng, det, k, platform, rawfeed, expected, elec, dec, biz[k])
            decoys.append((k, "ineligible_problem", det, s0, s1))
    return injected, decoys


def _pick(rng: np.random.Generator, pool: np.ndarray, m: pd.DataFrame, k: int) -> np.ndarray:
    """Draw up to ``k`` meters from ``pool`` not yet ``used`` and mark them used."""
    cand = np.flatnonzero(pool & ~m["used"].to_numpy())
    chosen = np.sort(rng.choice(cand, size=min(k, len(cand)), replace=False))
    m.loc[chosen, "used"] = True
    return chosen


def _span(rng: np.random.Generator, lo: int, hi: int, min_n: int, max_n: int) -> tuple[int, int]:
    """A random slot range of ``min_n``..``max_n`` slots inside ``[lo, hi)``."""
    n = min(int(rng.integers(min_n, max_n + 1)), hi - lo)
    s0 = int(rng.integers(lo, hi - n + 1))
    return s0, s0 + n


def _inject(
    rng: np.random.Generator,
    det: str,
    k: int,
    platform: np.ndarray,
    rawfeed: np.ndarray,
    expected: np.ndarray,
    elec: np.ndarray,
    dec: np.ndarray,
    biz: np.ndarray,
) -> tuple[int, int]:
    """Apply problem ``det`` to meter row ``k`` on the scored day; return its slot range."""
    n_slots = platform.shape[1]
    day0, (lo, hi, core_lo, core_hi) = n_slots - _DAY, biz
    mid = (day0 + 16, n_slots - 8)  # 04:00-22:00 UTC: the feed resumes afterwards
    row = platform[k]
    if det == "missing_data":
        s0, s1 = _span(rng, *mid, 4, 24)
        row[s0:s1] = np.nan
    elif det == "offline":
        # stops on the scored day at least 6 h before its end, or two to three days earlier
        first, last = (
            (day0, n_slots - 24) if rng.random() < 0.7 else (day0 - 3 * _DAY, day0 - 2 * _DAY)
        )
        s0, s1 = int(rng.integers(first, last)), n_slots
        row[s0:] = np.nan
    elif det == "flatline":
        s0, s1 = _span(rng, lo, hi, 24, 48)
        row[s0:s1] = row[(s0 + s1) // 2]  # a mid-day value, well above the night load
    elif det == "zero_run":
        s0, s1 = (n_slots - 3 * _DAY, n_slots) if not elec[k] else _span(rng, lo, hi, 12, 32)
        row[s0:s1] = 0.0
    elif det == "negative_value":
        s0, s1 = _span(rng, *mid, 1, 3)
        row[s0:s1] = -np.abs(row[s0:s1])
    elif det == "spike_positive":
        s0, s1 = _span(rng, day0, n_slots, 1, 2)
        row[s0:s1] = _round(expected[k : k + 1, s0:s1] * rng.uniform(5, 20), dec[k : k + 1])[0]
    elif det == "spike_negative":
        s0, s1 = _span(rng, core_lo, core_hi, 1, 2)
        row[s0:s1] = np.maximum(np.round(expected[k, s0:s1] * rng.uniform(0.03, 0.07), 2), 0.01)
    elif det == "raw_platform_mismatch":
        s0, s1 = _span(rng, *mid, 8, 32)
        rawfeed[k, s0:s1] = np.round(rawfeed[k, s0:s1] * rng.uniform(1.3, 2.0), 2)
    elif det == "water_leak":  # a running toilet: the scored day never reaches zero flow
        s0, s1 = day0, n_slots
        row[s0:s1] += rng.integers(1, 4)
    elif det == "unit_change":  # the gateway starts reporting Wh as kWh mid-morning
        s0, s1 = int(rng.integers(lo, max(lo + 1, hi - 32))), n_slots
        row[s0:s1] = np.round(row[s0:s1] * 1000, 2)
    elif det == "clock_drift":  # timestamps shifted by _late_clocks; the values are fine
        s0, s1 = day0, n_slots
    else:
        raise ValueError(f"unknown detector {det!r}")
    return s0, s1


def _usage_day(tz: str, end_day: dt.date, t0: pd.Timestamp, n_slots: int) -> tuple[int, int]:
    """Slots of the last whole local day that overlaps the scored UTC day (the one judged)."""
    for day in (end_day, end_day - dt.timedelta(days=1)):
        lo, hi = _local_day(tz, day, t0, n_slots + 4 * _DAY)  # unclipped at the end
        if hi <= n_slots and hi > n_slots - _DAY:
            return lo, hi
    raise ValueError(f"no whole local day of {tz} overlaps the scored day")
