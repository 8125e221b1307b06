"""Server-side sign-in sessions: every rerun checks one, so a session can be ended from anywhere.

A browser holds a signed token (JWT, HS256 with ``DQ_COOKIE_KEY``) carrying a random session
id; the warehouse's ``auth_sessions`` table holds only the SHA-256 of that id, with the user,
when the session started, when it was last used and when and why it ended. So:

- signing out ends the session on the server: a copied cookie is worth nothing afterwards;
- ``users passwd``/``remove``/``add`` (a role change), and "Sign out everywhere", end every
  session of the user;
- a session unused for ``DQ_SESSION_IDLE_MINUTES`` ends at its next use (open tabs included),
  and none outlives ``DQ_COOKIE_EXPIRY_DAYS``.

OIDC sign-ins get a row too, keyed by the identity token's subject and issue time, so the same
rules apply to them (Streamlit's own identity cookie is then cleared with ``st.logout``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import pandas as pd

from core import config
from core.db.base import Database
from core.runs import utcnow

COOKIE = "dqhub_session"
_TOUCH_SECONDS = 60  # last_seen_at is written at most once a minute per session


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`check`: ``ok``, or why the session cannot be used (shown to the user)."""

    ok: bool
    username: str | None = None
    reason: str | None = None


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start(db: Database, username: str, mode: str, sid: str | None = None) -> str:
    """Open a session for ``username``; return its id (random unless ``sid`` is given)."""
    sid = sid or secrets.token_urlsafe(32)
    now = utcnow()
    row = {
        "session_id": _key(sid), "username": username, "mode": mode, "created_at": now,
        "last_seen_at": now, "ended_at": None, "ended_reason": None,
    }  # fmt: skip
    db.insert_df("auth_sessions", pd.DataFrame([row]))
    return sid


def exists(db: Database, sid: str) -> bool:
    """Whether a session with id ``sid`` was ever started (ended or not)."""
    return bool(db.fetch_all("SELECT 1 FROM auth_sessions WHERE session_id = ?", (_key(sid),)))


def check(db: Database, sid: str, now: datetime | None = None) -> Verdict:
    """Whether session ``sid`` may be used now; marks it used (at most once a minute).

    An idle or expired session is ended here, so the reason is kept for the record.
    """
    now = now or utcnow()
    rows = db.fetch_all(
        "SELECT username, created_at, last_seen_at, ended_at, ended_reason FROM auth_sessions "
        "WHERE session_id = ?",
        (_key(sid),),
    )
    if not rows:
        return Verdict(False, reason="Your session is not known here any more. Sign in again.")
    username, created, seen, ended_at, why = rows[0]
    if ended_at is not None:
        return Verdict(False, username, f"Your session ended: {why}. Sign in again.")
    idle = timedelta(minutes=config.get("DQ_SESSION_IDLE_MINUTES"))
    lifetime = timedelta(days=config.get("DQ_COOKIE_EXPIRY_DAYS"))
    expired = None
    if now - seen > idle:
        expired = f"no activity for {config.get('DQ_SESSION_IDLE_MINUTES'):g} minutes"
    elif now - created > lifetime:
        expired = f"signed in longer than {config.get('DQ_COOKIE_EXPIRY_DAYS'):g} day(s)"
    if expired:
        end(db, sid, expired, now)
        return Verdict(False, username, f"Your session ended: {expired}. Sign in again.")
    if (now - seen).total_seconds() >= _TOUCH_SECONDS:
        db.execute(
            "UPDATE auth_sessions SET last_seen_at = ? WHERE session_id = ? AND ended_at IS NULL",
            (now, _key(sid)),
        )
    return Verdict(True, username)


def end(db: Database, sid: str, reason: str, now: datetime | None = None) -> None:
    """End one session (sign out)."""
    db.execute(
        "UPDATE auth_sessions SET ended_at = ?, ended_reason = ? "
        "WHERE session_id = ? AND ended_at IS NULL",
        (now or utcnow(), reason[:256], _key(sid)),
    )


def end_user(db: Database, username: str, reason: str) -> int:
    """End every open session of ``username``; return how many there were."""
    n = db.fetch_value(
        "SELECT count(*) FROM auth_sessions WHERE username = ? AND ended_at IS NULL", (username,)
    )
    db.execute(
        "UPDATE auth_sessions SET ended_at = ?, ended_reason = ? "
        "WHERE username = ? AND ended_at IS NULL",
        (utcnow(), reason[:256], username),
    )
    return int(n or 0)


def oidc_sid(claims: dict) -> str:
    """A stable session id for one OIDC sign-in: the identity token's issuer, subject and time."""
    return f"oidc|{claims.get('iss', '')}|{claims.get('sub', '')}|{claims.get('iat', '')}"


def token(sid: str, username: str, key: str, now: datetime | None = None) -> tuple[str, datetime]:
    """The signed cookie value for session ``sid`` and when it expires (naive UTC)."""
    now = now or utcnow()
    expires = now + timedelta(days=config.get("DQ_COOKIE_EXPIRY_DAYS"))
    claims = {"sid": sid, "sub": username, "iat": int(_epoch(now)), "exp": int(_epoch(expires))}
    return jwt.encode(claims, key, algorithm="HS256"), expires


def read_token(value: str | None, key: str) -> tuple[str, str] | None:
    """``(sid, username)`` of a cookie value signed with ``key``, or None (bad, expired)."""
    if not value:
        return None
    try:
        claims = jwt.decode(value, key, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return None
    sid, sub = claims.get("sid"), claims.get("sub")
    return (sid, sub) if isinstance(sid, str) and isinstance(sub, str) else None


def _epoch(naive_utc: datetime) -> float:
    return (naive_utc - datetime(1970, 1, 1)).total_seconds()
