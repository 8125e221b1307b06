"""Issue status changes with an audit trail in ``issue_events`` (shared by every issue kind)."""

from __future__ import annotations

from datetime import datetime

from core.db.base import Database
from core.errors import DQHubError
from core.runs import utcnow

STATUSES = ("open", "acknowledged", "resolved", "ignored", "not_an_issue")


class TriageError(DQHubError):
    """A status change was refused; the message says why and names the issue."""


def set_status(
    db: Database,
    issue_id: str,
    status: str,
    by: str,
    note: str | None = None,
    expected_status_at: datetime | None = None,
) -> datetime:
    """Change an issue's status and log the change, in one transaction.

    Parameters
    ----------
    db : Database
        The warehouse.
    issue_id : str
        The issue to change.
    status : str
        One of ``STATUSES``.
    by : str
        Who makes the change (a user name; ``system`` is reserved for jobs).
    note : str, optional
        Why; stored on the issue and in the event.
    expected_status_at : datetime, optional
        The ``status_at`` the caller loaded. If the issue changed since, the change is refused
        instead of silently overwriting someone else's edit.

    Returns
    -------
    datetime
        The new ``status_at``.
    """
    if status not in STATUSES:
        raise TriageError(
            f"Unknown status {status!r} for issue {issue_id}; expected {', '.join(STATUSES)}"
        )
    if not by or by == "system":
        raise TriageError(
            f"Issue {issue_id}: a status change needs the name of the person making it"
        )
    now = utcnow()
    with db.transaction() as tx:
        rows = tx.fetch_all(
            "SELECT status, status_at FROM dq_issues WHERE issue_id = ?", (issue_id,)
        )
        if not rows:
            raise TriageError(f"Issue {issue_id} does not exist")
        old_status, old_at = rows[0]
        if expected_status_at is not None and old_at != expected_status_at:
            raise TriageError(
                f"Issue {issue_id} was changed at {old_at} after you loaded it; reload and retry"
            )
        tx.execute(
            "UPDATE dq_issues SET status = ?, status_by = ?, status_at = ?, status_note = ? "
            "WHERE issue_id = ?",
            (status, by, now, note, issue_id),
        )
        tx.execute(
            "INSERT INTO issue_events (issue_id, changed_at, changed_by, from_status, to_status, "
            "note) VALUES (?, ?, ?, ?, ?, ?)",
            (issue_id, now, by, old_status, status, note),
        )
    return now
