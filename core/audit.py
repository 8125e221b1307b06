"""The audit trail: every status change (``issue_events``) and comment (``dq_comments``), by time.

``python -m jobs export audit`` prints it (a data-science and admin command: every account);
:func:`trail` takes a user to limit it to that user's accounts, for a page that offers it later.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from core.auth import User
from core.db.base import Database
from core.scoped import meter_in_scope

# One row per event. event: status (a status change; from_status/to_status set, text = its
# note) or comment (text = the comment, comment_id set). thread_kind/thread_id: the issue (later
# also an incident) it belongs to; account_id: the account (the comment's when written).
COLUMNS = [
    "at",
    "by",
    "event",
    "thread_kind",
    "thread_id",
    "account_id",
    "from_status",
    "to_status",
    "text",
    "comment_id",
]


def trail(db: Database, day: date | None = None, user: User | None = None) -> pd.DataFrame:
    """Status changes and comments, oldest first (``COLUMNS``).

    ``day``: only events on that UTC day. ``user``: only that user's accounts (issue events
    also only while the issue's meter is in them, as the issue lists); None: every account.
    """
    scope_i, params_i = user.scope("i.account_id") if user else ("TRUE", [])
    meter, params_m = meter_in_scope(user, "i.meter_id") if user else ("TRUE", [])
    scope_c, params_c = user.scope("account_id") if user else ("TRUE", [])
    when_e = when_c = ""
    params_d: list[object] = []
    if day is not None:
        when_e = " AND e.changed_at >= ? AND e.changed_at < ?"
        when_c = " AND created_at >= ? AND created_at < ?"
        params_d = [day, day + timedelta(days=1)]
    with db.transaction() as tx:  # one connection for both reads
        events = tx.fetch_df(
            "SELECT e.changed_at, e.changed_by, e.issue_id, i.account_id, e.from_status, "
            "e.to_status, e.note FROM issue_events e JOIN dq_issues i ON i.issue_id = e.issue_id "
            f"WHERE {scope_i} AND {meter}{when_e}",
            [*params_i, *params_m, *params_d],
        )
        said = tx.fetch_df(
            "SELECT created_at, author, thread_kind, thread_id, account_id, body, comment_id "
            f"FROM dq_comments WHERE {scope_c}{when_c}",
            [*params_c, *params_d],
        )
    events = events.rename(
        columns={"changed_at": "at", "changed_by": "by", "issue_id": "thread_id", "note": "text"}
    ).assign(event="status", thread_kind="issue", comment_id=None)
    said = said.rename(columns={"created_at": "at", "author": "by", "body": "text"}).assign(
        event="comment", from_status=None, to_status=None
    )
    parts = [f[COLUMNS] for f in (events, said) if not f.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].copy()
    out["at"] = pd.to_datetime(out["at"])
    return out.sort_values(["at", "event", "thread_id"], kind="stable").reset_index(drop=True)
