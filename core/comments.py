"""Comment threads: plain-text comments on an issue (and, later, an incident), in ``dq_comments``.

A thread is ``(thread_kind, thread_id)``: ``issue`` + an issue id today. Incidents will add one
entry to ``THREADS`` (how to find the thread's account and whether the user may see it) and no
schema change. Comments are append-only: never edited or deleted, so a thread is part of the
audit trail (:mod:`core.audit`).

Every read and write is checked here, in core, against the signed-in user: a comment is added
or read only on a thread the user may see (its issue is in the user's accounts, and so is its
meter now, as :mod:`core.triage` checks); a thread outside them is reported exactly like a
missing one. The author is the signed-in user; the body is 1 to ``MAX_CHARS`` characters. SQL is
parameterised; writes go to the warehouse first when pages read a cache (``tx.lock`` starts the
remote transaction, so the scope check reads the warehouse itself). Who may comment:
``ACTIONS["comment"]`` in :mod:`core.pages`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta

import pandas as pd

from core.auth import User
from core.db.base import Database, Transaction
from core.errors import DQHubError
from core.runs import utcnow
from core.scoped import meter_in_scope

MAX_CHARS = 2000  # as a triage note (core.triage.MAX_CHARS): fits VARCHAR(65535) on Redshift
COLUMNS = ["comment_id", "author", "created_at", "body"]
_CHUNK = 500  # ids per IN list when counting comments


class CommentError(DQHubError):
    """A comment was refused; the message says why and names the issue."""


def _issue_account(tx: Transaction, user: User, issue_id: str) -> str | None:
    """The issue's account if the user may see the issue (and its meter now), else raise."""
    scope, params = user.scope("i.account_id")
    meter, meter_params = meter_in_scope(user, "i.meter_id")
    rows = tx.fetch_all(
        f"SELECT i.account_id FROM dq_issues i WHERE i.issue_id = ? AND {scope} AND {meter}",
        [issue_id, *params, *meter_params],
    )
    if not rows:  # outside the user's accounts reads exactly like missing: no leak
        raise CommentError(f"Issue {issue_id} does not exist")
    return rows[0][0]


# thread_kind -> (title in messages, the thread's account after the user's scope check).
# Incidents will add ("Incident", _incident_account) here.
THREADS: dict[str, tuple[str, Callable[[Transaction, User, str], str | None]]] = {
    "issue": ("Issue", _issue_account),
}


def _kind(thread_kind: str) -> tuple[str, Callable[[Transaction, User, str], str | None]]:
    if thread_kind not in THREADS:
        raise CommentError(f"Unknown thread kind {thread_kind!r}; expected {', '.join(THREADS)}")
    return THREADS[thread_kind]


def check_body(title: str, thread_id: str, body: object) -> str:
    """``body`` ready to store: stripped, 1 to ``MAX_CHARS`` characters; else ``CommentError``.

    NUL characters are dropped (PostgreSQL cannot store them). Messages name the thread
    (``Issue X: ...``), the length and the limit.
    """
    text = (body if isinstance(body, str) else "").replace("\x00", "").strip()
    if not text:
        raise CommentError(f"{title} {thread_id}: write a comment first (it is empty)")
    if len(text) > MAX_CHARS:
        raise CommentError(
            f"{title} {thread_id}: the comment is {len(text):,} characters long; the limit is "
            f"{MAX_CHARS:,}. Shorten it and post again."
        )
    return text


def add(db: Database, user: User, thread_id: str, body: str, thread_kind: str = "issue") -> str:
    """Add ``body`` to the thread as ``user``; return the new comment's id.

    ``created_at`` is now (UTC), or just after the thread's newest comment when that is later
    (another app process's clock), so a thread read by time is always in the order written.

    Raises
    ------
    CommentError
        If the role may not comment, the body is empty or longer than ``MAX_CHARS``, or the
        thread is unknown or outside the user's accounts (the same "does not exist").
    """
    title, account_of = _kind(thread_kind)
    if not user.can("comment"):
        raise CommentError(f"{title} {thread_id}: role {user.role!r} cannot comment")
    text = check_body(title, thread_id, body)  # before any transaction: nothing half-written
    comment_id = uuid.uuid4().hex
    with db.transaction() as tx:
        tx.lock("dq_comments")  # the newest-time read and the insert see the same thread
        account = account_of(tx, user, thread_id)
        last = tx.fetch_all(
            "SELECT MAX(created_at) FROM dq_comments WHERE thread_kind = ? AND thread_id = ?",
            (thread_kind, thread_id),
        )[0][0]
        now = utcnow()
        if last is not None and now <= last:
            now = last + timedelta(microseconds=1)
        tx.execute(
            "INSERT INTO dq_comments (comment_id, thread_kind, thread_id, account_id, author, "
            "created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (comment_id, thread_kind, thread_id, account, user.username, now, text),
        )
    return comment_id


def thread(db: Database, user: User, thread_id: str, thread_kind: str = "issue") -> pd.DataFrame:
    """The thread's comments, oldest first (newest last): ``COLUMNS``.

    Only comments written while the thread was in one of the user's accounts are listed (an
    issue a re-import filed under another account keeps its old account's comments from the new
    account's users).

    Raises
    ------
    CommentError
        If the thread is unknown or outside the user's accounts ("... does not exist").
    """
    _, account_of = _kind(thread_kind)
    scope, params = user.scope("account_id")
    with db.transaction() as tx:
        account_of(tx, user, thread_id)
        out = tx.fetch_df(
            f"SELECT {', '.join(COLUMNS)} FROM dq_comments WHERE thread_kind = ? "
            f"AND thread_id = ? AND {scope} ORDER BY created_at, comment_id",
            [thread_kind, thread_id, *params],
        )
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    out["created_at"] = pd.to_datetime(out["created_at"])
    return out.reset_index(drop=True)


def counts(
    db: Database, user: User, thread_ids: Iterable[str], thread_kind: str = "issue"
) -> dict[str, int]:
    """Comments per thread among ``thread_ids`` (threads without any are left out).

    Only comments written in the user's accounts are counted; callers pass threads they show.
    """
    _kind(thread_kind)
    ids = sorted({str(i) for i in thread_ids})
    scope, params = user.scope("account_id")
    out: dict[str, int] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        rows = db.fetch_all(
            "SELECT thread_id, COUNT(*) FROM dq_comments WHERE thread_kind = ? AND thread_id "
            f"IN ({', '.join('?' * len(chunk))}) AND {scope} GROUP BY thread_id",
            [thread_kind, *chunk, *params],
        )
        out.update({r[0]: int(r[1]) for r in rows})
    return out


def labels(issues: pd.DataFrame, n_comments: dict[str, int]) -> dict[str, str]:
    """Issue id -> how a thread picker shows it: "severity · detector · [meter ·] start · N".

    ``issues`` holds ``issue_id, severity, detector, start_ts`` and, when the picker spans
    meters, ``meter_id`` (already masked for display). ``n_comments`` from :func:`counts`.
    """
    out = {}
    for r in issues.to_dict("records"):
        parts = [r["severity"], r["detector"]]
        if "meter_id" in r:
            parts.append(r["meter_id"])
        start = pd.Timestamp(r["start_ts"])
        parts.append(f"{start:%Y-%m-%d %H:%M} UTC" if pd.notna(start) else "no start")
        n = n_comments.get(r["issue_id"], 0)
        parts.append(f"{n} comment{'' if n == 1 else 's'}")
        out[r["issue_id"]] = " · ".join(str(p) for p in parts)
    return out
