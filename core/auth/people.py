"""Who can be assigned issues and made a default owner: the DQ Hub users the sign-in mode knows.

- ``users`` mode: the users file (plus the demo users on a demo warehouse). The file is the
  truth, so a user removed with ``jobs users remove`` or given other accounts counts at once.
- ``oidc`` and ``proxy`` modes: DQ Hub learns a person's role and accounts only when they sign
  in (their groups come with the sign-in), so every sign-in records them in ``dq_people``
  (:func:`note_sign_in`). The directory is everyone seen within ``DQ_PEOPLE_SEEN_DAYS``, plus
  every person a ``user:`` rule of the mapping file names (they may not have signed in yet);
  for a person in both, their recorded sign-in counts (what the rules gave them, groups and
  all).

Only people whose role may triage can hold issues, and only in accounts granted to them: that
is what "a DQ Hub user in scope" of an issue means (:func:`check`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd

from core import config
from core.auth import demo, mapping
from core.auth.user import ALL, AuthError, User, grant
from core.auth.users_file import read_users, to_user
from core.db.base import Database
from core.runs import utcnow

TABLE = "dq_people"
_REFRESH = timedelta(days=1)  # an unchanged person's seen_at is rewritten at most daily


def directory(db: Database, now: datetime | None = None) -> dict[str, User]:
    """Every DQ Hub user of the sign-in mode, by user name (see the module docstring)."""
    mode = config.get("DQ_AUTH_MODE")
    if mode == "users":
        entries = read_users()
        if demo.demo_mode(db):
            entries = {**demo.demo_grants(db), **entries}
        return {name: to_user(name, entry) for name, entry in entries.items()}
    rules = mapping.load(config.get("DQ_AUTH_MAPPING_FILE")).rules
    people = {r.user: User(r.user, r.user, r.role, r.accounts) for r in rules if r.user}
    since = (now or utcnow()) - timedelta(days=config.get("DQ_PEOPLE_SEEN_DAYS"))
    rows = db.fetch_all(
        f"SELECT username, name, role, accounts FROM {TABLE} WHERE seen_at >= ?", (since,)
    )
    for username, name, role, accounts in rows:
        for ruled in [n for n in people if n.lower() == username.lower()]:
            del people[ruled]  # a rule matches case-blind: the signed-in spelling counts
        people[username] = User(username, name or username, role, _accounts(accounts))
    return people


def _accounts(text: str) -> frozenset[str] | None:
    return grant(ALL if text == ALL else json.loads(text))


def _text(accounts: frozenset[str] | None) -> str:
    return ALL if accounts is None else json.dumps(sorted(accounts))


def note_sign_in(db: Database, user: User, now: datetime | None = None) -> bool:
    """Record (oidc, proxy) that ``user`` signed in with their role and accounts; True if written.

    Nothing is written when the stored row already says the same and is less than a day old.
    """
    now = now or utcnow()
    row = {"username": user.username, "name": user.name, "role": user.role,
           "accounts": _text(user.accounts), "seen_at": now}  # fmt: skip
    have = db.fetch_all(
        f"SELECT name, role, accounts, seen_at FROM {TABLE} WHERE username = ?", (user.username,)
    )
    if have and have[0][:3] == (user.name, user.role, row["accounts"]):
        if now - pd.Timestamp(have[0][3]).to_pydatetime() < _REFRESH:
            return False
    db.replace_rows(TABLE, "username = ?", (user.username,), pd.DataFrame([row]))
    return True


def holds_issues(person: User) -> bool:
    """Whether ``person``'s role may hold issues (it may change them)."""
    return person.can("triage")


def in_scope(people: dict[str, User], account_id: str) -> list[str]:
    """User names of the people who can hold issues of ``account_id``, sorted."""
    return sorted(n for n, p in people.items() if holds_issues(p) and p.can_see(account_id))


def visible_to(people: dict[str, User], user: User) -> list[str]:
    """User names ``user`` may pick from: people holding issues in one of ``user``'s accounts.

    A user granted every account sees everyone who holds issues; others see only the people
    who share an account with them (someone of another customer's team stays unnamed).
    """
    out = []
    for name, person in people.items():
        if not holds_issues(person):
            continue
        if user.accounts is None or person.accounts is None or person.accounts & user.accounts:
            out.append(name)
    return sorted(out)


def problem(people: dict[str, User], username: str, account_id: str | None) -> str | None:
    """Why ``username`` cannot hold issues of ``account_id`` (None: they can).

    Never names the person's other accounts.
    """
    person = people.get(username)
    if person is None:
        return f"{username!r} is not a DQ Hub user"
    if not holds_issues(person):
        return f"{username} ({person.role}) cannot change issues"
    if not person.can_see(account_id):
        return f"{username} is not granted this account"
    return None


def check(people: dict[str, User], username: str, account_id: str | None, what: str) -> None:
    """Refuse ``username`` as the holder of issues of ``account_id`` (see :func:`problem`).

    Raises
    ------
    AuthError
        ``"<what>: <problem>"``, e.g. "Issue 1a2b: 'zed' is not a DQ Hub user".
    """
    if why := problem(people, username, account_id):
        raise AuthError(f"{what}: {why}")
