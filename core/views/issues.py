"""The meter-issue to-do list: filters, my queue, one scoped and paged query, filter choices.

Every query is limited to the user's accounts with ``User.scope`` and takes its values as ``?``
parameters; the SQL text holds only column names. Sorting and paging happen in the warehouse,
so a page costs the same on 100 issues and on 1,000,000.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from core import csvsafe
from core.auth import User, people
from core.db.base import Database
from core.detectors import REGISTRY
from core.triage import STATUSES, Change
from core.views.issue_list import QUEUE_RANK, SEVERITIES, FilterError, Where, page_of, tidy

DEFAULT_STATUSES = ("open", "acknowledged")  # the work still to do
UNASSIGNED = ""  # in ``Filters.assignees`` and ``changes``: nobody
MAX_EXPORT_ROWS = 100_000  # CSV download cap: ~15 MB, seconds to build; narrow the filters past it

# Columns of ``list_issues`` (and of the CSV export), in display order.
COLUMNS = [
    "issue_id",
    "severity",
    "detector",
    "account_id",
    "account_name",
    "building_id",
    "building_name",
    "meter_id",
    "meter_kind",
    "source",
    "start_ts",
    "end_ts",
    "duration_h",
    "magnitude",
    "magnitude_unit",
    "status",
    "assignee",
    "status_note",
    "status_by",
    "status_at",
]
_SELECT = (
    "i.issue_id, i.severity, i.detector, i.account_id, i.building_id, i.meter_id, i.source, "
    "i.start_ts, i.end_ts, i.magnitude, i.status, i.assignee, i.status_note, i.status_by, "
    "i.status_at"
)


@dataclass(frozen=True)
class Filters:
    """What the Issues page shows. Empty tuples mean "all"; lists are accepted and kept as tuples.

    Parameters
    ----------
    detectors, severities, statuses, accounts, buildings, meter_kinds, sources : tuple of str
        Allowed values of each column (``accounts``/``buildings`` are ids).
    start, end : date, optional
        UTC days, both inclusive: an issue is shown when ``[start_ts, end_ts)`` overlaps them.
    min_hours : float, optional
        Shortest duration (``end_ts - start_ts``) shown, in hours.
    assignees : tuple of str
        User names the issues are assigned to; ``UNASSIGNED`` ("") for nobody.
    queue : str, optional
        A user name: only that user's queue (assigned to them, then unassigned), in that order.

    Raises
    ------
    FilterError
        For a backwards date range, a negative duration or an unknown status or severity.
    """

    detectors: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    buildings: tuple[str, ...] = ()
    meter_kinds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    min_hours: float | None = None
    assignees: tuple[str, ...] = ()
    queue: str | None = None

    def __post_init__(self) -> None:
        tidy(self, "date range")
        if self.min_hours is not None and self.min_hours < 0:
            raise FilterError(f"Minimum duration must be 0 hours or more, not {self.min_hours:g}")


def _where(user: User, f: Filters) -> tuple[str, list[Any]]:
    """The WHERE clause (alias ``i`` = dq_issues) and its parameters."""
    where = Where(user, "meter")
    where.one_of("i.detector IN ({marks})", f.detectors)
    where.one_of("i.severity IN ({marks})", f.severities)
    where.one_of("i.status IN ({marks})", f.statuses)
    where.one_of("i.account_id IN ({marks})", f.accounts)
    where.one_of("i.building_id IN ({marks})", f.buildings)
    where.one_of("i.source IN ({marks})", f.sources)
    kinds = "i.meter_id IN (SELECT meter_id FROM meters WHERE kind IN ({marks}))"
    where.one_of(kinds, f.meter_kinds)
    named = [a for a in f.assignees if a != UNASSIGNED]
    if f.assignees:
        nobody = ["i.assignee IS NULL"] if UNASSIGNED in f.assignees else []
        some = [f"i.assignee IN ({', '.join('?' for _ in named)})"] if named else []
        where.clauses.append("(" + " OR ".join(nobody + some) + ")")
        where.params.extend(named)
    if f.queue is not None:
        where.clauses.append("(i.assignee = ? OR i.assignee IS NULL)")
        where.params.append(f.queue)
    where.overlaps(f.start, f.end)
    if f.min_hours:
        where.clauses.append("i.end_ts - i.start_ts >= ?")
        where.params.append(timedelta(hours=f.min_hours))
    return where.sql()


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Add duration and the magnitude's unit; return ``COLUMNS`` in order."""
    df["duration_h"] = (df["end_ts"] - df["start_ts"]).dt.total_seconds() / 3600
    df["magnitude_unit"] = [_unit(d, u) for d, u in zip(df["detector"], df["unit"], strict=True)]
    return df[COLUMNS].reset_index(drop=True)


