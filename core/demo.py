"""Synthetic demo fleet (meters, readings, bills) with known injected data-quality problems."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_END_DAY = dt.date(2025, 3, 12)
DETECTORS = (
    "missing_data", "offline", "flatline", "zero_run", "negative_value",
    "spike_positive", "spike_negative", "raw_platform_mismatch", "water_leak",
    "daily_usage_high", "daily_usage_low", "unit_change", "clock_drift",
)
TIMEZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "UTC")
METER_COLUMNS = (
    "meter_id", "building_id", "account_id", "kind", "unit", "building_name", "account_name",
    "timezone", "dq_enabled", "account_active", "building_archived", "interval_minutes",
)
READING_COLUMNS = ("meter_id", "ts", "value", "source")
BILL_COLUMNS = (
    "bill_id", "account_id", "building_id", "meter_id", "commodity", "period_start",
    "period_end", "usage", "usage_unit", "cost", "demand_kw", "estimated",
)
INJECTED_COLUMNS = ("meter_id", "detector", "source", "start_ts", "end_ts")
ODDITY_COLUMNS = ("meter_id", "oddity", "detector", "start_ts", "end_ts")

_DAY = 96  # 15-minute slots per day
_SLOT = pd.Timedelta(minutes=15)
_TZ_WEIGHTS = (0.3, 0.25, 0.2, 0.15, 0.1)
# name, building-name suffixes; the last account is small and inactive
_ACCOUNTS = (
    ("Northwind Property Group", ("Tower", "Plaza", "Office Center", "Business Park")),
    ("Harborview Unified Schools", ("Elementary", "Middle School", "High School", "Library")),
    ("Meridian Health Partners", ("Clinic", "Medical Center", "Outpatient Center")),
    ("Atlas Logistics", ("Distribution Center", "Warehouse", "Depot")),
    ("Copperleaf Cafe Co.", ("Cafe", "Bakery")),
)
_PLACES = (
    "Maple Street", "Riverside", "Harbor Point", "Oak Hill", "Cedar Grove", "Lakeview",
    "Pine Ridge", "Willow Creek", "Granite Falls", "Union Square", "Bayshore", "Elm Park",
    "Highland", "Westgate", "Eastbrook", "Northfield", "Southport", "Stonebridge", "Fairview",
    "Brookside", "Kingsway", "Mill Pond", "Ashford", "Clearwater", "Summit Avenue", "Foxhall",
    "Greenway", "Redwood", "Silver Lake", "Old Town", "Meadowbrook", "Parkside", "Hillcrest",
    "Canal Street", "Bridgewater", "Orchard Lane", "Beacon Hill", "Waterfront", "Sunset Ridge",
    "Ironwood", "Heritage Square", "Copper Mill", "Market Street", "Windsor", "Lincoln Park",
)
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
_USAGE = ("daily_usage_high", "daily_usage_low")  # judged on local days: not the holiday account
_CLOCK_OFFSET_S = (40, 80)  # clock_drift: the gateway stamps the scored day this early (+/-10 s)
_DECOYS = ("flatline", "zero_run", "spike_positive", "negative_value", "missing_data", "offline")


@dataclass(frozen=True, eq=False)
class Fleet:
    """A synthetic fleet in the canonical import format, plus the truth about its problems.

    Attributes
    ----------
    meters : pd.DataFrame
        One row per meter, columns ``METER_COLUMNS``.
    readings : pd.DataFrame
        ``meter_id, ts, value, source``; ``ts`` naive UTC slot starts, ordered by source,
        meter and time. Missing slots are absent rows.
    bills : pd.DataFrame
        Monthly electricity bills, columns ``BILL_COLUMNS`` (clean).
    injected : pd.DataFrame
        Known problems on eligible meters: ``meter_id, detector, source, start_ts, end_ts``
        (naive UTC, end exclusive, slot-aligned), at most one per meter.
    oddities : pd.DataFrame
        Legitimate oddities and problems on ineligible meters that must NOT be reported:
        ``meter_id, oddity`` (``holiday_closure``, ``load_doubled``, ``ineligible_problem``),
        ``detector`` (for ``ineligible_problem``, else None), ``start_ts, end_ts``.
    holidays : str
        The closure as a ``DQ_HOLIDAYS`` entry (``ACCOUNT:YYYY-MM-DD``): with it set, the daily
        usage checks leave the closed building alone, as they would a listed holiday.
    last_day : datetime.date
        The scored UTC day (the last day with readings).
    days : int
        Number of UTC days with readings, ending at ``last_day``.
    ineligible_meter_ids : frozenset of str
        Meters the DQ job must skip (dq disabled, inactive account or archived building).
    """

    meters: pd.DataFrame
    readings: pd.DataFrame
    bills: pd.DataFrame
    injected: pd.DataFrame
    oddities: pd.DataFrame
    last_day: dt.date
    days: int
    ineligible_meter_ids: frozenset[str]
    holidays: str = ""

    @property
    def first_day(self) -> dt.date:
        """The first UTC day with readings."""
        return self.last_day - dt.timedelta(days=self.days - 1)


def generate(
    seed: int = 42, end_day: dt.date = DEFAULT_END_DAY, days: int = 60, n_buildings: int = 40
) -> Fleet:
    """Build a deterministic synthetic fleet with known problems on its last day.

    Parameters
    ----------
    seed : int
        Seed of the numpy random generator; the same seed gives equal frames.
    end_day : datetime.date
        The last (scored) UTC day of readings.
    days : int
        Number of UTC days of readings ending at ``end_day`` (at least 7).
    n_buildings : int
        Number of buildings (at least 6); about 7.5 meters each.

    Returns
    -------
    Fleet
        Meters, readings, bills, the injected problems and the benign oddities.
    """
    if days < 7 or n_buildings < 6:
        raise ValueError(f"generate needs days >= 7 and n_buildings >= 6, got {days=}, "
                         f"{n_buildings=}")
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(end_day - dt.timedelta(days=days - 1)).as_unit("ns")
    times = pd.date_range(t0, periods=days * _DAY, freq="15min", unit="ns")
    b = _buildings(rng, n_buildings)
    m = _meters(rng, b)
    weekdays = [d for d in range(days - 3) if (t0 + pd.Timedelta(days=d)).day_of_week < 5]
    holidays = np.sort(rng.choice(weekdays, size=min(2, len(weekdays)), replace=False))
    closed_b = int(rng.choice(np.flatnonzero(~b["archived"] & (b["acc"] < 4))))
    expected = _expected(rng, b, m, times, holidays, closed_b)
    sigma = m["sigma"].to_numpy()[:, None]
    noisy = expected * np.clip(1 + sigma * rng.standard_normal(expected.shape), 0.5, None)
    dec, q15 = m["dec"].to_numpy(), (m["interval_minutes"] == 15).to_numpy()
    hourly, raw = np.flatnonzero(~q15), m["has_raw"].to_numpy()
    true15 = _round(noisy, dec)
    true60 = _round(noisy[hourly].reshape(len(hourly), -1, 4).sum(axis=2), dec[hourly])
    biz = np.hstack([_business(b, end_day, t0, len(times), hours) for hours in ((7, 19), (9, 16))])
    biz = biz[m["b"].to_numpy()]  # per meter: business hours, then the core of the day
    oddities = _benign(rng, m, b, true15, biz, closed_b, end_day, t0)
    platform, rawfeed = true15.copy(), true15.copy()  # raw equals platform unless injected
    closed_acc = b["account_id"].iat[closed_b]
    injected, decoys = _plant(rng, m, platform, rawfeed, expected, biz, n_buildings, closed_acc,
                              end_day, t0)  # fmt: skip

    ids = m["meter_id"].to_numpy()
    readings = _long(ids, times, [
        (np.flatnonzero(q15), platform[q15], 1, 0), (hourly, true60, 4, 0),
        (np.flatnonzero(q15 & raw), rawfeed[q15 & raw], 1, 1),
        (np.flatnonzero(~q15 & raw), true60[raw[hourly]], 4, 1),
    ])

    def frame(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
        data = [(ids[k], *mid, t0 + s0 * _SLOT, t0 + s1 * _SLOT) for k, *mid, s0, s1 in rows]
        return pd.DataFrame(data, columns=list(columns))

    readings = _late_clocks(rng, readings, injected, ids, t0)
    daily, peak_kw = np.zeros((len(m), days)), np.zeros((len(m), days))
    for rows, values, per_day, to_kw in ((q15, true15[q15], _DAY, 4), (hourly, true60, 24, 1)):
        values = values.reshape(len(values), days, per_day)
        daily[rows], peak_kw[rows] = values.sum(axis=2), values.max(axis=2) * to_kw
    elec = (m["kind"] == "electricity").to_numpy()
    return Fleet(
        meters=m[list(METER_COLUMNS)].reset_index(drop=True),
        readings=readings,
        bills=_bills(rng, m[elec], daily[elec], peak_kw[elec], t0.date(), end_day),
        injected=frame(injected, INJECTED_COLUMNS),
        oddities=frame(oddities + decoys, ODDITY_COLUMNS),
        last_day=end_day,
        days=days,
        ineligible_meter_ids=frozenset(ids[~m["eligible"].to_numpy()].tolist()),
        holidays=f"{closed_acc}:{end_day:%Y-%m-%d}",
    )


def _late_clocks(rng: np.random.Generator, readings: pd.DataFrame, injected: list[tuple],
                 ids: np.ndarray, t0: pd.Timestamp) -> pd.DataFrame:
    """Stamp the clock_drift meters' readings early by their gateway's offset (+/- 10 s jitter)."""
    drift = [(ids[k], t0 + s0 * _SLOT) for k, det, _, s0, _ in injected if det == "clock_drift"]
    if not drift:
        return readings
    ts = readings["ts"].to_numpy().copy()
    for meter_id, since in drift:
        rows = np.flatnonzero((readings["meter_id"] == meter_id).to_numpy()
                              & (readings["ts"] >= since).to_numpy())
        offset = rng.integers(*_CLOCK_OFFSET_S) + rng.uniform(-10, 10, len(rows))
        ts[rows] -= (offset * 1e9).astype("timedelta64[ns]")
    return readings.assign(ts=ts)


def _benign(rng: np.random.Generator, m: pd.DataFrame, b: pd.DataFrame, true15: np.ndarray,
            biz: np.ndarray, closed_b: int, end_day: dt.date, t0: pd.Timestamp) -> list[tuple]:
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


def _plant(rng: np.random.Generator, m: pd.DataFrame, platform: np.ndarray, rawfeed: np.ndarray,
           expected: np.ndarray, biz: np.ndarray, n_buildings: int, closed_acc: str = "",
           end_day: dt.date | None = None, t0: pd.Timestamp | None = None,
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
                factor = rng.uniform(2.4, 2.9) if det == "daily_usage_high" else rng.uniform(
                    0.1, 0.19)
                platform[k, s0:s1] = _round(platform[k:k + 1, s0:s1] * factor, dec[k:k + 1])[0]
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


def _spread(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> np.ndarray:
    """Category index per item with counts proportional to ``weights``, shuffled."""
    w = np.asarray(weights, dtype=float) / sum(weights)
    counts = np.floor(w * n).astype(int)
    counts[np.argsort(counts - w * n, kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(w)), counts))


def _buildings(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Building metadata and the parameters of their occupancy profile."""
    n_small = 2 if n >= 12 else 1
    acc = np.concatenate([np.sort(_spread(rng, n - n_small, (0.3, 0.27, 0.23, 0.2))),
                          np.full(n_small, 4)])
    places = rng.permutation(_PLACES)
    names = []
    for i in range(n):
        suffixes = _ACCOUNTS[acc[i]][1]
        place = places[i % len(places)] + (f" {i // len(places) + 1}" if i >= len(places) else "")
        names.append(f"{place} {suffixes[rng.integers(len(suffixes))]}")
    archived = np.zeros(n, dtype=bool)
    archived[rng.choice(np.flatnonzero(acc < 4))] = True
    return pd.DataFrame({
        "building_id": [f"b-{i + 1:03d}" for i in range(n)],
        "acc": acc,
        "account_id": [f"acc-{a + 1:02d}" for a in acc],
        "account_name": [_ACCOUNTS[a][0] for a in acc],
        "account_active": acc < 4,
        "building_name": names,
        "timezone": np.array(TIMEZONES)[_spread(rng, n, _TZ_WEIGHTS)],
        "archived": archived,
        "open_h": rng.uniform(5.5, 7.5, n),
        "close_h": rng.uniform(16.5, 18.0, n),
        "weekend": rng.uniform(0.03, 0.2, n),
        "drift": rng.uniform(-0.2, 0.2, n),
    })


