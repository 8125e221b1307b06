"""Mute one detector on one meter until a day, with a reason (a known broken meter).

While a mute is active its findings are stored with status ``muted``: kept (and left out of
every baseline, like other confirmed faults) but never in the to-do list. Muting also mutes
the pair's open issues at once; the DQ job mutes new findings of the pair on every scored day
up to ``until`` (inclusive) and proposes ``open`` again from the day after. Ending a mute early
reopens the pair's muted issues. Every status change is logged in ``issue_events``.
"""

from __future__ import annotations

import uuid
from datetime import date

import pandas as pd

from core.auth import User
from core.db.base import Database, Transaction
from core.detectors import REGISTRY
from core.errors import DQHubError
from core.runs import utcnow

SYSTEM = "system"
MAX_REASON = 2000  # characters: a sentence or two for whoever reads the to-do list next
COLUMNS = ["mute_id", "meter_id", "detector", "until_day", "reason", "created_by", "created_at"]


class MuteError(DQHubError):
    """A mute was refused; the message says why and names the meter or mute."""


def note(user: str, until: date, reason: str) -> str:
    """The status note of a muted finding (the job writes the same)."""
    return f"muted by {user} until {pd.Timestamp(until):%Y-%m-%d}: {reason}"


def _meter_account(tx: Transaction, user: User, meter_id: str) -> str:
    rows = tx.fetch_all("SELECT account_id FROM meters WHERE meter_id = ?", (meter_id,))
    if not rows or not user.can_see(rows[0][0]):  # outside the user's accounts: "missing"
        raise MuteError(f"Meter {meter_id} does not exist")
    return rows[0][0]


def _set_status(
    tx: Transaction, ids: list[str], old: str, new: str, by: str, note_text: str | None
) -> None:
    """Move ``ids`` from ``old`` to ``new`` as the system, logging ``by`` in issue_events."""
    now = utcnow()
    for issue_id in ids:
        tx.execute(
            "UPDATE dq_issues SET status = ?, status_by = ?, status_at = ?, status_note = ? "
            "WHERE issue_id = ? AND status = ?",
            (new, SYSTEM, now, note_text, issue_id, old),
        )
        tx.execute(
            "INSERT INTO issue_events (issue_id, changed_at, changed_by, from_status, to_status, "
            "note) VALUES (?, ?, ?, ?, ?, ?)",
            (issue_id, now, by, old, new, note_text),
        )


def mute(
    db: Database,
    user: User,
    meter_id: str,
    detector: str,
    until: date,
    reason: str,
    today: date | None = None,
) -> str:
    """Mute ``detector`` on ``meter_id`` until ``until`` (inclusive); return the mute id.

    A new mute of the same pair replaces an active one. The pair's open issues become
    ``muted`` now.

    Raises
    ------
    MuteError
        If the role may not triage, the meter is unknown or outside the user's accounts, the
        detector is unknown, the day has passed or the reason is empty or too long.
    """
    if not user.can_triage:
        raise MuteError(f"Meter {meter_id}: role {user.role!r} cannot mute detectors")
    if detector not in REGISTRY:
        raise MuteError(f"Unknown detector {detector!r}; expected one of {', '.join(REGISTRY)}")
    reason = (reason or "").strip()
    if not reason:
        raise MuteError(f"Meter {meter_id}: give a reason for muting {detector}")
    if len(reason) > MAX_REASON:
        raise MuteError(f"Meter {meter_id}: the reason is longer than {MAX_REASON} characters")
    today = today or utcnow().date()
    if until < today:
        raise MuteError(f"Meter {meter_id}: mute until {until} is in the past (today is {today})")
    mute_id = uuid.uuid4().hex[:16]
    now = utcnow()
    with db.transaction() as tx:
        tx.lock("dq_issues")
        account = _meter_account(tx, user, meter_id)
        tx.execute(
            "UPDATE dq_mutes SET ended_at = ?, ended_by = ? WHERE meter_id = ? AND detector = ? "
            "AND ended_at IS NULL",
            (now, user.username, meter_id, detector),
        )
        tx.execute(
            "INSERT INTO dq_mutes (mute_id, account_id, meter_id, detector, until_day, reason, "
            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (mute_id, account, meter_id, detector, until, reason, user.username, now),
        )
        open_ids = [
            r[0]
            for r in tx.fetch_all(
                "SELECT issue_id FROM dq_issues WHERE kind = 'meter' AND meter_id = ? "
                "AND detector = ? AND status = 'open'",
                (meter_id, detector),
            )
        ]
        text = note(user.username, until, reason)
        _set_status(tx, open_ids, "open", "muted", user.username, text)
    return mute_id


def end(db: Database, user: User, mute_id: str) -> int:
    """End a mute now and reopen the pair's muted issues; return how many were reopened.

    Raises
    ------
    MuteError
        If the role may not triage, or the mute is unknown, outside the user's accounts or
        already over.
    """
    if not user.can_triage:
        raise MuteError(f"Mute {mute_id}: role {user.role!r} cannot end mutes")
    with db.transaction() as tx:
        tx.lock("dq_issues")
        rows = tx.fetch_all(
            "SELECT account_id, meter_id, detector FROM dq_mutes WHERE mute_id = ? "
            "AND ended_at IS NULL",
            (mute_id,),
        )
        if not rows or not user.can_see(rows[0][0]):
            raise MuteError(f"Mute {mute_id} does not exist or has ended")
        _, meter_id, detector = rows[0]
        tx.execute(
            "UPDATE dq_mutes SET ended_at = ?, ended_by = ? WHERE mute_id = ?",
            (utcnow(), user.username, mute_id),
        )
        muted = [
            r[0]
            for r in tx.fetch_all(
                "SELECT issue_id FROM dq_issues WHERE kind = 'meter' AND meter_id = ? "
                "AND detector = ? AND status = 'muted' AND status_by = ?",
                (meter_id, detector, SYSTEM),
            )
        ]
        _set_status(tx, muted, "muted", "open", user.username, f"mute ended by {user.username}")
    return len(muted)


def active(
    db: Database, user: User, meter_id: str | None = None, day: date | None = None
) -> pd.DataFrame:
    """Mutes active on ``day`` (default today, UTC) in the user's accounts, newest first.

    Columns ``COLUMNS``; only ``meter_id``'s when given.
    """
    day = day or utcnow().date()
    where, params = user.scope("account_id")
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM dq_mutes WHERE ended_at IS NULL AND until_day >= ? "
        f"AND {where}"
    )
    params = [day, *params]
    if meter_id is not None:
        sql += " AND meter_id = ?"
        params.append(meter_id)
    out = db.fetch_df(sql + " ORDER BY created_at DESC", params)
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    out["until_day"] = pd.to_datetime(out["until_day"]).dt.date
    return out
