"""Scoped reads several features share: a meter, its readings, issues and bills; account scoping.

No page owns this module: the Meter explorer, the Utility bills page and the model sandbox read
through it. Every function checks the meter against the user's granted accounts first; a meter
outside them is reported exactly like a missing one, so ids of other accounts never leak. Times
are naive UTC; windows are ``[start, end)``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd

from core.auth import User
from core.db.base import Database
from core.errors import DQHubError

MAX_WINDOW_DAYS = 62  # two months of 15-min platform + raw points is ~12k rows: fine for a chart
PICKER_LIMIT = 200  # meters offered at once; the search box narrows a larger fleet
_ISSUE_COLUMNS = (
    "issue_id, detector, source, severity, magnitude, start_ts, end_ts, status, "
    "status_note, status_by, status_at"
)
Window = tuple[pd.Timestamp, pd.Timestamp]


class NotFoundError(DQHubError):
    """An unknown meter or issue, or one outside the user's accounts (same message)."""


class WindowError(DQHubError):
    """A time window that ends before it starts or is longer than ``MAX_WINDOW_DAYS``."""


def _ts(value: date | datetime | str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts if ts.tzinfo is None else ts.tz_convert("UTC").tz_localize(None)


def window(start: Any, end: Any) -> Window:
    """``[start, end)`` (naive UTC or aware) as naive UTC timestamps, or a ``WindowError``.

    Refused: ``end`` not after ``start``, or a window longer than ``MAX_WINDOW_DAYS``.
    """
    start, end = _ts(start), _ts(end)
    if end <= start:
        raise WindowError(f"The window ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})")
    if end - start > pd.Timedelta(days=MAX_WINDOW_DAYS):
        raise WindowError(
            f"The window spans {(end - start).days} days; the explorer shows at most "
            f"{MAX_WINDOW_DAYS} days at a time. Pick a shorter range."
        )
    return start, end


def meters_for(
    db: Database, user: User, search: str | None = None, limit: int = PICKER_LIMIT
) -> pd.DataFrame:
    """Meters the user may see, for a picker, ordered by account, building and meter.

    Returns ``meter_id, kind, unit, building_id, building_name, account_id, account_name``:
    at most ``limit`` rows whose meter id, building or account (id or name) contains
    ``search`` (case-insensitive), when given.
    """
    scope, params = user.scope("account_id")
    sql = (
        "SELECT meter_id, kind, unit, building_id, building_name, account_id, account_name "
        f"FROM meters WHERE {scope}"
    )
    params = list(params)
    if search and search.strip():
        fields = ("meter_id", "building_id", "building_name", "account_id", "account_name")
        sql += " AND (" + " OR ".join(f"LOWER(COALESCE({f}, '')) LIKE ?" for f in fields) + ")"
        params += [f"%{search.strip().lower()}%"] * len(fields)
    sql += " ORDER BY account_name, account_id, building_name, building_id, meter_id LIMIT ?"
    return db.fetch_df(sql, [*params, int(limit)])


def meter(db: Database, user: User, meter_id: str) -> dict[str, Any]:
    """The meter row as a dict (every ``meters`` column).

    Raises
    ------
    NotFoundError
        ``Meter X does not exist`` if unknown or outside the user's accounts.
    """
    scope, params = user.scope("account_id")
    df = db.fetch_df(f"SELECT * FROM meters WHERE meter_id = ? AND {scope}", [meter_id, *params])
    if df.empty:
        raise NotFoundError(f"Meter {meter_id} does not exist")
    return df.iloc[0].to_dict()


def readings(db: Database, user: User, meter_id: str, start: Any, end: Any) -> pd.DataFrame:
    """The meter's readings in ``[start, end)``: ``ts, value, source`` (platform and raw).

    Windows longer than ``MAX_WINDOW_DAYS`` are refused rather than downsampled: averaging
    would hide exactly the spikes and flatlines the explorer is for, and 62 days of 15-minute
    platform and raw points (about 12,000 rows) still draw quickly.

    Raises ``NotFoundError`` as ``meter`` and ``WindowError`` as ``window``.
    """
    meter(db, user, meter_id)
    start, end = window(start, end)
    sql = "SELECT ts, value, source FROM readings WHERE meter_id = ? AND ts >= ? AND ts < ?"
    params = [meter_id, start.to_pydatetime(), end.to_pydatetime()]
    return db.fetch_df(f"{sql} ORDER BY source, ts", params)


def issues(db: Database, user: User, meter_id: str, start: Any, end: Any) -> pd.DataFrame:
    """The meter's issues overlapping ``[start, end)``, oldest first (``_ISSUE_COLUMNS``).

    Raises ``NotFoundError`` as ``meter`` and ``WindowError`` as ``window``.
    """
    meter(db, user, meter_id)
    start, end = window(start, end)
    scope, params = user.scope("account_id")
    s, e = start.to_pydatetime(), end.to_pydatetime()
    sql = (
        f"SELECT {_ISSUE_COLUMNS} FROM dq_issues WHERE meter_id = ? AND {scope} AND start_ts < ?"
        " AND (end_ts > ? OR (end_ts IS NULL AND start_ts >= ?)) ORDER BY start_ts, issue_id"
    )
    return db.fetch_df(sql, [meter_id, *params, e, s, s])


def meter_in_scope(user: User, column: str = "i.meter_id") -> tuple[str, list[str]]:
    """A SQL predicate: the row's meter, while it is in ``meters``, is in the user's accounts.

    A result row keeps the account it was found under; when its meter later moves to another
    account (a re-import), the old account's users must not see it (the meter and its names are
    now another account's), nor triage it (:mod:`core.triage` checks the same). Rows without a
    meter (building-level bills) or whose meter left ``meters`` pass. Always true for users who
    see every account, so their queries cost nothing more.
    """
    if user.accounts is None:
        return "TRUE", []
    scope, params = user.scope("own_m.account_id")
    return (
        f"NOT EXISTS (SELECT 1 FROM meters own_m WHERE own_m.meter_id = {column} "
        f"AND NOT ({scope}))",
        params,
    )


def per_day(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``days`` (inclusive), ``use_per_day`` and ``cost_per_unit`` (NaN where undefined)."""
    df["days"] = ((df["period_end"] - df["period_start"]).dt.days + 1).astype("Int64")
    days = df["days"].astype(float).where(df["days"] > 0)
    df["use_per_day"] = df["usage"] / days
    df["cost_per_unit"] = df["cost"] / df["usage"].where(df["usage"] > 0)
    return df


def bill_history(db: Database, user: User, meter_id: str) -> pd.DataFrame:
    """Every bill of the meter, oldest period first, with its findings.

    Returns
    -------
    DataFrame
        ``bill_id, commodity, period_start, period_end, days, usage, usage_unit, use_per_day,
        cost, cost_per_unit, demand_kw, estimated, checks`` (comma-separated check names of the
        bill's findings in the user's accounts, "" for none).

    Raises
    ------
    NotFoundError
        ``Meter X does not exist`` if unknown or outside the user's accounts (as :func:`meter`).
    """
    meter(db, user, meter_id)
    scope, params = user.scope("account_id")
    with db.transaction() as tx:
        bills = tx.fetch_df(
            "SELECT bill_id, commodity, period_start, period_end, usage, usage_unit, cost, "
            f"demand_kw, estimated FROM bills WHERE meter_id = ? AND {scope} "
            "ORDER BY period_start, bill_id",
            [meter_id, *params],
        )
        found = tx.fetch_all(
            "SELECT bill_id, detector FROM dq_issues WHERE kind = 'bill' AND meter_id = ? "
            f"AND {scope} ORDER BY detector",
            [meter_id, *params],
        )
    checks: dict[str, list[str]] = {}
    for bill_id, detector in found:
        checks.setdefault(bill_id, []).append(detector)
    for column in ("period_start", "period_end"):
        bills[column] = pd.to_datetime(bills[column])
    for column in ("usage", "cost", "demand_kw"):
        bills[column] = bills[column].astype(float)
    bills["checks"] = [", ".join(checks.get(b, [])) for b in bills["bill_id"]]
    order = [
        "bill_id",
        "commodity",
        "period_start",
        "period_end",
        "days",
        "usage",
        "usage_unit",
        "use_per_day",
        "cost",
        "cost_per_unit",
        "demand_kw",
        "estimated",
        "checks",
    ]
    return per_day(bills)[order]
