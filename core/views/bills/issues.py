"""Utility-bill findings: filters, a scoped paged query, the editor's table and the export.

The query joins each finding to its bill's figures. How a finding reads (its details, figures,
masked ids, platform link) is :mod:`.text`; the meter's bill history chart is :mod:`.charts`.

Bill findings are ``dq_issues`` rows with ``kind = 'bill'`` (``detector`` = the check's name),
written by ``python -m jobs run bills``. Every query is limited to the user's accounts with
``User.scope`` and takes its values as ``?`` parameters; sorting and paging happen in the
warehouse. Figures come from ``bills`` (the bill as stored now), falling back to the copy the
check wrote into ``details`` when the bill row is gone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from core import csvsafe
from core.auth import User
from core.db.base import Database
from core.scoped import NotFoundError, bill_history, per_day
from core.triage import STATUSES
from core.views.bills.text import CHECKS, mask_ids
from core.views.issue_list import SEVERITIES, FilterError, Where, page_of, tidy
from core.views.issues import DEFAULT_STATUSES

__all__ = [
    "COLUMNS",
    "DEFAULT_STATUSES",
    "FilterError",
    "Filters",
    "NotFoundError",
    "bill_history",
    "count_by_check",
    "export_csv",
    "filter_options",
    "list_bill_issues",
    "table",
]

MAX_EXPORT_ROWS = 100_000  # CSV download cap; narrow the filters past it

# Columns of ``list_bill_issues`` (and of the CSV export), in display order.
COLUMNS = [
    "issue_id",
    "severity",
    "detector",
    "account_id",
    "account_name",
    "building_id",
    "building_name",
    "meter_id",
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
    "magnitude",
    "details",
    "status",
    "status_note",
    "status_by",
    "status_at",
]
_SELECT = (
    "i.issue_id, i.severity, i.detector, i.account_id, i.building_id, i.meter_id, i.bill_id, "
    "i.start_ts, i.end_ts, i.magnitude, i.details, i.status, i.status_note, i.status_by, "
    "i.status_at"
)
# Severity rank for ORDER BY; unknown severities sort last. A constant: no user value in it.
_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Filters:
    """What the Utility bills page shows. Empty tuples mean "all"; lists are kept as tuples.

    Parameters
    ----------
    checks, severities, statuses, accounts, buildings : tuple of str
        Allowed check names, severities, statuses, account ids and building ids.
    start, end : date, optional
        Billing-period range, both days inclusive: a finding is shown when its bill's period
        overlaps it.

    Raises
    ------
    FilterError
        For a backwards period range or an unknown status or severity.
    """

    checks: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    buildings: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        tidy(self, "billing-period range")


def _where(user: User, f: Filters) -> tuple[str, list[Any]]:
    """The WHERE clause (alias ``i`` = dq_issues) and its parameters."""
    where = Where(user, "bill")
    where.one_of("i.detector IN ({marks})", f.checks)
    where.one_of("i.severity IN ({marks})", f.severities)
    where.one_of("i.status IN ({marks})", f.statuses)
    where.one_of("i.account_id IN ({marks})", f.accounts)
    where.one_of("i.building_id IN ({marks})", f.buildings)
    # start_ts = period start, end_ts = period end + 1 day: overlap with the billing period
    where.overlaps(f.start, f.end)
    return where.sql()


def list_bill_issues(
    db: Database, user: User, filters: Filters, page: int = 1, page_size: int = 50
) -> tuple[pd.DataFrame, int]:
    """One page of the user's bill findings matching ``filters``, and how many match in all.

    Sorted by severity (high, medium, low), then oldest billing period first. Each row carries
    the bill's figures (``usage`` in ``usage_unit``, ``cost``, ``use_per_day``,
    ``cost_per_unit``, ``demand_kw``, ``estimated``) and the account and building names.

    Parameters
    ----------
    page : int
        1-based; a page past the end returns no rows (the total still counts every match).
    page_size : int
        Rows per page.

    Returns
    -------
    (DataFrame, int)
        ``COLUMNS`` (``details`` parsed to a dict), and the number of matching findings.

    Raises
    ------
    FilterError
        If ``page`` or ``page_size`` is below 1.
    """
    scope, scope_params = user.scope("account_id")
    joined = (
        "SELECT p.*, b.commodity, b.period_start, b.period_end, b.usage, b.usage_unit, "
        "b.cost, b.demand_kw, b.estimated, n.building_name, n.account_name FROM {page} p "
        "LEFT JOIN bills b ON b.bill_id = p.bill_id AND b.account_id = p.account_id "
        "LEFT JOIN (SELECT building_id, account_id, max(building_name) AS building_name, "
        f"max(account_name) AS account_name FROM meters WHERE {scope} "
        "GROUP BY building_id, account_id) n "
        "ON n.building_id = p.building_id AND n.account_id = p.account_id"
    )
    with db.transaction() as tx:  # one connection for both statements
        df, total = page_of(tx, _where(user, filters), _SELECT, joined, page, page_size,
                            scope_params)  # fmt: skip
    return _finish(df), total


def count_by_check(db: Database, user: User, filters: Filters) -> pd.DataFrame:
    """How many of the user's findings match ``filters``: ``detector, severity, status, n``.

    Counted in the warehouse over every match (no row cap), with the list's scoped WHERE.
    """
    where, params = _where(user, filters)
    return db.fetch_df(
        "SELECT i.detector, i.severity, i.status, count(*) AS n FROM dq_issues i "
        f"WHERE {where} GROUP BY i.detector, i.severity, i.status",
        params,
    )


def _details(text: object) -> dict[str, Any]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"details": text}
    return value if isinstance(value, dict) else {"details": value}


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Parse details, fill figures of a vanished bill from them, derive the per-day figures."""
    df["details"] = [_details(t) for t in df["details"]]
    for column in ("usage", "cost", "usage_unit", "estimated"):
        copied = pd.Series([d.get(column) for d in df["details"]], index=df.index, dtype=object)
        df[column] = df[column].astype(object).where(df[column].notna(), copied)
    for column in ("usage", "cost", "demand_kw"):
        df[column] = pd.to_numeric(df[column], errors="coerce").astype(float)
    df["estimated"] = df["estimated"].astype("boolean")
    # No bill row: the finding's own span is the period (end_ts = period end + 1 day).
    df["period_start"] = pd.to_datetime(df["period_start"]).fillna(df["start_ts"].dt.floor("D"))
    df["period_end"] = pd.to_datetime(df["period_end"]).fillna(df["end_ts"] - _DAY)
    return per_day(df)[COLUMNS].reset_index(drop=True)


