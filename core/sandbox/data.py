"""What sandbox models read: a meter's 30 days, a building's month, a meter's bills, options.

Every loader takes ``(db, user, *args)`` and is limited to the user's granted accounts: it
goes through :mod:`core.scoped` (which checks the meter against the user's accounts first)
or filters with ``User.scope()``. A meter, building or bill outside them reads exactly like a
missing one. ``SYNTHETIC`` in place of an id gives made-up data
(``core.sandbox.synthetic``) without touching the warehouse, so the sandbox works on an
empty one. The page caches loaders per (warehouse, accounts, loader, arguments).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core import scoped
from core.auth import User
from core.db.base import Database
from core.detectors.base import Grid
from core.dq.grid import GroupFailure, Window, build_grids
from core.overshoot import scope as overshoot_scope
from core.sandbox import synthetic
from core.sandbox.base import SandboxError
from core.scoped import NotFoundError, meter_in_scope
from core.sources.embedded import ReadingsBlock

SYNTHETIC = "synthetic"
WINDOW_DAYS = 30  # the scored day and 29 days of history: what the DQ job loads by default
METER_LIMIT = 1000  # meters offered at once; a search narrows a larger fleet
TEMPERATURE_TABLE = "building_temperatures"  # optional: building_id, ts (naive UTC), temp_c
_SLOT = pd.Timedelta(minutes=15)
_ELIGIBLE = "kind = 'electricity' AND dq_enabled AND account_active AND NOT building_archived"


@dataclass
class MeterSeries:
    """A meter's readings on the DQ job's grid: ``WINDOW_DAYS`` UTC days ending with ``day``.

    ``platform`` is the grid every detector sees; ``raw`` (None without a raw feed) holds
    the raw readings with the platform's as ``reference``, the grid of
    ``raw_platform_mismatch``. The last day is the scored day (``grid.score_from``).
    """

    meter_id: str
    kind: str
    unit: str
    timezone: str
    building_id: str
    day: dt.date
    platform: Grid
    raw: Grid | None
    synthetic: bool = False


@dataclass
class BuildingMonth:
    """A building's demand for a month, as ``core.overshoot.demand.load_month`` builds it.

    ``demand``: ``building_id, ts, kw, timezone, slot_minutes`` (kW per 15-minute slot,
    NaN when a meter of the building has no reading). ``issues``: ``building_id, start_ts,
    end_ts`` of the open high-severity issues that block mornings. ``start``/``end``: the
    loaded UTC range (the month with a day of margin either side).
    """

    building_id: str
    month: str
    timezone: str
    demand: pd.DataFrame
    issues: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    meters: int
    synthetic: bool = False


@dataclass
class Temperature:
    """Outdoor temperature (deg C) on a meter series' slots; ``source`` says where from."""

    values: np.ndarray
    source: str
    synthetic: bool


def _window(day: dt.date) -> Window:
    return Window(pd.Timestamp(day), WINDOW_DAYS - 1)


