"""Projects for building engineers: a scoped list and audited status changes.

Projects and their AFDD fault rows live in the projects database (``pdb``: the warehouse, or
``DQ_PROJECTS_DB_URL``; see :func:`core.overshoot.store.projects_db`); names, per-day
statistics (``overshoot_days``) and readings live in the warehouse (``db``). No query joins
the two (a project's evidence: :mod:`core.views.projects.evidence`). Every function takes the
signed-in ``User``: a project outside the user's granted accounts is reported exactly like
a missing one. SQL takes its values as ``?`` parameters and sticks to the subset DuckDB and
PostgreSQL share.

Status rules (``TRANSITIONS``):

- ``DRAFT`` (proposed by the overshoot job) -> ``IN_PROGRESS`` or ``WONT_DO``;
- ``IN_PROGRESS`` -> ``COMPLETED`` or ``WONT_DO``;
- reopening is allowed, with a note: ``COMPLETED`` -> ``IN_PROGRESS`` (the fix did not hold)
  and ``WONT_DO`` -> ``IN_PROGRESS`` (decided to act after all);
- nothing goes back to ``DRAFT``: a draft means "proposed by the job, untouched by a person",
  and the job never refreshes a project a person changed (:mod:`core.overshoot.sync`), so a
  person's draft would look fresh while its evidence froze;
- a void project (a system draft whose building did not overshoot in a later scan) is read
  only: the job revives it as a draft if its building overshoots again.

A ``WONT_DO`` or a reopening needs a note. Only ``PROJECT_ROLES`` may change a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from core.auth import User
from core.db.base import Database
from core.errors import DQHubError
from core.overshoot.sync import STATUSES
from core.runs import utcnow

__all__ = [
    "DEFAULT_STATUSES",
    "PROJECT_ROLES",
    "STATUSES",
    "TRANSITIONS",
    "Filters",
    "ProjectError",
    "filter_options",
    "history",
    "list_projects",
    "moved_away",
    "needs_note",
    "project",
    "set_status",
    "table",
]

PROJECT_ROLES = ("admin", "bse")  # who may change a project's status
DEFAULT_STATUSES = ("DRAFT", "IN_PROGRESS")  # the work still to do
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "DRAFT": ("IN_PROGRESS", "WONT_DO"),
    "IN_PROGRESS": ("COMPLETED", "WONT_DO"),
    "COMPLETED": ("IN_PROGRESS",),  # reopen: the fix did not hold
    "WONT_DO": ("IN_PROGRESS",),  # reopen: decided to act after all
}
STATUS_LABELS = {
    "DRAFT": "Draft",
    "IN_PROGRESS": "In progress",
    "COMPLETED": "Completed",
    "WONT_DO": "Won't do",
}
TYPE_LABELS = {"morning_overshoot": "Morning overshoot"}
MAX_NOTE_CHARS = 2000  # a paragraph; the column holds more, the page's text area stops here

# Columns of ``list_projects``, in display order.
COLUMNS = [
    "project_id",
    "type",
    "status",
    "account_id",
    "account_name",
    "building_id",
    "building_name",
    "month",
    "est_monthly_cost",
    "overshoot_days",
    "top_hits",
    "worst_day",
    "worst_excess_kw",
    "void",
    "title",
    "summary",
    "source_fault_id",
    "updated_at",
    "updated_by",
]
_SELECT = (
    "p.project_id, p.type, p.status, p.account_id, p.building_id, p.month, "
    "p.est_monthly_cost, f.overshoot_days, f.top_hits, f.worst_day, f.worst_excess_kw, "
    "p.void, p.title, p.summary, p.source_fault_id, p.updated_at, p.updated_by"
)
_ORDER = "p.est_monthly_cost DESC NULLS LAST, p.building_id, p.project_id"
_FROM = "projects p LEFT JOIN afdd_faults f ON f.fault_id = p.source_fault_id"


class ProjectError(DQHubError):
    """A refused filter or status change, or an unknown project; the message says why."""


@dataclass(frozen=True)
class Filters:
    """What the Projects page lists. Empty tuples mean "all"; lists are kept as tuples.

    Parameters
    ----------
    accounts, buildings, statuses, months : tuple of str
        Allowed account ids, building ids, statuses and evidence months (``YYYY-MM``).
    min_cost : float, optional
        Smallest estimated monthly cost shown, in $.
    include_void : bool
        Also list void projects (system drafts whose building no longer overshoots).

    Raises
    ------
    ProjectError
        For an unknown status or a negative minimum cost.
    """

    accounts: tuple[str, ...] = ()
    buildings: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    min_cost: float | None = None
    include_void: bool = False

    def __post_init__(self) -> None:
        for name in ("accounts", "buildings", "statuses", "months"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        unknown = sorted(set(self.statuses) - set(STATUSES))
        if unknown:
            raise ProjectError(
                f"Unknown statuses {', '.join(unknown)}; expected {', '.join(STATUSES)}"
            )
        if self.min_cost is not None and self.min_cost < 0:
            raise ProjectError(f"Minimum cost must be $0 or more, not {self.min_cost:g}")


def _one_of(clauses: list[str], params: list[Any], column: str, values: tuple) -> None:
    if values:
        clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
        params.extend(values)


def _names(db: Database, user: User) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """``{building_id: (name, account_id)}`` and ``{account_id: name}`` from the warehouse."""
    scope, params = user.scope("account_id")
    rows = db.fetch_all(
        "SELECT building_id, max(building_name), max(account_id), max(account_name) "
        f"FROM meters WHERE {scope} GROUP BY building_id",
        params,
    )
    buildings = {r[0]: (r[1] or r[0], r[2]) for r in rows}
    accounts = {r[2]: r[3] or r[2] for r in rows if r[2] is not None}
    return buildings, accounts


def moved_away(db: Database, user: User, building_ids: list[str]) -> set[str]:
    """Which of ``building_ids`` now have meters in an account outside the user's.

    A project keeps the account it was found under; when its building's meters move to another
    account (a re-import), the old account's users must not see its names or demand any more.
    Empty for users who see every account (one query otherwise, in batches of 500).
    """
    if user.accounts is None or not building_ids:
        return set()
    scope, params = user.scope("account_id")
    out: set[str] = set()
    ids = sorted(set(building_ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ", ".join("?" for _ in chunk)
        out |= {
            r[0]
            for r in db.fetch_all(
                f"SELECT DISTINCT building_id FROM meters WHERE building_id IN ({marks}) "
                f"AND NOT ({scope})",
                [*chunk, *params],
            )
        }
    return out


def list_projects(pdb: Database, db: Database, user: User, filters: Filters) -> pd.DataFrame:
    """The user's projects matching ``filters``, largest estimated monthly cost first.

    A project lists one building's evidence month: its fault's overshoot day count, top hits,
    worst day and worst excess kW (NaN when the fault row is gone). Projects are one per
    building and type, so the list is at most a few thousand rows: no paging. A project whose
    building now has meters outside the user's accounts is left out (:func:`moved_away`).

    Returns
    -------
    pd.DataFrame
        ``COLUMNS``; names from the warehouse's ``meters`` (the id when unknown).
    """
    scope, params = user.scope("p.account_id")
    clauses = [scope]
    _one_of(clauses, params, "p.account_id", filters.accounts)
    _one_of(clauses, params, "p.building_id", filters.buildings)
    _one_of(clauses, params, "p.status", filters.statuses)
    _one_of(clauses, params, "p.month", filters.months)
    if filters.min_cost:
        clauses.append("p.est_monthly_cost >= ?")
        params.append(float(filters.min_cost))
    if not filters.include_void:
        clauses.append("NOT p.void")
    df = pdb.fetch_df(
        f"SELECT {_SELECT} FROM {_FROM} WHERE {' AND '.join(clauses)} ORDER BY {_ORDER}", params
    )
    df = df[~df["building_id"].isin(moved_away(db, user, list(df["building_id"])))]
    return _finish(df, *_names(db, user))


def _finish(
    df: pd.DataFrame, buildings: dict[str, tuple[str, str]], accounts: dict[str, str]
) -> pd.DataFrame:
    df["building_name"] = [buildings.get(b, (b, None))[0] for b in df["building_id"]]
    df["account_name"] = [accounts.get(a, a) for a in df["account_id"]]
    df["worst_day"] = pd.to_datetime(df["worst_day"])
    df["updated_at"] = pd.to_datetime(df["updated_at"])
    df["void"] = df["void"].astype(bool)
    for column in ("est_monthly_cost", "worst_excess_kw"):
        df[column] = pd.to_numeric(df[column]).astype(float)
    for column in ("overshoot_days", "top_hits"):
        df[column] = pd.to_numeric(df[column]).astype("Int64")
    return df[COLUMNS].reset_index(drop=True)


def table(view: pd.DataFrame) -> pd.DataFrame:
    """The list's display rows from a (masked) ``list_projects`` frame, indexed by project id.

    Where first, then the money and the evidence counts, then who changed it last. The
    project type is shown only when the frame holds more than one; a void project's status
    reads e.g. "Draft (void)".
    """
    out = pd.DataFrame(
        {
            "building": view["building_name"],
            "account": view["account_name"],
            "project": [TYPE_LABELS.get(t, t) for t in view["type"]],
            "status": [
                STATUS_LABELS.get(s, s) + (" (void)" if v else "")
                for s, v in zip(view["status"], view["void"], strict=True)
            ],
            "cost": view["est_monthly_cost"],
            "month": view["month"],
            "overshoot_days": view["overshoot_days"],
            "top_hits": view["top_hits"],
            "worst_excess_kw": view["worst_excess_kw"],
            "worst_day": view["worst_day"],
            "updated_at": view["updated_at"],
            "updated_by": view["updated_by"],
        }
    )
    if view["type"].nunique() < 2:
        out = out.drop(columns="project")
    out.index = pd.Index(view["project_id"], name="project_id")
    return out


def filter_options(pdb: Database, db: Database, user: User) -> dict[str, Any]:
    """Choices for the filter widgets, from the projects in the user's accounts.

    Returns
    -------
    dict
        ``statuses`` (list); ``accounts`` ``{id: name}`` and ``buildings``
        ``{id: (name, account_id)}`` holding projects, by name; ``months`` (newest first);
        ``projects`` (how many the user can see, void included) and ``void`` (how many of
        them are void).
    """
    scope, params = user.scope("account_id")
    rows = pdb.fetch_all(
        "SELECT account_id, building_id, month, void, count(*) FROM projects "
        f"WHERE {scope} GROUP BY account_id, building_id, month, void",
        params,
    )
    names, account_names = _names(db, user)
    gone = moved_away(db, user, [r[1] for r in rows])
    rows = [r for r in rows if r[1] not in gone]
    accounts = {r[0]: account_names.get(r[0], r[0]) for r in rows if r[0] is not None}
    buildings = {r[1]: (names.get(r[1], (r[1], None))[0], r[0]) for r in rows}
    return {
        "statuses": list(STATUSES),
        "accounts": dict(sorted(accounts.items(), key=lambda kv: str(kv[1]))),
        "buildings": dict(
            sorted(buildings.items(), key=lambda kv: (str(accounts.get(kv[1][1])), str(kv[1][0])))
        ),
        "months": sorted({r[2] for r in rows if r[2]}, reverse=True),
        "projects": sum(r[4] for r in rows),
        "void": sum(r[4] for r in rows if r[3]),
    }


def project(pdb: Database, user: User, project_id: str) -> dict[str, Any]:
    """One project row (``projects`` columns) of the user's accounts.

    Raises
    ------
    ProjectError
        ``Project X does not exist`` if unknown or outside the user's accounts.
    """
    scope, params = user.scope("account_id")
    df = pdb.fetch_df(
        f"SELECT * FROM projects WHERE project_id = ? AND {scope}", [project_id, *params]
    )
    if df.empty:
        raise ProjectError(f"Project {project_id} does not exist")
    return df.iloc[0].to_dict()


def needs_note(from_status: str, to_status: str) -> bool:
    """Whether a move needs a note: giving up (``WONT_DO``) or reopening a closed project."""
    return to_status == "WONT_DO" or from_status in ("COMPLETED", "WONT_DO")


def set_status(
    pdb: Database,
    user: User,
    project_id: str,
    to_status: str,
    note: str | None = None,
    expected_status: str | None = None,
) -> datetime:
    """Change a project's status as ``user`` and log it in ``project_events``, in one transaction.

    Parameters
    ----------
    expected_status : str, optional
        The status the page showed; a project whose status changed since is refused (a
        refresh of a draft's evidence by the job is not a status change and does not count).

    Returns
    -------
    datetime
        The new ``updated_at`` (naive UTC).

    Raises
    ------
    ProjectError
        If the role may not change projects, the project is unknown or outside the user's
        accounts (same message), void, changed since ``expected_status``, the move is not in
        ``TRANSITIONS``, or a needed note is missing or too long.
    """
    if user.role not in PROJECT_ROLES:
        raise ProjectError(f"Project {project_id}: role {user.role!r} cannot change projects")
    if to_status not in STATUSES:
        raise ProjectError(
            f"Unknown status {to_status!r} for project {project_id}; expected {', '.join(STATUSES)}"
        )
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE_CHARS:
        raise ProjectError(f"The note has {len(note)} characters; at most {MAX_NOTE_CHARS}")
    now = utcnow()
    with pdb.transaction() as tx:
        rows = tx.fetch_all(
            "SELECT status, account_id, void, updated_by, updated_at FROM projects "
            "WHERE project_id = ?",
            (project_id,),
        )
        # A project outside the user's accounts is reported exactly like a missing one.
        if not rows or not user.can_see(rows[0][1]):
            raise ProjectError(f"Project {project_id} does not exist")
        old, _, void, by, at = rows[0]
        if expected_status is not None and old != expected_status:
            raise ProjectError(
                f"Project {project_id} was changed to {old} by {by} at "
                f"{pd.Timestamp(at):%Y-%m-%d %H:%M} UTC after you loaded it; reload to see "
                "the change, then edit again"
            )
        if void:
            raise ProjectError(
                f"Project {project_id} is void (its building did not overshoot in a later "
                "scan) and cannot be changed; it comes back as a draft if it overshoots again"
            )
        if to_status not in TRANSITIONS[old]:
            raise ProjectError(
                f"Project {project_id}: cannot go from {old} to {to_status}; "
                f"allowed: {', '.join(TRANSITIONS[old])}"
            )
        if note is None and needs_note(old, to_status):
            raise ProjectError(
                f"Project {project_id}: say why in a note to go from {old} to {to_status}"
            )
        # Compare-and-set: a concurrent change since the read above updates no row here.
        tx.execute(
            "UPDATE projects SET status = ?, updated_at = ?, updated_by = ? "
            "WHERE project_id = ? AND status = ?",
            (to_status, now, user.username, project_id, old),
        )
        after = tx.fetch_all(
            "SELECT status, updated_by, updated_at FROM projects WHERE project_id = ?",
            (project_id,),
        )
        if [tuple(r[:2]) for r in after] != [(to_status, user.username)] or (
            pd.Timestamp(after[0][2]) != pd.Timestamp(now)
        ):
            raise ProjectError(
                f"Project {project_id} was changed by someone else just now; "
                "reload to see the change, then edit again"
            )
        tx.execute(
            "INSERT INTO project_events (project_id, changed_at, changed_by, from_status, "
            "to_status, note) VALUES (?, ?, ?, ?, ?, ?)",
            (project_id, now, user.username, old, to_status, note),
        )
    return now


def history(pdb: Database, user: User, project_id: str) -> pd.DataFrame:
    """The project's status changes, newest first.

    Columns ``changed_at, changed_by, from_status, to_status, note``.

    Raises
    ------
    ProjectError
        If the project is unknown or outside the user's accounts.
    """
    project(pdb, user, project_id)
    df = pdb.fetch_df(
        "SELECT changed_at, changed_by, from_status, to_status, note FROM project_events "
        "WHERE project_id = ? ORDER BY changed_at DESC",
        (project_id,),
    )
    df["changed_at"] = pd.to_datetime(df["changed_at"])
    return df
