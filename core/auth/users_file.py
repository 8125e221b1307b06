"""The users file of the ``users`` sign-in mode: bcrypt hashes, roles and granted accounts.

The file keeps streamlit-authenticator's credential format (``users: {name: {name, password,
role, accounts}}`` with bcrypt hashes from its ``Hasher``), so teams that started with it keep
their file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from core import config
from core.auth.user import ALL, ROLES, AuthError, User, check_username, grant


def users_path() -> Path:
    """The users file of ``DQ_USERS_FILE``."""
    return Path(config.get("DQ_USERS_FILE"))


def _hasher():  # noqa: ANN202 - imported on use: it pulls in Streamlit, which jobs do not need
    from streamlit_authenticator import Hasher

    return Hasher


def hash_password(password: str) -> str:
    """A bcrypt hash of ``password`` (streamlit-authenticator's ``Hasher``: its file format)."""
    return _hasher().hash(password)


@cache
def _decoy_hash() -> str:
    """A hash checked for unknown user names, so they cost the same bcrypt work as known ones."""
    return hash_password("decoy password that matches nothing")


def verify(users: dict[str, dict[str, Any]], username: str, password: str) -> bool:
    """Whether ``password`` is ``username``'s; the same bcrypt work whether the user exists."""
    entry = users.get(username)
    stored = entry["password"] if entry else _decoy_hash()
    matches = _hasher().check_pw(password, stored)
    return bool(entry) and matches


def read_users(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Users from the YAML file: ``{username: {name, password, role, accounts}}`` (may be empty).

    Raises
    ------
    AuthError
        If the file is not valid YAML or an entry lacks a field or has an unknown role.
    """
    path = path or users_path()
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise AuthError(f"{path}: not valid YAML ({exc})") from exc
    users = data.get("users") or {}
    for username, entry in users.items():
        missing = [k for k in ("password", "role", "accounts") if k not in (entry or {})]
        if missing:
            raise AuthError(f"{path}: user {username!r} lacks {', '.join(missing)}")
        if entry["role"] not in ROLES:
            raise AuthError(
                f"{path}: user {username!r} has role {entry['role']!r}; expected {', '.join(ROLES)}"
            )
    return users


def write_users(users: dict[str, dict[str, Any]], path: Path | None = None) -> Path:
    """Write ``users`` to the YAML file (created with owner-only permissions)."""
    path = path or users_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(yaml.safe_dump({"users": users}, sort_keys=True))
    return path


def to_user(username: str, entry: dict[str, Any]) -> User:
    """The ``User`` of a users-file entry."""
    return User(username, entry.get("name", username), entry["role"], grant(entry["accounts"]))


def add_user(username: str, password: str, role: str, accounts: list[str] | str) -> Path:
    """Add or replace a user; ``accounts`` is a list or ``"all"``.

    Replacing a user resets the password; the caller ends their sessions
    (``core.auth.sessions.end_user``).
    """
    check_username(username)
    if role not in ROLES:
        raise AuthError(f"Unknown role {role!r} for user {username!r}; expected {', '.join(ROLES)}")
    if not password:
        raise AuthError(f"User {username!r} needs a non-empty password")
    users = read_users()
    granted = ALL if accounts == ALL else sorted(accounts)
    users[username] = {
        "name": users.get(username, {}).get("name", username),
        "password": hash_password(password),
        "role": role,
        "accounts": granted,
    }
    return write_users(users)


def set_password(username: str, password: str) -> Path:
    """Replace ``username``'s password (end their sessions too)."""
    users = read_users()
    if username not in users:
        raise AuthError(f"No user {username!r} in {users_path()}")
    if not password:
        raise AuthError(f"User {username!r} needs a non-empty password")
    users[username]["password"] = hash_password(password)
    return write_users(users)


def remove_user(username: str) -> Path:
    """Remove a user from the users file."""
    users = read_users()
    if username not in users:
        raise AuthError(f"No user {username!r} in {users_path()}")
    del users[username]
    return write_users(users)