def series(db: Database | None, user: User | None, meter_id: str, day: dt.date) -> MeterSeries:
    """The meter's ``WINDOW_DAYS`` days ending with UTC ``day``, gridded as the DQ job does.

    Raises
    ------
    NotFoundError
        ``Meter X does not exist`` for an unknown meter or one outside the user's accounts.
    SandboxError
        When the meter cannot be gridded (interval not 15 or 60, unknown time zone).
    """
    window = _window(day)
    if meter_id == SYNTHETIC:
        return synthetic_series(day)
    m = scoped.meter(db, user, meter_id)
    points = scoped.readings(db, user, meter_id, window.start, window.end)
    block = ReadingsBlock(
        meter_index=np.zeros(len(points), dtype=np.int32),
        slot15=((points["ts"] - window.start) // _SLOT).to_numpy(dtype=np.int64),
        value=points["value"].to_numpy(dtype=np.float64),
        raw=(points["source"] == "raw").to_numpy(),
    )
    grids: dict[str, Grid] = {}
    for item in build_grids(pd.DataFrame([m]), block, window):
        if isinstance(item, GroupFailure):
            raise SandboxError(f"Meter {meter_id} cannot be scored: {item.reason}")
        grids[item[0]] = item[1]
    return MeterSeries(meter_id, m["kind"], m["unit"], m["timezone"], m["building_id"], day,
                       grids["platform"], grids.get("raw"))  # fmt: skip


def synthetic_series(day: dt.date, detector: str = "") -> MeterSeries:
    """The made-up meter's 30 days; ``detector`` in ``synthetic.VARIANTS`` picks its variant."""
    start, platform, raw, _ = synthetic.meter_values(day, WINDOW_DAYS)
    kind, clock = "electricity", None
    if detector in synthetic.VARIANTS:
        start, platform, kind, clock = synthetic.variant(detector, day, WINDOW_DAYS)
        raw = platform
    common = {"meter_ids": np.array([SYNTHETIC]), "kinds": np.array([kind]),
              "start": start, "slot_minutes": 15, "timezone": synthetic.TIMEZONE,
              "score_from": (WINDOW_DAYS - 1) * 96}  # fmt: skip
    return MeterSeries(
        SYNTHETIC, kind, "kWh" if kind == "electricity" else "gal", synthetic.TIMEZONE,
        SYNTHETIC, day, Grid(values=platform[None, :], clock=clock, **common),
        Grid(values=raw[None, :], reference=platform[None, :], **common), synthetic=True,
    )  # fmt: skip


def temperature(db: Database | None, user: User | None, meter_id: str, day: dt.date) -> Temperature:
    """Outdoor temperature on the meter's 30-day grid.

    Read from the optional ``building_temperatures`` table (``building_id, ts, temp_c``;
    hourly or finer, interpolated onto the slots) when it exists and covers at least 90 %
    of the slots; otherwise the synthetic series (``synthetic = True``).
    """
    window = _window(day)
    times = pd.date_range(window.start, window.end, freq=_SLOT, inclusive="left")
    made_up = Temperature(synthetic.temperature(times), "synthetic", True)
    if meter_id == SYNTHETIC or db is None or not db.table_exists(TEMPERATURE_TABLE):
        return made_up
    building = scoped.meter(db, user, meter_id)["building_id"]  # scoped
    rows = db.fetch_df(
        f"SELECT ts, temp_c FROM {TEMPERATURE_TABLE} WHERE building_id = ? AND ts >= ? "
        "AND ts < ? ORDER BY ts",
        [building, (window.start - pd.Timedelta(hours=2)).to_pydatetime(),
         (window.end + pd.Timedelta(hours=2)).to_pydatetime()],
    )  # fmt: skip
    if rows.empty:
        return made_up
    known = pd.Series(rows["temp_c"].astype(float).to_numpy(), pd.to_datetime(rows["ts"]))
    known = known[~known.index.duplicated()]
    both = known.reindex(known.index.union(times)).interpolate("time", limit=8)
    values = both.reindex(times).to_numpy()
    if np.isnan(values).mean() > 0.1:
        return made_up
    return Temperature(values, TEMPERATURE_TABLE, False)


def issues(db: Database | None, user: User | None, meter_id: str, day: dt.date) -> pd.DataFrame:
    """The meter's stored issues overlapping its 30-day window (``core.scoped.issues``)."""
    if meter_id == SYNTHETIC:
        return pd.DataFrame(columns=["detector", "source", "severity", "status", "start_ts",
                                     "end_ts"])  # fmt: skip
    window = _window(day)
    return scoped.issues(db, user, meter_id, window.start, window.end)  # scoped


def _building_meters(db: Database, user: User, building_id: str) -> pd.DataFrame:
    scope, params = user.scope("account_id")
    meters = db.fetch_df(
        "SELECT meter_id, interval_minutes, timezone FROM meters "
        f"WHERE building_id = ? AND {_ELIGIBLE} AND {scope} ORDER BY meter_id",
        [building_id, *params],
    )
    if meters.empty:
        raise NotFoundError(f"Building {building_id} does not exist")
    return meters


def demand(db: Database | None, user: User | None, building_id: str, month: str) -> BuildingMonth:
    """The building's demand for ``month`` as the overshoot job loads it, and its issues.

    The same rules as ``core.overshoot.demand.load_month``, for one building and scoped: its
    eligible electricity meters' platform readings on the 15-minute grid (an hourly reading
    spread over its four slots), kW = kWh x 60 / interval minutes, summed over the meters
    only where every meter has a reading. The month is loaded with a day of margin.
    """
    first, nxt = overshoot_scope.month_bounds(month)
    margin = pd.Timedelta(days=1)
    start, end = pd.Timestamp(first) - margin, pd.Timestamp(nxt) + margin
    empty = pd.DataFrame(columns=["building_id", "start_ts", "end_ts"])
    if building_id == SYNTHETIC:
        frame = synthetic.building_demand(month)
        return BuildingMonth(
            SYNTHETIC, month, synthetic.TIMEZONE, frame, empty, start, end, 1, synthetic=True
        )
    meters = _building_meters(db, user, building_id)
    parts = []
    for m in meters.itertuples():
        r = scoped.readings(db, user, m.meter_id, start, end)
        r = r[r["source"] == "platform"]
        kw = r["value"].to_numpy(float) * 60.0 / m.interval_minutes
        spread = max(1, int(m.interval_minutes) // 15)
        ts = np.repeat(r["ts"].to_numpy("datetime64[ns]"), spread)
        ts = ts + np.tile(np.arange(spread) * np.timedelta64(15, "m"), len(r))
        parts.append(pd.DataFrame({"ts": ts, "kw": np.repeat(kw, spread), "meter_id": m.meter_id}))
    # One value per meter and slot (two readings on one slot are averaged, as the job does),
    # then the building's sum where every meter has one.
    per_meter = pd.concat(parts, ignore_index=True).groupby(["ts", "meter_id"])["kw"].mean()
    by = per_meter.groupby(level="ts")
    total = by.sum().where(by.size() == len(meters))
    zone = str(meters["timezone"].iloc[0] or "UTC")
    frame = pd.DataFrame({
        "building_id": building_id, "ts": total.index.astype("datetime64[ns]"),
        "kw": total.to_numpy(float), "timezone": zone, "slot_minutes": 15,
    })  # fmt: skip
    scope, params = user.scope("account_id")
    marks = ", ".join("?" for _ in meters.meter_id)
    det = ", ".join("?" for _ in overshoot_scope.BLOCKING_DETECTORS)
    sts = ", ".join("?" for _ in overshoot_scope.BLOCKING_STATUSES)
    issues = db.fetch_df(
        f"SELECT ? AS building_id, start_ts, end_ts FROM dq_issues WHERE kind = 'meter' "
        f"AND severity = 'high' AND detector IN ({det}) AND status IN ({sts}) "
        f"AND meter_id IN ({marks}) AND {scope} AND start_ts < ? "
        "AND (end_ts IS NULL OR end_ts > ?)",
        [building_id, *overshoot_scope.BLOCKING_DETECTORS, *overshoot_scope.BLOCKING_STATUSES,
         *meters.meter_id, *params, end.to_pydatetime(), start.to_pydatetime()],
    )  # fmt: skip
    return BuildingMonth(building_id, month, zone, frame, issues, start, end, len(meters))


def bills(db: Database | None, user: User | None, meter_id: str) -> pd.DataFrame:
    """The meter's bills normalised as the bill job does, oldest first.

    ``core.bills.normalise`` columns (``days`` included) plus ``findings``: the checks the
    daily bill job raised on each bill (comma-separated, "" for none). Bills the normaliser
    skips are left out.
    """
    from core.bills.normalise import BILL_COLUMNS, normalise

    if meter_id == SYNTHETIC:
        raw, findings = synthetic.bills(), pd.Series(dtype=object)
    else:
        m = scoped.meter(db, user, meter_id)
        history = scoped.bill_history(db, user, meter_id)  # scoped
        raw = history.assign(meter_id=meter_id, account_id=m["account_id"],
                             building_id=m["building_id"])  # fmt: skip
        findings = history.set_index("bill_id")["checks"]
    out, _, _ = normalise(raw[list(BILL_COLUMNS)], pd.DataFrame({"meter_id": [meter_id]}))
    out["findings"] = findings.reindex(out["bill_id"]).fillna("").to_numpy(dtype=object)
    return out


# ---- options for the page's pickers -----------------------------------------------------


def meters(db: Database | None, user: User | None, search: str = "") -> pd.DataFrame:
    """Meters the user may pick (``scoped.meters_for`` columns), at most ``METER_LIMIT``."""
    if db is None:
        return pd.DataFrame(columns=["meter_id", "kind", "unit", "building_id", "building_name",
                                     "account_id", "account_name"])  # fmt: skip
    return scoped.meters_for(db, user, search, limit=METER_LIMIT)


def meter_days(db: Database | None, user: User | None, meter_id: str) -> tuple[dt.date, dt.date]:
    """First and last UTC day with readings of the meter (yesterday twice without any)."""
    yesterday = (pd.Timestamp.now("UTC").tz_localize(None) - pd.Timedelta(days=1)).date()
    if meter_id == SYNTHETIC:
        return yesterday - dt.timedelta(days=365), yesterday
    scoped.meter(db, user, meter_id)  # scoped
    first, last = db.fetch_all("SELECT MIN(ts), MAX(ts) FROM readings WHERE meter_id = ?",
                               [meter_id])[0]  # fmt: skip
    if first is None:
        return yesterday, yesterday
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()


def buildings(db: Database | None, user: User | None) -> pd.DataFrame:
    """Buildings with eligible electricity meters in the user's accounts (overshoot scan)."""
    cols = ["building_id", "building_name", "account_id", "account_name", "meters"]
    if db is None:
        return pd.DataFrame(columns=cols)
    scope, params = user.scope("account_id")
    return db.fetch_df(
        "SELECT building_id, min(building_name) AS building_name, min(account_id) AS "
        "account_id, min(account_name) AS account_name, count(*) AS meters FROM meters "
        f"WHERE {_ELIGIBLE} AND {scope} GROUP BY building_id "
        "ORDER BY min(account_name), min(building_name), building_id LIMIT ?",
        [*params, METER_LIMIT],
    )


def months(db: Database | None, user: User | None, building_id: str) -> dict[str, int]:
    """``YYYY-MM`` -> days of it between the building's first and last reading, latest first."""
    if building_id == SYNTHETIC:
        this = pd.Timestamp.now("UTC").tz_localize(None).to_period("M")
        span = pd.period_range(this - 36, this - 1, freq="M")[::-1]
        return {str(p): p.days_in_month for p in span}
    ids = list(_building_meters(db, user, building_id).meter_id)  # scoped
    first, last = db.fetch_all(
        f"SELECT MIN(ts), MAX(ts) FROM readings WHERE meter_id IN ({', '.join('?' for _ in ids)})",
        ids,
    )[0]
    if first is None:
        return {}
    lo, hi = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    out = {}
    for p in pd.period_range(lo.to_period("M"), hi.to_period("M"))[::-1]:
        out[str(p)] = (min(hi, p.end_time.normalize()) - max(lo, p.start_time)).days + 1
    return out


def latest_issue(
    db: Database | None, user: User | None, detector: str
) -> tuple[str, dt.date] | None:
    """Meter and UTC day of the user's latest finding of ``detector`` (None without one).

    The day is the one the finding ends on, so a 30-day window ending there shows it whole.
    """
    if db is None:
        return None
    scope, params = user.scope("i.account_id")
    own, own_params = meter_in_scope(user)  # not a meter that moved to another account since
    rows = db.fetch_all(
        f"SELECT i.meter_id, i.start_ts, i.end_ts FROM dq_issues i WHERE i.detector = ? "
        f"AND {scope} AND {own} AND i.meter_id IS NOT NULL AND i.start_ts IS NOT NULL "
        "ORDER BY COALESCE(i.end_ts, i.start_ts) DESC, i.issue_id LIMIT 1",
        [detector, *params, *own_params],
    )
    if not rows:
        return None
    meter_id, start, end = rows[0]
    last = pd.Timestamp(start if end is None else end) - pd.Timedelta(microseconds=1)
    return meter_id, max(pd.Timestamp(start), last).date()  # the day the issue ends on


def bill_meters(db: Database | None, user: User | None) -> pd.DataFrame:
    """Meters with bills in the user's accounts, with how many bills each has."""
    cols = ["meter_id", "kind", "unit", "building_id", "building_name", "account_id",
            "account_name", "bills"]  # fmt: skip
    if db is None:
        return pd.DataFrame(columns=cols)
    b_scope, b_params = user.scope("b.account_id")
    m_scope, m_params = user.scope("m.account_id")
    return db.fetch_df(
        f"SELECT {', '.join('m.' + c for c in cols[:-1])}, count(*) AS bills FROM bills b "
        f"JOIN meters m ON b.meter_id = m.meter_id WHERE {b_scope} AND {m_scope} "
        f"GROUP BY {', '.join('m.' + c for c in cols[:-1])} "
        "ORDER BY m.account_name, m.building_name, m.meter_id LIMIT ?",
        [*b_params, *m_params, METER_LIMIT],
    )


LOADERS: dict[str, Any] = {
    "series": series,
    "issues": issues,
    "temperature": temperature,
    "demand": demand,
    "bills": bills,
    "meters": meters,
    "meter_days": meter_days,
    "buildings": buildings,
    "months": months,
    "bill_meters": bill_meters,
    "latest_issue": latest_issue,
}
