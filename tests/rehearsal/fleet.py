"""A small fleet as the platform holds it: PostgreSQL rows, InfluxDB points, S3 raw packets.

Two accounts, three buildings, eight scored meters (electricity and water) and a gas meter,
with platform ids as the platform has them (account 1, building 101; meters have a numeric id
and a text ``uid``, the id the readings feeds use). The week: seven UTC days of 15-minute
readings (an hourly water meter) from ``FIRST_DAY``; before it ``HISTORY_DAYS`` days the
platform already holds when DQ Hub is switched on (its first sync copies them, as it copies
``DQ_SYNC_FIRST_DAYS`` days in production); four months of bills. What is planted, per meter:

- ``m-101-main``, ``m-201-main``: office load with a morning startup peak on weekdays above
  the midday plateau (an overshoot project for buildings 101 and 201);
- ``m-102-pump``: a negative reading every night (``negative_value``); the meter whose DQ the
  platform switches off mid-week;
- ``m-102-main`` offline from ``OFFLINE_FROM`` on, ``m-201-main`` from a day later;
- ``m-201-water``: one spike;
- ``m-101-hvac`` and ``m-201-main``: a bill with zero usage (``zero_usage``).

The platform tables follow the schema documented at the top of core/bills/platform_bills.sql.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from tests.platformdb import PLATFORM_DDL

FIRST_DAY = date(2026, 3, 26)  # a Thursday; the week crosses Europe's DST change (29 March)
DAYS = 7
HISTORY_DAYS = 21  # what baselines (and the sandbox's baseline model) train on
HISTORY_START = FIRST_DAY - timedelta(days=HISTORY_DAYS)

ACCOUNTS = [(1, "Northwind Property Group", None), (2, "Copperleaf Clinics", True)]
BUILDINGS = [  # id, account, name, time zone
    (101, 1, "Maple Street Tower", "America/New_York"),
    (102, 1, "Riverside Plaza", "America/Chicago"),
    (201, 2, "Clinic North", "Europe/London"),
]


@dataclass(frozen=True)
class Meter:
    """One platform meter and what its readings look like."""

    id: int
    uid: str
    building: int
    utility: str  # ELECTRIC | WATER | GAS
    unit: str
    interval_s: int | None  # None: the platform's default (900)
    profile: str  # office | overshoot | hvac | pump | water | gas
    raw: bool = False  # also sends raw packets (S3)


METERS = [
    Meter(1001, "m-101-main", 101, "ELECTRIC", "kWh", 900, "overshoot", raw=True),
    Meter(1002, "m-101-hvac", 101, "ELECTRIC", "kWh", None, "hvac", raw=True),
    Meter(1003, "m-101-water", 101, "WATER", "gal", 3600, "water"),
    Meter(1004, "m-102-main", 102, "ELECTRIC", "kWh", 900, "office", raw=True),
    Meter(1005, "m-102-pump", 102, "ELECTRIC", "kWh", 900, "pump"),
    Meter(1006, "m-102-water", 102, "WATER", "gal", 900, "water"),
    Meter(2001, "m-201-main", 201, "ELECTRIC", "kWh", 900, "overshoot", raw=True),
    Meter(2002, "m-201-water", 201, "WATER", "gal", 900, "water"),
    Meter(2003, "m-201-gas", 201, "GAS", "therm", 3600, "gas"),  # DQ Hub does not score gas
]
OFFLINE_FROM = {
    "m-102-main": datetime(2026, 3, 30, 12, 0),
    "m-201-main": datetime(2026, 3, 31, 6, 0),
}
SPIKE = ("m-201-water", datetime(2026, 3, 30, 12, 0))
ZERO_BILLS = {"m-101-hvac", "m-201-main"}  # their February bill has zero usage
BILL_MONTHS = ("2025-11", "2025-12", "2026-01", "2026-02")
BILL_ID_BASE = {1: 10_000, 2: 920_000}  # account 2's ids are distinctive in page text


def account_of(meter: Meter) -> int:
    """The platform account id of ``meter``."""
    return next(acc for bid, acc, _, _ in BUILDINGS if bid == meter.building)


def _kw(meter: Meter, local: pd.DatetimeIndex) -> np.ndarray:
    """True demand (kW, or gal per 15 min for water) at local times ``local``."""
    h = local.hour + local.minute / 60
    weekday = local.day_of_week < 5
    occupied = weekday & (h >= 8) & (h < 18)
    if meter.profile in ("office", "overshoot"):
        kw = np.where(occupied, 40.0, 10.0)
        if meter.profile == "overshoot":  # a startup peak on weekday mornings
            kw = np.where(weekday & (h >= 5.5) & (h < 8), 65.0, kw)
        return kw
    if meter.profile == "hvac":
        return np.where(occupied, 20.0, 5.0)
    if meter.profile == "pump":
        return np.full(len(local), 4.0)
    if meter.profile == "gas":
        return np.full(len(local), 1.0)
    return np.where((h >= 7) & (h < 19), 30.0, 2.0)  # water, per 15 minutes


def readings(seed: int = 2026) -> pd.DataFrame:
    """Every reading of the week: ``meter_id`` (uid), ``ts`` (naive UTC), ``value``, ``source``.

    ``source`` is ``platform`` (InfluxDB) or ``raw`` (S3 packets, equal to the platform's).
    Offline meters have no readings from their ``OFFLINE_FROM`` on, in either feed.
    """
    rng = np.random.default_rng(seed)
    slots = pd.date_range(HISTORY_START, periods=(HISTORY_DAYS + DAYS) * 96, freq="15min")
    zones = {bid: tz for bid, _, _, tz in BUILDINGS}
    frames = []
    for m in METERS:
        local = slots.tz_localize("UTC").tz_convert(zones[m.building])
        per_slot = _kw(m, local) if m.profile == "water" else _kw(m, local) / 4
        value = per_slot * (1 + 0.03 * rng.standard_normal(len(slots)))
        if m.profile == "pump":  # an hour of negative readings every night
            value = np.where(slots.hour == 3, -0.5, value)
        if m.uid == SPIKE[0]:
            value = np.where(slots == SPIKE[1], 20 * value, value)
        df = pd.DataFrame({"meter_id": m.uid, "ts": slots, "value": value})
        if (m.interval_s or 900) == 3600:
            hourly = df.set_index("ts")["value"].resample("h").sum()
            df = pd.DataFrame({"meter_id": m.uid, "ts": hourly.index, "value": hourly.to_numpy()})
        df["value"] = df["value"].round(3)
        if m.uid in OFFLINE_FROM:
            df = df[df["ts"] < OFFLINE_FROM[m.uid]]
        frames.append(df.assign(source="platform"))
        if m.raw:
            frames.append(df.assign(source="raw"))
    out = pd.concat(frames, ignore_index=True)
    return out[["meter_id", "ts", "value", "source"]]


def bill_rows(week: pd.DataFrame) -> list[tuple]:
    """Monthly bills of every electricity meter (``utility_bills`` rows), use from its readings."""
    platform = week[week["source"] == "platform"]
    per_day = platform.groupby("meter_id")["value"].sum() / (HISTORY_DAYS + DAYS)
    rows = []
    n = {1: 0, 2: 0}
    for m in METERS:
        if m.utility != "ELECTRIC":
            continue
        acc = account_of(m)
        for k, month in enumerate(BILL_MONTHS):
            start = date.fromisoformat(f"{month}-01")
            end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
            usage = round(float(per_day[m.uid]) * ((end - start).days + 1) * (1 + 0.03 * k), 1)
            if m.uid in ZERO_BILLS and month == BILL_MONTHS[-1]:
                usage = 0.0
            n[acc] += 1
            rows.append((
                BILL_ID_BASE[acc] + n[acc], m.building, m.id, "ELECTRIC", start, end, usage,
                "kWh", round(usage * 0.14 + 25, 2), 70.0 if m.profile == "overshoot" else None,
                None, None,
            ))  # fmt: skip
    return rows


def create_platform(url: str, week: pd.DataFrame) -> None:
    """Create the platform's tables at ``url`` and fill in accounts, buildings, meters, bills."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        for statement in PLATFORM_DDL:
            con.execute(statement)
        with con.cursor() as cur:
            cur.executemany("INSERT INTO accounts VALUES (%s, %s, %s)", ACCOUNTS)
            cur.executemany("INSERT INTO buildings VALUES (%s, %s, %s, %s, NULL)", BUILDINGS)
            cur.executemany(
                "INSERT INTO meters VALUES (%s, %s, %s, %s, %s, %s, NULL)",
                [(m.id, m.uid, m.building, m.utility, m.unit, m.interval_s) for m in METERS],
            )
            cur.executemany(
                "INSERT INTO utility_bills VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                bill_rows(week),
            )


def canonical_meters() -> pd.DataFrame:
    """The scored meters in DQ Hub's import format, as the platform mapping gives them."""
    zones = {bid: (acc, name, tz) for bid, acc, name, tz in BUILDINGS}
    rows = [
        {
            "meter_id": m.uid,
            "building_id": str(m.building),
            "account_id": str(zones[m.building][0]),
            "kind": "electricity" if m.utility == "ELECTRIC" else "water",
            "unit": m.unit,
            "interval_minutes": (m.interval_s or 900) // 60,
            "timezone": zones[m.building][2],
            "building_name": zones[m.building][1],
        }
        for m in METERS
        if m.utility != "GAS"
    ]
    return pd.DataFrame(rows)


def switch_off(url: str, uid: str) -> None:
    """Switch DQ off for meter ``uid`` on the platform (``meters.dq_enabled = false``)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("UPDATE meters SET dq_enabled = false WHERE uid = %s", (uid,))


def days_of(week: pd.DataFrame, first: date, source: str, uids=None, days: int = 1) -> pd.DataFrame:
    """The readings of ``days`` UTC days from ``first`` of one feed, optionally of some meters."""
    ts = week["ts"]
    start = pd.Timestamp(first)
    rows = week[(ts >= start) & (ts < start + timedelta(days=days)) & (week["source"] == source)]
    return rows if uids is None else rows[rows["meter_id"].isin(list(uids))]


def names_of_account(account: int) -> set[str]:
    """Strings that identify ``account``'s data on a page: names, meter uids, bill ids."""
    out = {name for acc, name, _ in ACCOUNTS if acc == account}
    out |= {name for _, acc, name, _ in BUILDINGS if acc == account}
    out |= {m.uid for m in METERS if account_of(m) == account}
    out |= {str(BILL_ID_BASE[account] + k) for k in range(1, 20)}
    return out