def _unit(detector: str, meter_unit: object) -> str:
    """The detector's magnitude unit for this meter: "h", or e.g. "kWh excess"."""
    module = REGISTRY.get(detector)
    text = getattr(module, "MAGNITUDE_UNIT", "") if module else ""
    if text == "hours":
        return "h"
    return text.replace("kWh or gal", str(meter_unit)) if isinstance(meter_unit, str) else text


def list_issues(
    db: Database, user: User, filters: Filters, page: int = 1, page_size: int = 50
) -> tuple[pd.DataFrame, int]:
    """One page of the user's meter issues matching ``filters``, and how many match in all.

    Sorted by severity (high, medium, low), then oldest start first; a queue (``filters.queue``)
    puts the issues assigned to its user before the unassigned ones. Names come from ``meters``,
    only while the meter is still in the issue's account (none after it moved to another).

    Parameters
    ----------
    page : int
        1-based; a page past the end returns no rows (the total still counts every match).
    page_size : int
        Rows per page.

    Returns
    -------
    (DataFrame, int)
        ``COLUMNS``, and the number of matching issues.

    Raises
    ------
    FilterError
        If ``page`` or ``page_size`` is below 1.
    """
    joined = (
        "SELECT p.*, m.account_name, m.building_name, m.kind AS meter_kind, m.unit FROM {page} p "
        "LEFT JOIN meters m ON m.meter_id = p.meter_id AND m.account_id = p.account_id"
    )
    with db.transaction() as tx:  # one connection for both statements
        rank = QUEUE_RANK if filters.queue is not None else None
        df, total = page_of(tx, _where(user, filters), _SELECT, joined, page, page_size, None, rank)
    return _finish(df), total


def export_csv(
    db: Database,
    user: User,
    filters: Filters,
    mask: Callable[[pd.DataFrame], pd.DataFrame] = lambda df: df,
    limit: int = MAX_EXPORT_ROWS,
) -> bytes:
    """The filtered view as CSV (first ``limit`` rows, page order), passed through ``mask``."""
    df, _ = list_issues(db, user, filters, 1, limit)
    return csvsafe.to_csv_bytes(mask(df))


def table(view: pd.DataFrame) -> pd.DataFrame:
    """The editor's rows from a ``list_issues`` frame (already masked for display).

    Columns: select, severity, detector, account, building, meter, explorer (the link
    ``explorer?issue=<issue_id>`` the meter explorer reads), start, magnitude (text with its
    unit), status, assignee, note, duration_h, source, end. Indexed by ``issue_id`` (opaque).
    """
    magnitude = [
        f"{m:,.1f} {u}" if pd.notna(m) else ""
        for m, u in zip(view["magnitude"], view["magnitude_unit"], strict=True)
    ]
    out = pd.DataFrame(
        {
            "select": False,
            "severity": view["severity"],
            "detector": view["detector"],
            "account": view["account_name"],
            "building": view["building_name"],
            "meter": view["meter_id"],
            "explorer": "explorer?issue=" + view["issue_id"],
            "start": view["start_ts"],
            "magnitude": magnitude,
            "status": view["status"],
            "assignee": pd.Series(
                [_text(a) for a in view["assignee"]], dtype=object, index=view.index
            ),  # fmt: skip
            "note": view["status_note"].fillna(""),
            "duration_h": view["duration_h"],
            "source": view["source"],
            "end": view["end_ts"],
        }
    )
    out.index = pd.Index(view["issue_id"], name="issue_id")
    return out


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def changes(
    loaded: pd.DataFrame,
    edited_rows: dict[Any, dict[str, Any]],
    bulk_status: str | None = None,
    bulk_note: str | None = None,
    bulk_assignee: str | None = None,
) -> list[Change]:
    """Triage changes from a data editor's ``edited_rows`` over the ``loaded`` page.

    ``edited_rows`` maps row positions in ``loaded`` to edited ``status``/``note``/``assignee``/
    ``select`` values. Every selected row gets ``bulk_status`` (and ``bulk_note`` when it is
    not empty) and ``bulk_assignee`` (``UNASSIGNED`` unassigns) when given. Rows that end where
    they started are left out, so re-sending the same edits changes nothing. Each change
    expects the ``status_at`` and assignee that were loaded: an issue someone else changed or
    reassigned since is refused by ``core.triage.apply`` instead of being overwritten. A row
    whose only change is its assignee leaves its status alone (``Change.status`` None).
    """
    out = []
    for pos, edit in sorted(edited_rows.items(), key=lambda kv: int(kv[0])):
        if not 0 <= int(pos) < len(loaded):
            continue
        row = loaded.iloc[int(pos)]
        # a list without assignees (Utility bills) never reassigns
        old_note, old_assignee = _text(row["status_note"]), _text(row.get("assignee"))
        status = edit.get("status") or row["status"]
        note = edit.get("note", old_note) or None
        assignee = _text(edit["assignee"]) if "assignee" in edit else old_assignee
        if edit.get("select"):
            if bulk_status:
                status, note = bulk_status, bulk_note or note
            if bulk_assignee is not None:
                assignee = _text(bulk_assignee)
        restatus = status != row["status"] or note != old_note
        reassign = assignee != old_assignee
        if not (restatus or reassign):
            continue
        at = row["status_at"].to_pydatetime() if pd.notna(row["status_at"]) else None
        out.append(
            Change(
                row["issue_id"],
                status if restatus else None,
                note,
                at,
                assignee=(assignee or UNASSIGNED) if reassign else None,
                expected_assignee=(old_assignee or UNASSIGNED) if reassign else None,
            )
        )
    return out


