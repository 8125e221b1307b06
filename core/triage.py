"""Issue status changes and assignments with an audit trail in ``issue_events`` (every kind).

Every change is checked against the signed-in user's role and granted accounts here, in core,
so no page (or script) can change an issue the user may not see, nor hand it to someone who
may not see it (:func:`core.auth.people.check`). A reassignment is logged like a status change:
one ``issue_events`` row with ``from_assignee``/``to_assignee`` (its status columns repeat the
current status when only the assignee changed). It sets ``assigned_by``/``assigned_at``, never
``status_by``/``status_at``: handing an issue to someone is not a verdict on it, so the DQ job
may still resolve it when the problem goes away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from core.auth import AuthError, User, people
from core.db.base import Database, Transaction
from core.errors import DQHubError
from core.runs import utcnow

STATUSES = ("open", "acknowledged", "resolved", "ignored", "not_an_issue", "muted")
CLOSED = ("resolved", "ignored", "not_an_issue")
# Allowed moves: open work can go anywhere; a closed issue can only be reopened. Findings
# become `muted` only through a mute of their meter+detector (core/dq/mutes.py); a person can
# still take one muted finding back into the work.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("acknowledged", *CLOSED),
    "acknowledged": ("open", *CLOSED),
    **dict.fromkeys(CLOSED, ("open",)),
    "muted": ("open", "acknowledged", *CLOSED),
}


# Longest text a person may store, in characters, per Change field. The warehouse columns take
# 256 (owner) and 65,535 (note, next step); Redshift counts those in bytes and UTF-8 needs up to
# 4 bytes a character, so text within these limits fits every engine in any script. A longer
# value is refused before anything is written (the rest of a batch still lands).
MAX_CHARS = {"note": 2000, "owner": 64, "next_step": 2000}
_FIELD_NAMES = {"note": "note", "owner": "owner", "next_step": "next step"}


class TriageError(DQHubError):
    """A status change was refused; the message says why and names the issue."""


@dataclass(frozen=True)
class Change:
    """One requested edit of an issue.

    Parameters
    ----------
    issue_id : str
        The issue.
    status : str or None
        New status (may equal the current one to change only the note or follow-up fields);
        None leaves status, note and follow-up fields as they are (a reassignment only).
    note : str, optional
        Why; stored on the issue and in the event.
    expected_status_at : datetime, optional
        The ``status_at`` the editor loaded; a later change by someone else refuses this one.
    owner, next_step : str, optional
        Follow-up fields (offline devices); None leaves them as they are.
    assignee : str, optional
        The DQ Hub user to assign the issue to; ``""`` unassigns it; None leaves it.
    expected_assignee : str, optional
        The assignee the editor loaded (``""``: unassigned); when someone else reassigned the
        issue since, this reassignment is refused (a status change alone is not). None: no
        check.
    """

    issue_id: str
    status: str | None
    note: str | None = None
    expected_status_at: datetime | None = None
    owner: str | None = None
    next_step: str | None = None
    assignee: str | None = None
    expected_assignee: str | None = None


@dataclass
class BulkResult:
    """Outcome of ``apply``: ids saved, and ``(issue_id, reason)`` for each refused change."""

    saved: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def check_lengths(change: Change) -> None:
    """Refuse a change whose note, owner or next step is longer than ``MAX_CHARS`` allows.

    Raises
    ------
    TriageError
        Naming the issue, the field, its length and the limit.
    """
    for name, limit in MAX_CHARS.items():
        value = getattr(change, name)
        if isinstance(value, str) and len(value) > limit:
            raise TriageError(
                f"Issue {change.issue_id}: the {_FIELD_NAMES[name]} is {len(value):,} characters "
                f"long; the limit is {limit:,}. Shorten it and save again."
            )


def _meter_visible(tx: Transaction, user: User, issue_id: str) -> bool:
    """Whether the issue's meter, while in ``meters``, is in the user's accounts.

    An issue keeps the account it was found under; after its meter moves to another account,
    the old account's users may no longer change it (the lists hide it the same way,
    :func:`core.scoped.meter_in_scope`).
    """
    if user.accounts is None:
        return True
    rows = tx.fetch_all(
        "SELECT m.account_id FROM dq_issues i JOIN meters m ON m.meter_id = i.meter_id "
        "WHERE i.issue_id = ?",
        (issue_id,),
    )
    return all(user.can_see(r[0]) for r in rows)


_COLUMNS = "status, status_at, account_id, owner, next_step, assignee"


def _check(tx: Transaction, user: User, change: Change) -> tuple:
    """The issue's ``_COLUMNS`` after checking the user may make ``change`` to it."""
    if change.status is not None and not user.can_triage:
        raise TriageError(f"Issue {change.issue_id}: role {user.role!r} cannot change issues")
    if change.assignee is not None and not user.can("assign"):
        raise TriageError(f"Issue {change.issue_id}: role {user.role!r} cannot assign issues")
    if change.status is not None and change.status not in STATUSES:
        raise TriageError(
            f"Unknown status {change.status!r} for issue {change.issue_id}; "
            f"expected {', '.join(STATUSES)}"
        )
    rows = tx.fetch_all(f"SELECT {_COLUMNS} FROM dq_issues WHERE issue_id = ?", (change.issue_id,))
    # An issue outside the user's accounts is reported exactly like a missing one: no leak.
    if not rows or not user.can_see(rows[0][2]) or not _meter_visible(tx, user, change.issue_id):
        raise TriageError(f"Issue {change.issue_id} does not exist")
    old, old_at, _, _, _, assignee = rows[0]
    if change.status is None:
        pass
    elif change.expected_status_at is not None and old_at != change.expected_status_at:
        raise TriageError(
            f"Issue {change.issue_id} was changed at {old_at:%Y-%m-%d %H:%M:%S} after you "
            "loaded it; reload to see the change, then edit again"
        )
    elif change.status != old and change.status not in TRANSITIONS[old]:
        raise TriageError(
            f"Issue {change.issue_id}: cannot go from {old} to {change.status}; "
            f"allowed: {', '.join(TRANSITIONS[old])}"
        )
    stale = change.expected_assignee is not None and (assignee or "") != change.expected_assignee
    if change.assignee is not None and stale:
        raise TriageError(
            f"Issue {change.issue_id} was reassigned to {assignee or 'nobody'} after you loaded "
            "it; reload to see the change, then assign again"
        )
    return rows[0]


