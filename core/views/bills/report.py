"""The bill report: an .xlsx workbook with a summary tab and one tab per bill check.

The bill team's "latest report", downloaded from the Utility bills page and written by
``python -m jobs export bills --format xlsx --output F``. Built from the page's own scoped
query (:func:`core.views.bills.issues.list_bill_issues`), so it holds only the user's accounts,
and masked like the page in screen-share mode (names, ids and notes as pseudonyms, no links).

- **Summary**: who it was made for and when, the latest bill run, the filters, and per check
  the findings by severity and by status (counted in the warehouse over every match).
- **One tab per check** of ``core.bills.REGISTRY``, named exactly after the check and present
  even without findings, so the tab set is stable; a finding of a check no longer in the
  registry gets a tab of its own after them. Every tab has the same columns: the CSV
  download's, with ``details`` described in words as ``finding``. The bill id links to the
  bill in the platform (``DQ_BILL_URL_TEMPLATE``).

Safe to open: no cell is ever a formula. Every text cell is written as a string
(``write_string``; ``strings_to_formulas`` off), and text that starts like a formula
(:data:`core.csvsafe.FORMULA_STARTS`) also gets Excel's quote prefix, so editing the cell
keeps it text. Links are the template's http(s) URL with the id URL-quoted.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from core import masking
from core.auth import User
from core.bills import REGISTRY
from core.csvsafe import FORMULA_STARTS
from core.db.base import Database
from core.dq.summary import latest_run
from core.triage import STATUSES
from core.views.bills.issues import (
    COLUMNS,
    Filters,
    count_by_check,
    list_bill_issues,
)
from core.views.bills.text import CHECKS, bill_links, describe, mask_ids
from core.views.issue_list import SEVERITIES

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUMMARY = "Summary"
# Each check's tab: the CSV download's columns, details described in words.
TAB_COLUMNS = ["finding" if c == "details" else c for c in COLUMNS]
# Findings listed in the tabs, most severe and oldest first (the summary counts every match).
# Writing costs about 0.2 ms of CPU per finding (26 cells), so a page download stays a few
# seconds; the command line lists up to MAX_EXPORT_ROWS.
REPORT_ROWS = 20_000
LINKS_PER_TAB = 65_530  # Excel's limit of hyperlinks in one worksheet; later rows get none
URL_MAX = 2_079  # Excel's longest URL
_NUMBER_FORMATS = {
    "days": "0",
    "usage": "#,##0.##",
    "use_per_day": "#,##0.0",
    "cost": "#,##0.00",
    "cost_per_unit": "0.0000",
    "demand_kw": "#,##0.0",
    "magnitude": "0.###",
    "period_start": "yyyy-mm-dd",
    "period_end": "yyyy-mm-dd",
    "status_at": "yyyy-mm-dd hh:mm",
}
_WIDTHS = {"finding": 48, "status_note": 32, "account_name": 26, "building_name": 26}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # day 0 of Excel's (1900) date system
_BAD_SHEET_CHARS = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


def workbook(
    db: Database,
    user: User,
    filters: Filters | None = None,
    mask: Callable[[pd.DataFrame], pd.DataFrame] = lambda df: df,
    salt: str | None = None,
    *,
    by: str | None = None,
    now: datetime | None = None,
    limit: int = REPORT_ROWS,
) -> bytes:
    """The report of ``user``'s bill findings matching ``filters`` (default: all), as .xlsx.

    Parameters
    ----------
    mask, salt
        Screen-share mode, as for ``export_csv``: ``mask`` (``core.ui.masker()``) turns names
        into pseudonyms, ``salt`` (None when not sharing) bill ids, the ids inside details and
        the names in notes; with a salt there are no links.
    by : str, optional
        Who it is for, on the summary tab (default: the user's name, login and role).
    now : datetime, optional
        When it was made (default: now, UTC).
    limit : int
        The most findings listed in the tabs (most severe and oldest first); the summary
        counts every match and says when the tabs hold fewer.
    """
    filters = filters or Filters()
    df, total = list_bill_issues(db, user, filters, 1, limit)
    counts = count_by_check(db, user, filters)
    shown = mask_ids(db, mask(df), salt)
    shown["finding"] = [describe(d) for d in shown["details"]]
    if salt is not None:
        notes = shown["status_note"].dropna().unique()
        terms = masking.known_terms(db, notes) if len(notes) else {}
        shown["status_note"] = [
            None if pd.isna(n) else masking.mask_text(n, terms, salt) for n in shown["status_note"]
        ]
    links, no_links = bill_links(df["bill_id"], masked=salt is not None)
    shown["link"] = links if links is not None else None
    tabs = list(REGISTRY) + sorted(set(counts["detector"]) - set(REGISTRY))
    facts = [
        ("Generated", f"{(now or datetime.now(UTC)):%Y-%m-%d %H:%M} UTC"),
        ("For", by or _who(user)),
        ("Latest bill run", _latest_run(db)),
        ("Filters", _filters_text(filters, salt)),
        ("Findings", _found_text(total, len(df), limit)),
    ]
    if salt is not None:
        facts.append(("Screen-share mode", "on: names and ids are pseudonyms; no links"))
    elif no_links:
        facts.append(("Links", no_links))
    columns, detectors = _cells(shown), shown["detector"].to_numpy()
    out = io.BytesIO()
    # constant_memory: each row goes to a temporary file once written, so the cells are never
    # all held in memory; every text cell goes through write_string, never write().
    book = xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    book.set_properties({"title": "Utility bill checks"})
    writer = _Writer(book)
    names = _sheet_names(tabs)
    writer.summary(facts, tabs, names, counts)
    for check in tabs:
        writer.tab(names[check], columns, np.flatnonzero(detectors == check).tolist())
    book.close()
    return out.getvalue()


def _who(user: User) -> str:
    accounts = (
        "every account"
        if user.accounts is None
        else f"{len(user.accounts)} account{'s' * (len(user.accounts) != 1)}"
    )
    return f"{user.name} ({user.username}), {user.role}, {accounts}"


def _latest_run(db: Database) -> str:
    run = latest_run(db, "bills")
    if run is None:
        return "none yet (python -m jobs run bills)"
    finished = run["finished_at"]
    when = "" if pd.isna(finished) else f", finished {pd.Timestamp(finished):%Y-%m-%d %H:%M} UTC"
    return f"run date {run['params'].get('date', '?')} ({run['status']}{when})"


def _filters_text(f: Filters, salt: str | None) -> str:
    """The filters in words; account and building ids as pseudonyms in screen-share mode."""

    def shown(kind: str | None, value: object) -> str:
        return masking.pseudonym(kind, value, salt) if kind and salt is not None else str(value)

    parts = [
        f"{label}: {', '.join(shown(kind, v) for v in values)}"
        for label, values, kind in (
            ("checks", f.checks, None),
            ("severities", f.severities, None),
            ("statuses", f.statuses, None),
            ("accounts", f.accounts, "Account"),
            ("buildings", f.buildings, "Building"),
        )
        if values
    ]
    if f.start or f.end:
        parts.append(f"billing period from {f.start or 'any day'} to {f.end or 'any day'}")
    return "; ".join(parts) or "none (every finding)"


def _found_text(total: int, listed: int, limit: int) -> str:
    if total <= listed:
        return f"{total:,}"
    return (
        f"{total:,}; the tabs list the first {limit:,} (most severe and oldest first): narrow "
        "the filters, or export CSV, for the rest"
    )


def _sheet_names(checks: list[str]) -> dict[str, str]:
    """A valid, unique worksheet name per check: the check's own name whenever Excel allows."""
    names: dict[str, str] = {}
    taken = {SUMMARY.lower()}
    for check in checks:
        base = str(check).translate(_BAD_SHEET_CHARS).strip("'")[:31] or "check"
        name, n = base, 1
        while name.lower() in taken or name.lower() == "history":
            n += 1
            name = f"{base[: 31 - len(str(n)) - 1]}~{n}"
        taken.add(name.lower())
        names[check] = name
    return names


class _Writer:
    """Writes cells by kind: text as strings (quote prefix on formula-like text), never formulas."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.bold = book.add_format({"bold": True})
        self.header = book.add_format({"bold": True, "bottom": 1, "text_wrap": True})
        self.quoted = book.add_format({"quote_prefix": True})
        self.link = book.add_format({"font_color": "blue", "underline": 1})
        self.quoted_link = book.add_format(
            {"font_color": "blue", "underline": 1, "quote_prefix": True}
        )
        self.formats = {c: book.add_format({"num_format": f}) for c, f in _NUMBER_FORMATS.items()}

    def text(self, ws: Any, row: int, col: int, value: object, fmt: Any = None) -> None:
        text = str(value)
        if not text:
            ws.write_blank(row, col, None)
        else:
            quoted = text.startswith(FORMULA_STARTS)
            ws.write_string(row, col, text, self.quoted if quoted else fmt)

    def summary(
        self, facts: list[tuple[str, str]], tabs: list[str], names: dict, counts: pd.DataFrame
    ) -> None:
        ws = self.book.add_worksheet(SUMMARY)
        ws.write_string(0, 0, "Utility bill checks", self.bold)
        for n, (label, value) in enumerate(facts, start=2):
            ws.write_string(n, 0, label, self.bold)
            self.text(ws, n, 1, value)
        top = len(facts) + 3
        heads = ["check", "what it flags", "findings", *SEVERITIES, *STATUSES]
        for col, head in enumerate(heads):
            ws.write_string(top, col, head, self.header)
        for row, check in enumerate([*tabs, None], start=top + 1):
            if check is None:
                ws.write_string(row, 0, "all checks", self.bold)
                picked = counts
            else:
                ws.write_url(row, 0, f"internal:'{names[check]}'!A1", self.link, string=check)
                self.text(ws, row, 1, CHECKS.get(check, "(no longer a check)"))
                picked = counts[counts["detector"] == check]
            numbers = [picked["n"].sum()]
            numbers += [picked.loc[picked["severity"] == s, "n"].sum() for s in SEVERITIES]
            numbers += [picked.loc[picked["status"] == s, "n"].sum() for s in STATUSES]
            for col, n in enumerate(numbers, start=2):
                ws.write_number(row, col, int(n))
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 60)
        ws.set_column(2, len(heads) - 1, 12)

    def tab(self, name: str, columns: dict[str, list], positions: list[int]) -> None:
        """A check's tab: the rows at ``positions`` of ``columns`` (:func:`_cells`), row by row."""
        ws = self.book.add_worksheet(name)
        for col, column in enumerate(TAB_COLUMNS):
            ws.write_string(0, col, column, self.header)
            ws.set_column(col, col, _WIDTHS.get(column, 14))
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(positions), 1), len(TAB_COLUMNS) - 1)
        plan = [
            (col, _kind(column), self.formats.get(column), columns[column])
            for col, column in enumerate(TAB_COLUMNS)
        ]
        links = columns["link"]
        for row, at in enumerate(positions, start=1):  # in row order: constant_memory mode
            for col, kind, fmt, values in plan:
                value = values[at]
                if value is None:
                    continue
                if kind == "number":
                    ws.write_number(row, col, value, fmt)
                elif kind == "bool":
                    ws.write_boolean(row, col, value)
                elif kind == "bill" and links[at] and row <= LINKS_PER_TAB:
                    quoted = value.startswith(FORMULA_STARTS)
                    fmt = self.quoted_link if quoted else self.link
                    ws.write_url(row, col, links[at], fmt, string=value)
                else:
                    quoted = value.startswith(FORMULA_STARTS)
                    ws.write_string(row, col, value, self.quoted if quoted else None)


