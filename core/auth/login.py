"""Signing in, and knowing who is signed in, without Streamlit: the gate in core/ui calls these.

Each function takes what the browser sent (a password, identity-token claims, request headers,
a session id) and returns a ``User`` or raises ``AuthError`` with a message fit to show.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from core.auth import sessions, throttle
from core.auth.setup import AuthSetup
from core.auth.user import AuthError, User
from core.auth.users_file import to_user, verify
from core.db.base import Database

BAD_PASSWORD = "Username or password is incorrect."


def live(db: Database) -> Database:
    """The warehouse itself, not the app's local copy: sessions must be current everywhere."""
    return getattr(db, "remote", db)


def client_address(peer: str | None, headers: Mapping[str, str], setup: AuthSetup) -> str | None:
    """The browser's address: the peer, or what a trusted proxy says in X-Forwarded-For."""
    if not _trusted(peer, setup):
        return peer
    hops = [h.strip() for h in headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):  # the right-most address no trusted proxy added
        if not _trusted(hop, setup):
            return hop
    return peer


def _trusted(address: str | None, setup: AuthSetup) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in net for net in setup.proxies)


def sign_in(
    db: Database, setup: AuthSetup, username: str, password: str, client: str | None
) -> tuple[User, str]:
    """Check a password (``users`` mode) and open a session: ``(user, session id)``.

    Throttled per user name and per client before the password is looked at; an unknown user
    name costs the same bcrypt work and gets the same message as a wrong password.

    Raises
    ------
    AuthError
        Wrong user name or password, or too many failures (the message says until when).
    """
    db = live(db)
    username = username.strip()
    until = throttle.locked_until(db, username, client)
    if until is not None:
        raise AuthError(
            "Too many failed sign-ins for this user name or from this address. "
            f"Try again after {until:%H:%M} UTC."
        )
    if not verify(setup.users, username, password):
        throttle.record_failure(db, username, client)
        raise AuthError(BAD_PASSWORD)
    throttle.clear_user(db, username)
    return to_user(username, setup.users[username]), sessions.start(db, username, "users")


def resume(db: Database, setup: AuthSetup, sid: str) -> User:
    """The user of a ``users``-mode session that may still be used.

    Raises
    ------
    AuthError
        The session ended (signed out, idle, revoked) or its user no longer exists.
    """
    db = live(db)
    verdict = sessions.check(db, sid)
    if not verdict.ok:
        raise AuthError(verdict.reason or "Sign in again.")
    if verdict.username not in setup.users:
        sessions.end(db, sid, "the user was removed")
        raise AuthError("Your user no longer exists. Sign in again.")
    return to_user(verdict.username, setup.users[verdict.username])  # type: ignore[index]


def _claim_groups(value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(g.strip() for g in value.split(",") if g.strip())
    if isinstance(value, list | tuple):
        return frozenset(str(g) for g in value)
    return frozenset()


def oidc_user(db: Database, setup: AuthSetup, claims: Mapping[str, Any]) -> tuple[User, str]:
    """The user of a signed-in OIDC identity and its DQ Hub session id (opened when new).

    Raises
    ------
    AuthError
        No mapping rule matches, the identity lacks the user claim, or the session ended.
    """
    assert setup.mapping is not None
    identity = claims.get(setup.mapping.user_claim)
    if not identity:
        raise AuthError(
            f"The identity provider sent no {setup.mapping.user_claim!r} claim; set "
            "user_claim in the mapping file to a claim it sends."
        )
    groups = _claim_groups(claims.get(setup.mapping.groups_claim))
    user = setup.mapping.user(str(identity), groups, str(claims.get("name") or identity))
    db = live(db)
    sid = sessions.oidc_sid(dict(claims))
    if not sessions.exists(db, sid):
        sessions.start(db, user.username, "oidc", sid=sid)
    verdict = sessions.check(db, sid)
    if not verdict.ok:
        raise AuthError(verdict.reason or "Sign in again.")
    return user, sid


def proxy_user(
    setup: AuthSetup,
    peer: str | None,
    headers: Mapping[str, str],
    user_header: str,
    groups_header: str,
) -> User:
    """The user an authenticating proxy vouches for in its headers (``proxy`` mode).

    Raises
    ------
    AuthError
        The connection did not come from a trusted proxy, or carries no identity, or no
        mapping rule matches.
    """
    assert setup.mapping is not None
    if not _trusted(peer, setup):
        raise AuthError(
            "DQ Hub accepts sign-ins only through the company's sign-in proxy; open it "
            "through its usual address."
        )
    identity = headers.get(user_header, "").strip()
    if not identity:
        raise AuthError(f"The sign-in proxy sent no {user_header} header.")
    groups = _claim_groups(headers.get(groups_header, "")) if groups_header else frozenset()
    return setup.mapping.user(identity, groups)