Directory = Callable[[], dict[str, User]]


def _directory(db: Database) -> Directory:
    """The DQ Hub users (:func:`core.auth.people.directory`), read on first use only."""
    return cache(lambda: people.directory(db))


def _apply_one(db: Database, user: User, change: Change, directory: Directory) -> datetime:
    check_lengths(change)  # before any write: never a database error half-way through
    now = utcnow()
    known = directory() if change.assignee else {}  # read before the transaction holds the file
    with db.transaction() as tx:
        tx.lock("dq_issues")  # the stale check and the write see the same row
        old, _, account_id, owner, next_step, assignee = _check(tx, user, change)
        event = {"status": old, "note": None, "from": None, "to": None}
        if change.status is not None:
            owner = owner if change.owner is None else change.owner
            next_step = next_step if change.next_step is None else change.next_step
            tx.execute(
                "UPDATE dq_issues SET status = ?, status_by = ?, status_at = ?, status_note = ?, "
                "owner = ?, next_step = ? WHERE issue_id = ?",
                (change.status, user.username, now, change.note, owner, next_step,
                 change.issue_id),
            )  # fmt: skip
            event.update(status=change.status, note=change.note)
        if change.assignee is not None and change.assignee != (assignee or ""):
            if change.assignee:
                try:
                    people.check(known, change.assignee, account_id, f"Issue {change.issue_id}")
                except AuthError as exc:
                    raise TriageError(str(exc)) from exc
            tx.execute(
                "UPDATE dq_issues SET assignee = ?, assigned_by = ?, assigned_at = ? "
                "WHERE issue_id = ?",
                (change.assignee or None, user.username, now, change.issue_id),
            )
            event.update({"from": assignee or None, "to": change.assignee or None})
        elif change.status is None:
            return now  # assigned to whom it already is: nothing to write or log
        tx.execute(
            "INSERT INTO issue_events (issue_id, changed_at, changed_by, from_status, to_status, "
            "note, from_assignee, to_assignee) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (change.issue_id, now, user.username, old, event["status"], event["note"],
             event["from"], event["to"]),
        )  # fmt: skip
    return now


def set_status(
    db: Database,
    user: User,
    issue_id: str,
    status: str,
    note: str | None = None,
    expected_status_at: datetime | None = None,
) -> datetime:
    """Change one issue's status as ``user`` and log it, in one transaction.

    Returns
    -------
    datetime
        The new ``status_at``.

    Raises
    ------
    TriageError
        If the role may not triage, the issue is not visible to the user, the move is not
        allowed, someone else changed the issue after ``expected_status_at``, or the note is
        longer than ``MAX_CHARS["note"]``.
    """
    return _apply_one(db, user, Change(issue_id, status, note, expected_status_at), _directory(db))


def assign(
    db: Database, user: User, issue_id: str, assignee: str, expected: str | None = None
) -> None:
    """Assign one issue to ``assignee`` (``""``: unassign) as ``user`` and log it.

    ``expected`` is the assignee the caller saw (``""``: nobody); a reassignment by someone
    else since refuses this one.

    Raises
    ------
    TriageError
        If the role may not assign, the issue is not visible to the user, the assignee is not a
        DQ Hub user who may change issues of the issue's account, or ``expected`` is stale.
    """
    change = Change(issue_id, None, assignee=assignee, expected_assignee=expected)
    _apply_one(db, user, change, _directory(db))


def apply(db: Database, user: User, changes: list[Change]) -> BulkResult:
    """Apply several changes, each in its own transaction; one refusal does not stop the rest.

    Refusals include an assignee out of the issue's scope, a stale cached view
    (:class:`core.db.cache.StaleCacheError`), an unreachable warehouse and a note, owner or next
    step longer than ``MAX_CHARS``: each is reported against its issue, nothing half-written.
    """
    result = BulkResult()
    directory = _directory(db)  # read once, on the first reassignment
    for change in changes:
        try:
            _apply_one(db, user, change, directory)
        except DQHubError as exc:
            result.refused.append((change.issue_id, str(exc)))
        else:
            result.saved.append(change.issue_id)
    return result