def _kind(column: str) -> str:
    if column in _NUMBER_FORMATS:  # numbers, and dates as Excel day numbers
        return "number"
    return {"estimated": "bool", "bill_id": "bill"}.get(column, "text")


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value) or None


def _cells(df: pd.DataFrame) -> dict[str, list]:
    """Each column of ``df`` as a list of what a cell holds: float, bool, str or None (empty).

    Dates become Excel day numbers (shown through their date format); NaN, infinities, NaT and
    empty text become None; a link is kept only when Excel can hold it (``URL_MAX``).
    """
    out: dict[str, list] = {}
    for column in TAB_COLUMNS:
        values = df[column]
        kind = _kind(column)
        if column in ("period_start", "period_end", "status_at"):
            stamps = pd.to_datetime(values, utc=True).dt.tz_localize(None)
            values = (stamps - _EXCEL_EPOCH) / pd.Timedelta(days=1)
        if kind == "number":
            numbers = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
            out[column] = [float(v) if math.isfinite(v) else None for v in numbers]
        elif kind == "bool":
            out[column] = [None if pd.isna(v) else bool(v) for v in values]
        else:
            out[column] = [_text(v) for v in values]
    out["link"] = [u if isinstance(u, str) and len(u) <= URL_MAX else None for u in df["link"]]
    return out