def export_csv(
    db: Database,
    user: User,
    filters: Filters,
    mask: Callable[[pd.DataFrame], pd.DataFrame] = lambda df: df,
    salt: str | None = None,
    limit: int = MAX_EXPORT_ROWS,
) -> bytes:
    """The filtered findings as CSV (first ``limit`` rows, page order).

    Names go through ``mask`` (``core.ui.masker()``) and ids through ``mask_ids`` with
    ``salt`` (screen-share mode); ``details`` is written as JSON text.
    """
    df = mask_ids(db, mask(list_bill_issues(db, user, filters, 1, limit)[0]), salt)
    df["details"] = [json.dumps(d, default=str) for d in df["details"]]
    return csvsafe.to_csv_bytes(df)


def table(view: pd.DataFrame, finding: list[str], links: list[str | None] | None) -> pd.DataFrame:
    """The editor's rows from a (masked) ``list_bill_issues`` frame, indexed by ``issue_id``.

    Columns in order: what and where, the bill's figures, status and note (on a laptop screen
    without scrolling), then the details, meter, bill id and link, account and period length.

    ``finding`` is the one-line text of each row's details; ``links`` the bill URLs (None:
    no link column).
    """
    period = (
        view["period_start"].dt.strftime("%Y-%m-%d")
        + " to "
        + view["period_end"].dt.strftime("%Y-%m-%d")
    )
    out = pd.DataFrame(
        {
            "severity": view["severity"],
            "check": view["detector"],
            "building": view["building_name"].fillna(view["building_id"]),
            "period": period.fillna(""),
            "usage": view["usage"],
            "unit": view["usage_unit"],
            "use_per_day": view["use_per_day"],
            "cost": view["cost"],
            "cost_per_unit": view["cost_per_unit"],
            "estimated": view["estimated"],
            "status": view["status"],
            "note": view["status_note"].fillna(""),
            "finding": finding,
            "meter": view["meter_id"].where(view["meter_id"].fillna("") != "", "—"),
            "bill": view["bill_id"],
            "account": view["account_name"].fillna(view["account_id"]),
            "days": view["days"],
        }
    )
    if links is not None:
        out.insert(out.columns.get_loc("bill") + 1, "link", links)
    out.index = pd.Index(view["issue_id"], name="issue_id")
    return out


def filter_options(db: Database, user: User) -> dict[str, Any]:
    """Choices for the filter widgets, from the bill findings in the user's accounts.

    Returns
    -------
    dict
        ``checks``, ``severities``, ``statuses`` (lists); ``accounts`` ``{id: name}`` and
        ``buildings`` ``{id: (name, account_id)}`` holding findings, by name; ``findings``,
        how many bill findings the user can see.
    """
    scope, params = user.scope("account_id")
    with db.transaction() as tx:
        found = tx.fetch_all(
            "SELECT detector, account_id, building_id, count(*) FROM dq_issues "
            f"WHERE kind = 'bill' AND {scope} GROUP BY detector, account_id, building_id",
            params,
        )
        names = tx.fetch_all(
            "SELECT building_id, max(building_name), max(account_id), max(account_name) "
            f"FROM meters WHERE {scope} GROUP BY building_id",
            params,
        )
    building_names = {r[0]: r[1] for r in names if r[1]}
    account_names = {r[2]: r[3] for r in names if r[3]}
    places = {(r[1], r[2]) for r in found if r[1] is not None}
    accounts = {a: account_names.get(a, a) for a, _ in places}
    buildings = {b: (building_names.get(b, b), a) for a, b in places if b is not None}
    detectors = {r[0] for r in found}
    return {
        "checks": [c for c in CHECKS if c in detectors] + sorted(detectors - set(CHECKS)),
        "severities": list(SEVERITIES),
        "statuses": list(STATUSES),
        "accounts": dict(sorted(accounts.items(), key=lambda kv: str(kv[1]))),
        "buildings": dict(
            sorted(buildings.items(), key=lambda kv: (str(accounts.get(kv[1][1])), str(kv[1][0])))
        ),
        "findings": sum(r[3] for r in found),
    }
