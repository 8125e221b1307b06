"""Failed sign-ins are counted per user name and per client; too many lock both for a while.

Kept in the warehouse (``auth_failures``), so every app process behind a load balancer shares
the count. A locked user name or client is refused before the password is checked, with the
same message whether the user exists or not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from core import config
from core.db.base import Database
from core.runs import utcnow


def _window() -> timedelta:
    return timedelta(minutes=config.get("DQ_LOGIN_LOCKOUT_MINUTES"))


def _subjects(username: str, client: str | None) -> list[tuple[str, str, int]]:
    out = [("user", username.strip().lower()[:256], config.get("DQ_LOGIN_MAX_FAILURES"))]
    if client:
        out.append(("client", client[:256], config.get("DQ_LOGIN_MAX_FAILURES_PER_CLIENT")))
    return out


def locked_until(
    db: Database, username: str, client: str | None, now: datetime | None = None
) -> datetime | None:
    """When sign-ins for ``username`` or from ``client`` open again, or None when they may try.

    A subject with at least its limit of failures within ``DQ_LOGIN_LOCKOUT_MINUTES`` is
    locked until that long after its latest failure.
    """
    now = now or utcnow()
    since = now - _window()
    until = None
    for kind, subject, limit in _subjects(username, client):
        n, last = db.fetch_all(
            "SELECT count(*), max(failed_at) FROM auth_failures "
            "WHERE subject_kind = ? AND subject = ? AND failed_at > ?",
            (kind, subject, since),
        )[0]
        if n >= limit:
            candidate = pd.Timestamp(last).to_pydatetime() + _window()
            until = max(until, candidate) if until else candidate
    return until


def record_failure(
    db: Database, username: str, client: str | None, now: datetime | None = None
) -> None:
    """Count one failed sign-in against the user name and the client; forget old ones."""
    now = now or utcnow()
    rows = pd.DataFrame(
        [(kind, subject, now) for kind, subject, _ in _subjects(username, client)],
        columns=["subject_kind", "subject", "failed_at"],
    )
    with db.transaction() as tx:
        tx.execute("DELETE FROM auth_failures WHERE failed_at < ?", (now - _window(),))
        tx.insert_df("auth_failures", rows)


def clear_user(db: Database, username: str) -> None:
    """Forget a user name's failures after a good sign-in (the client's count stays)."""
    db.execute(
        "DELETE FROM auth_failures WHERE subject_kind = 'user' AND subject = ?",
        (username.strip().lower()[:256],),
    )
