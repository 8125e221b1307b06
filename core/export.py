"""Results tables as CSV or JSON text, and the bill report workbook (``python -m jobs export``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd

from core import audit, csvsafe
from core.db.base import Database
from core.dq.store import ISSUE_COLUMNS
from core.errors import DQHubError
from core.overshoot.job import FAULT_TABLE_COLUMNS  # the fault table as the job writes it

FORMATS = ("csv", "json")  # text: printed, or written to --output
WORKBOOKS = ("bills",)  # what --format xlsx writes (to a file only)


def _issues_of(kind: str) -> Callable[[Database, date | None], pd.DataFrame]:
    """Exporter of one issue kind: the ``dq_issues`` columns, optionally overlapping a day."""

    def issues(db: Database, day: date | None) -> pd.DataFrame:
        cols = ", ".join(ISSUE_COLUMNS)
        sql = f"SELECT {cols} FROM dq_issues WHERE kind = ?"
        params: list[object] = [kind]
        if day is not None:
            sql += " AND start_ts < ? AND end_ts > ?"
            params += [day + timedelta(days=1), day]
        return db.fetch_df(sql + " ORDER BY start_ts, issue_id", params)

    return issues


def _monthly(table: str, columns: list[str], order: str) -> Callable[..., pd.DataFrame]:
    """Exporter of a monthly table; ``month`` (or the month of ``day``) filters it."""

    def rows(db: Database, day: date | None, month: str | None = None) -> pd.DataFrame:
        month = month or (day.strftime("%Y-%m") if day is not None else None)
        sql = f"SELECT {', '.join(columns)} FROM {table}"
        params: list[object] = []
        if month is not None:
            sql += " WHERE month = ?"
            params.append(month)
        return db.fetch_df(f"{sql} ORDER BY {order}", params)

    return rows


PROJECT_EXPORT_COLUMNS = [
    "project_id",
    "building_id",
    "type",
    "status",
    "title",
    "summary",
    "est_monthly_cost",
    "updated_at",
    "updated_by",
    "source_fault_id",
    "account_id",
    "month",
    "void",
]

# One line per exportable result.
EXPORTS = {
    "issues": _issues_of("meter"),
    "bills": _issues_of("bill"),  # bill findings; --date keeps bills whose period covers it
    "overshoot": _monthly(
        "afdd_faults", FAULT_TABLE_COLUMNS, "month, est_monthly_cost DESC, building_id"
    ),
    "projects": _monthly("projects", PROJECT_EXPORT_COLUMNS, "est_monthly_cost DESC, building_id"),
    # status changes (issue_events) and comments (dq_comments), every account; --date: that day
    "audit": lambda db, day: audit.trail(db, day),
}
_MONTHLY = ("overshoot", "projects")


def export(
    db: Database, what: str, fmt: str, day: date | None = None, month: str | None = None
) -> str:
    """Render ``what`` as ``fmt`` text; ``day`` keeps issues that overlap that UTC day.

    For ``audit`` (status changes and comments), ``day`` keeps those made on that day.

    For ``overshoot`` and ``projects``, ``month`` (``YYYY-MM``, or the month of ``day``)
    keeps that month's rows.
    """
    if what not in EXPORTS:
        raise DQHubError(f"Unknown export {what!r}; expected {', '.join(EXPORTS)}")
    if fmt not in FORMATS:
        raise DQHubError(f"Unknown format {fmt!r}; expected {', '.join(FORMATS)}")
    df = EXPORTS[what](db, day, month) if what in _MONTHLY else EXPORTS[what](db, day)
    if fmt == "csv":
        return csvsafe.to_csv(df)
    return df.to_json(orient="records", date_format="iso", indent=1) + "\n"


def workbook(db: Database, what: str, day: date | None = None, by: str = "") -> bytes:
    """The .xlsx report of ``what`` (``bills`` only): the Utility bills page's workbook.

    The command line sees every account (whoever runs it reads the warehouse directly) and
    every status; ``day`` keeps findings whose billing period covers that day. ``by`` names
    who ran it on the summary tab. The tabs list up to ``MAX_EXPORT_ROWS`` findings, as many as
    the CSV download (the page's workbook lists ``REPORT_ROWS``: it is built while people wait).
    """
    from core.auth import User
    from core.views.bills import issues, report

    if what not in WORKBOOKS:
        raise DQHubError(
            f"--format xlsx writes the bill report: use it with export bills, not {what!r}"
        )
    user = User("jobs", "python -m jobs export", "ds", None)
    filters = issues.Filters(start=day, end=day)
    by = by or f"{user.name}, every account"
    return report.workbook(db, user, filters, by=by, limit=issues.MAX_EXPORT_ROWS)