def queue_counts(db: Database, user: User) -> dict[str, int]:
    """Open work in the user's queue: ``mine`` and ``unassigned``.

    Open or acknowledged meter issues assigned to the user, and those assigned to nobody in
    their accounts; scoped like the list.
    """
    clause, params = _where(user, Filters(statuses=DEFAULT_STATUSES, queue=user.username))
    mine, unassigned = db.fetch_all(
        "SELECT sum(CASE WHEN i.assignee IS NULL THEN 0 ELSE 1 END), "
        f"sum(CASE WHEN i.assignee IS NULL THEN 1 ELSE 0 END) FROM dq_issues i WHERE {clause}",
        params,
    )[0]
    return {"mine": int(mine or 0), "unassigned": int(unassigned or 0)}


def assignees(db: Database, user: User, shown: pd.DataFrame | None = None) -> list[str]:
    """User names ``user`` may assign issues to, sorted.

    The people who hold issues in one of the user's accounts, plus the assignees of the
    ``shown`` rows. Whether one fits an issue's account is checked on save (``core.triage``).
    """
    names = set(people.visible_to(people.directory(db), user))
    if shown is not None and "assignee" in shown:
        names |= {a for a in shown["assignee"] if isinstance(a, str) and a}
    return sorted(names)


def filter_options(db: Database, user: User) -> dict[str, Any]:
    """Choices for the filter widgets, limited to the user's accounts.

    Returns
    -------
    dict
        ``detectors``, ``sources``, ``meter_kinds``, ``severities``, ``statuses`` (lists);
        ``accounts`` ``{id: name}`` and ``buildings`` ``{id: (name, account_id)}``, by name;
        ``issues``, how many meter issues the user can see.
    """
    scope, params = user.scope("account_id")
    with db.transaction() as tx:  # one connection, three cheap statements
        places = tx.fetch_all(
            "SELECT building_id, max(building_name), max(account_id), max(account_name) "
            f"FROM meters WHERE {scope} GROUP BY building_id",
            params,
        )
        kinds = tx.fetch_all(f"SELECT DISTINCT kind FROM meters WHERE {scope}", params)
        found = tx.fetch_all(
            "SELECT detector, source, count(*) "
            f"FROM dq_issues WHERE kind = 'meter' AND {scope} GROUP BY detector, source",
            params,
        )
    places.sort(key=lambda r: (str(r[3] or r[2]), str(r[1] or r[0])))  # by account, building
    detectors = {r[0] for r in found}
    return {
        "detectors": [d for d in REGISTRY if d in detectors] + sorted(detectors - set(REGISTRY)),
        "sources": sorted({r[1] for r in found if r[1]}),
        "meter_kinds": sorted(r[0] for r in kinds),
        "severities": list(SEVERITIES),
        "statuses": list(STATUSES),
        "accounts": {r[2]: r[3] or r[2] for r in places},
        "buildings": {r[0]: (r[1] or r[0], r[2]) for r in places},
        "issues": sum(r[2] for r in found),
    }