def _meters(rng: np.random.Generator, b: pd.DataFrame) -> pd.DataFrame:
    """Meter metadata (canonical columns) plus per-meter simulation parameters."""
    rows = []
    for i in range(len(b)):
        n_elec = int(rng.integers(4, 7))
        for j in range(n_elec + int(rng.integers(2, 4))):
            if j >= n_elec:  # water: gallons per 15 min at peak, whole gallons
                size = np.exp(rng.uniform(np.log(10), np.log(150)))
                base, dec, kind = 0.0, 0, "water"
            elif j > 0 and rng.random() < 0.3:  # small sub-meter at 1 kWh resolution
                size = rng.uniform(3.0, 5.0)
                base, dec, kind = rng.uniform(1.2, 2.2) / size, 0, "electricity"
            else:
                lo, hi = (80, 400) if j == 0 else (5, 80)
                size = np.exp(rng.uniform(np.log(lo), np.log(hi)))
                base, dec, kind = rng.uniform(0.25, 0.5), 2, "electricity"
            rows.append((i, kind, size, base, dec, rng.uniform(0.03, 0.05)))
    m = pd.DataFrame(rows, columns=["b", "kind", "size", "base", "dec", "sigma"])
    n = len(m)
    m.insert(0, "meter_id", [f"m-{k + 1:04d}" for k in range(n)])
    bm = b.iloc[m["b"]].reset_index(drop=True)
    for col in ("building_id", "account_id", "building_name", "account_name", "timezone",
                "account_active"):
        m[col] = bm[col].to_numpy()
    m["building_archived"] = bm["archived"].to_numpy()
    m["unit"] = np.where(m["kind"] == "electricity", "kWh", "gal")
    m["interval_minutes"] = 15
    m.loc[rng.choice(n, size=round(0.1 * n), replace=False), "interval_minutes"] = 60
    m["has_raw"] = False
    m.loc[rng.choice(n, size=round(0.2 * n), replace=False), "has_raw"] = True
    m["dq_enabled"] = True
    live = np.flatnonzero((m["account_active"] & ~m["building_archived"]).to_numpy())
    m.loc[rng.choice(live, size=max(1, n // 75), replace=False), "dq_enabled"] = False
    m["eligible"] = m["dq_enabled"] & m["account_active"] & ~m["building_archived"]
    m["fine"], m["used"] = m["dec"] == 2, False
    return m


def _smooth(x: np.ndarray) -> np.ndarray:
    """Smoothstep from 0 (x <= 0) to 1 (x >= 1)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _expected(rng: np.random.Generator, b: pd.DataFrame, m: pd.DataFrame,
              times: pd.DatetimeIndex, holidays: np.ndarray, closed_b: int) -> np.ndarray:
    """Noise-free consumption per meter and 15-minute slot, shaped in each building's local time."""
    nb, n_slots, days = len(b), len(times), len(times) // _DAY
    hour, wday, dayi = (np.empty((nb, n_slots), dtype=t) for t in (float, int, int))
    tzs = b["timezone"].to_numpy()
    for tz in pd.unique(tzs):
        loc = times.tz_localize("UTC").tz_convert(tz)
        rows = tzs == tz
        hour[rows] = loc.hour + loc.minute / 60
        wday[rows] = loc.day_of_week
        dayi[rows] = (loc.tz_localize(None).normalize() - times[0]).days
    open_h, close_h = b["open_h"].to_numpy()[:, None], b["close_h"].to_numpy()[:, None]
    frac = np.clip((hour - open_h) / (close_h + 1.5 - open_h), 0, 1)
    occ = (_smooth((hour - open_h) / 1.5) * (1 - _smooth((hour - close_h) / 1.5))
           * (0.85 + 0.15 * np.sin(np.pi * frac)))
    closed = np.isin(dayi, holidays)  # the whole fleet, plus one building on the last day
    closed[closed_b] |= dayi[closed_b] == days - 1
    workday = (wday < 5) & ~closed
    weekend = np.where((wday >= 5) & ~closed, b["weekend"].to_numpy()[:, None], 0.0)
    level = np.where(workday, 1.0, weekend)
    weather = np.zeros((nb, days + 2))
    for d in range(1, days + 2):  # AR(1) day-to-day weather factor per building
        weather[:, d] = 0.7 * weather[:, d - 1] + rng.normal(0, 0.02, nb)
    drift = 1 + b["drift"].to_numpy()[:, None] * (np.arange(-1, days + 1) / days - 0.5)
    factor = np.take_along_axis(drift * (1 + weather), dayi + 1, axis=1)
    bi, base = m["b"].to_numpy(), m["base"].to_numpy()[:, None]
    shape = np.where((m["kind"] == "electricity").to_numpy()[:, None],
                     base + (1 - base) * (occ * level)[bi], (occ * workday)[bi])
    return m["size"].to_numpy()[:, None] * shape * factor[bi]


def _round(x: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Round each row to whole units (``dec`` 0) or to 0.01 (``dec`` 2)."""
    return np.where((dec == 0)[:, None], np.round(x), np.round(x, 2))


def _local_day(tz: str, day: dt.date, t0: pd.Timestamp, n_slots: int,
               hours: tuple[int, int] = (0, 24)) -> tuple[int, int]:
    """Slots (start, end exclusive) of local ``hours`` of ``day`` in ``tz``, clipped to the data."""
    out = []
    for h in hours:
        local = (pd.Timestamp(day) + pd.Timedelta(hours=h)).tz_localize(tz)
        out.append((local.tz_convert("UTC").tz_localize(None) - t0) // _SLOT)
    return int(np.clip(out[0], 0, n_slots)), int(np.clip(out[1], 0, n_slots))


def _business(b: pd.DataFrame, end_day: dt.date, t0: pd.Timestamp, n_slots: int,
              hours: tuple[int, int]) -> np.ndarray:
    """Per building, the slots of local ``hours`` on ``end_day`` within the UTC scored day."""
    spans = [_local_day(tz, end_day, t0, n_slots, hours) for tz in b["timezone"]]
    return np.array([(max(lo, n_slots - _DAY), hi) for lo, hi in spans])


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


def _inject(rng: np.random.Generator, det: str, k: int, platform: np.ndarray, rawfeed: np.ndarray,
            expected: np.ndarray, elec: np.ndarray, dec: np.ndarray, biz: np.ndarray,
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
        first, last = (day0, n_slots - 24) if rng.random() < 0.7 else (day0 - 3 * _DAY,
                                                                       day0 - 2 * _DAY)
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
        row[s0:s1] = _round(expected[k:k + 1, s0:s1] * rng.uniform(5, 20), dec[k:k + 1])[0]
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


def _long(ids: np.ndarray, times: pd.DatetimeIndex,
          blocks: list[tuple[np.ndarray, np.ndarray, int, int]]) -> pd.DataFrame:
    """Long readings from ``(meter rows, values, slot stride, source code)`` blocks; NaN dropped."""
    parts = []
    for rows, values, stride, src in blocks:
        ok = ~np.isnan(values)
        r, c = np.nonzero(ok)
        parts.append((src * len(ids) + rows[r], c * stride, values[ok]))
    key, col, val = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.argsort(key, kind="stable")  # blocks are meter-major and time-sorted already
    key, col, val = key[order], col[order], val[order]
    return pd.DataFrame({
        "meter_id": ids[key % len(ids)],
        "ts": times.values[col],
        "value": val,
        "source": np.where(key >= len(ids), "raw", "platform"),
    })


def _add_months(day: dt.date, k: int) -> dt.date:
    """``day`` moved by ``k`` months (day of month at most 28, so always valid)."""
    y, mo = divmod(day.year * 12 + day.month - 1 + k, 12)
    return dt.date(y, mo + 1, day.day)


def _bills(rng: np.random.Generator, m: pd.DataFrame, daily: np.ndarray, peak_kw: np.ndarray,
           first_day: dt.date, end_day: dt.date, n_bills: int = 13) -> pd.DataFrame:
    """Monthly bills per electricity meter; usage and demand follow the readings where covered."""
    accounts = sorted(m["account_id"].unique())
    read_day = dict(zip(accounts, rng.integers(1, 29, len(accounts)).tolist(), strict=True))
    rate = dict(zip(accounts, np.round(rng.uniform(0.10, 0.20, len(accounts)), 4), strict=True))
    demand_rate = dict(zip(accounts, np.round(rng.uniform(8, 16, len(accounts)), 2), strict=True))
    days = daily.shape[1]
    mean_daily, top_kw = daily.mean(axis=1), peak_kw.max(axis=1)
    frames = []
    for acc in accounts:
        rows = np.flatnonzero((m["account_id"] == acc).to_numpy())
        start = dt.date(end_day.year, end_day.month, read_day[acc])
        while _add_months(start, 1) > end_day + dt.timedelta(days=1):
            start = _add_months(start, -1)
        for p in range(n_bills):
            s = _add_months(start, p - n_bills + 1)
            e = _add_months(s, 1) - dt.timedelta(days=1)
            a, z = np.clip([(s - first_day).days, (e - first_day).days + 1], 0, days)
            n_missing = (e - s).days + 1 - (z - a)
            noise = rng.normal(1.0, 0.06, len(rows))
            usage = np.round(daily[rows, a:z].sum(axis=1) + mean_daily[rows] * n_missing * noise, 2)
            kw = top_kw[rows] * rng.uniform(0.9, 1.04, len(rows))  # months beyond the readings
            if z > a:  # the covered days' peak, but never below the fleet-window peak when partial
                covered = peak_kw[rows, a:z].max(axis=1)
                kw = covered if n_missing == 0 else np.maximum(covered, kw)
            kw = np.round(kw, 1)
            frames.append(pd.DataFrame({
                "bill_id": [f"bl-{mid[2:]}-{s:%Y%m}" for mid in m["meter_id"].iloc[rows]],
                "account_id": acc,
                "building_id": m["building_id"].iloc[rows].to_numpy(),
                "meter_id": m["meter_id"].iloc[rows].to_numpy(),
                "commodity": "electricity",
                "period_start": [s] * len(rows),
                "period_end": [e] * len(rows),
                "usage": usage,
                "usage_unit": "kWh",
                "cost": np.round(usage * rate[acc] + kw * demand_rate[acc], 2),
                "demand_kw": kw,
                "estimated": rng.random(len(rows)) < 0.03,
            }))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["meter_id", "period_start"], ignore_index=True)[list(BILL_COLUMNS)]
