"""The demo fleet's shape: accounts, buildings, meters, their true use, long readings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.demo._common import _DAY, _SLOT, TIMEZONES

# name, building-name suffixes; the last account is small and inactive
_ACCOUNTS = (
    ("Northwind Property Group", ("Tower", "Plaza", "Office Center", "Business Park")),
    ("Harborview Unified Schools", ("Elementary", "Middle School", "High School", "Library")),
    ("Meridian Health Partners", ("Clinic", "Medical Center", "Outpatient Center")),
    ("Atlas Logistics", ("Distribution Center", "Warehouse", "Depot")),
    ("Copperleaf Cafe Co.", ("Cafe", "Bakery")),
)
_PLACES = (
    "Maple Street",
    "Riverside",
    "Harbor Point",
    "Oak Hill",
    "Cedar Grove",
    "Lakeview",
    "Pine Ridge",
    "Willow Creek",
    "Granite Falls",
    "Union Square",
    "Bayshore",
    "Elm Park",
    "Highland",
    "Westgate",
    "Eastbrook",
    "Northfield",
    "Southport",
    "Stonebridge",
    "Fairview",
    "Brookside",
    "Kingsway",
    "Mill Pond",
    "Ashford",
    "Clearwater",
    "Summit Avenue",
    "Foxhall",
    "Greenway",
    "Redwood",
    "Silver Lake",
    "Old Town",
    "Meadowbrook",
    "Parkside",
    "Hillcrest",
    "Canal Street",
    "Bridgewater",
    "Orchard Lane",
    "Beacon Hill",
    "Waterfront",
    "Sunset Ridge",
    "Ironwood",
    "Heritage Square",
    "Copper Mill",
    "Market Street",
    "Windsor",
    "Lincoln Park",
)
_TZ_WEIGHTS = (0.3, 0.25, 0.2, 0.15, 0.1)


def _spread(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> np.ndarray:
    """Category index per item with counts proportional to ``weights``, shuffled."""
    w = np.asarray(weights, dtype=float) / sum(weights)
    counts = np.floor(w * n).astype(int)
    counts[np.argsort(counts - w * n, kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(w)), counts))


def _buildings(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Building metadata and the parameters of their occupancy profile."""
    n_small = 2 if n >= 12 else 1
    acc = np.concatenate(
        [np.sort(_spread(rng, n - n_small, (0.3, 0.27, 0.23, 0.2))), np.full(n_small, 4)]
    )
    places = rng.permutation(_PLACES)
    names = []
    for i in range(n):
        suffixes = _ACCOUNTS[acc[i]][1]
        place = places[i % len(places)] + (f" {i // len(places) + 1}" if i >= len(places) else "")
        names.append(f"{place} {suffixes[rng.integers(len(suffixes))]}")
    archived = np.zeros(n, dtype=bool)
    archived[rng.choice(np.flatnonzero(acc < 4))] = True
    return pd.DataFrame(
        {
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
        }
    )


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
    for col in (
        "building_id",
        "account_id",
        "building_name",
        "account_name",
        "timezone",
        "account_active",
    ):
        m[col] = bm[col].to_numpy()
    m["building_archived"] = bm["archived"].to_numpy()
    m["unit"] = np.where(m["kind"] == "electricity", "kWh", "gal")
    m["interval_minutes"] = 15
    m["bidirectional"] = False  # no export meters in the demo
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


def _expected(
    rng: np.random.Generator,
    b: pd.DataFrame,
    m: pd.DataFrame,
    times: pd.DatetimeIndex,
    holidays: np.ndarray,
    closed_b: int,
) -> np.ndarray:
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
    occ = (
        _smooth((hour - open_h) / 1.5)
        * (1 - _smooth((hour - close_h) / 1.5))
        * (0.85 + 0.15 * np.sin(np.pi * frac))
    )
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
    shape = np.where(
        (m["kind"] == "electricity").to_numpy()[:, None],
        base + (1 - base) * (occ * level)[bi],
        (occ * workday)[bi],
    )
    return m["size"].to_numpy()[:, None] * shape * factor[bi]


def _round(x: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Round each row to whole units (``dec`` 0) or to 0.01 (``dec`` 2)."""
    return np.where((dec == 0)[:, None], np.round(x), np.round(x, 2))


def _local_day(
    tz: str, day: dt.date, t0: pd.Timestamp, n_slots: int, hours: tuple[int, int] = (0, 24)
) -> tuple[int, int]:
    """Slots (start, end exclusive) of local ``hours`` of ``day`` in ``tz``, clipped to the data."""
    out = []
    for h in hours:
        local = (pd.Timestamp(day) + pd.Timedelta(hours=h)).tz_localize(tz)
        out.append((local.tz_convert("UTC").tz_localize(None) - t0) // _SLOT)
    return int(np.clip(out[0], 0, n_slots)), int(np.clip(out[1], 0, n_slots))


def _business(
    b: pd.DataFrame, end_day: dt.date, t0: pd.Timestamp, n_slots: int, hours: tuple[int, int]
) -> np.ndarray:
    """Per building, the slots of local ``hours`` on ``end_day`` within the UTC scored day."""
    spans = [_local_day(tz, end_day, t0, n_slots, hours) for tz in b["timezone"]]
    return np.array([(max(lo, n_slots - _DAY), hi) for lo, hi in spans])


def _long(
    ids: np.ndarray, times: pd.DatetimeIndex, blocks: list[tuple[np.ndarray, np.ndarray, int, int]]
) -> pd.DataFrame:
    """Long readings from ``(meter rows, values, slot stride, source code)`` blocks; NaN dropped."""
    parts = []
    for rows, values, stride, src in blocks:
        ok = ~np.isnan(values)
        r, c = np.nonzero(ok)
        parts.append((src * len(ids) + rows[r], c * stride, values[ok]))
    key, col, val = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.argsort(key, kind="stable")  # blocks are meter-major and time-sorted already
    key, col, val = key[order], col[order], val[order]
    return pd.DataFrame(
        {
            "meter_id": ids[key % len(ids)],
            "ts": times.values[col],
            "value": val,
            "source": np.where(key >= len(ids), "raw", "platform"),
        }
    )
