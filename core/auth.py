"""Users, roles and account scoping: who may see which accounts and open which pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import pandas as pd
import yaml

from core import config
from core.db.base import Database
from core.errors import ConfigError, DQHubError

ROLES = ("admin", "ds", "staff", "bse")
ALL = "all"
MIN_COOKIE_KEY = 32  # characters; a shorter key makes forged login cookies practical

# Page key -> roles that may open it. Home.py registers exactly these pages.
PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "issues": ("admin", "ds", "staff"),
    "offline": ("admin", "ds", "staff"),
    "overview": ROLES,
    "explorer": ROLES,
    "bills": ("admin", "ds", "staff"),
    "sandbox": ROLES,
    "projects": ("admin", "bse"),
    "admin": ("admin",),
}
TRIAGE_ROLES = ("admin", "ds", "staff")  # bse users read DQ issues but do not change them

DEMO_PASSWORD = "demo"  # documented in the README; demo users exist only on the demo warehouse
DEMO_STAFF_ACCOUNTS = 2  # the staff demo user sees the first two demo accounts only


class AuthError(DQHubError):
    """A user file problem or a refused action; the message names the user."""


@dataclass(frozen=True)
class User:
    """A signed-in person.

    Parameters
    ----------
    username : str
        Login name, written to ``status_by`` and ``issue_events``.
    name : str
        Display name.
    role : str
        One of ``ROLES``.
    accounts : frozenset of str or None
        Granted account ids; None means every account.
    """

    username: str
    name: str
    role: str
    accounts: frozenset[str] | None

    def can_see(self, account_id: str | None) -> bool:
        """Whether this user may see rows of ``account_id``."""
        return self.accounts is None or account_id in self.accounts

    def can_open(self, page: str) -> bool:
        """Whether this user's role may open ``page`` (a ``PAGE_ROLES`` key)."""
        return self.role in PAGE_ROLES.get(page, ())

    @property
    def can_triage(self) -> bool:
        """Whether this user may change issue statuses."""
        return self.role in TRIAGE_ROLES

    def scope(self, column: str = "account_id") -> tuple[str, list[str]]:
        """A SQL predicate limiting ``column`` to the granted accounts, with its parameters."""
        if self.accounts is None:
            return "TRUE", []
        if not self.accounts:
            return "FALSE", []
        ids = sorted(self.accounts)
        return f"{column} IN ({', '.join('?' for _ in ids)})", ids


def hash_password(password: str) -> str:
    """A bcrypt hash of ``password``."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def _users_path() -> Path:
    return Path(config.get("DQ_USERS_FILE"))


def read_users(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Users from the YAML file: ``{username: {name, password, role, accounts}}`` (may be empty).

    Raises
    ------
    AuthError
        If the file is not valid YAML or an entry lacks a field or has an unknown role.
    """
    path = path or _users_path()
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
    path = path or _users_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(yaml.safe_dump({"users": users}, sort_keys=True))
    return path


def add_user(username: str, password: str, role: str, accounts: list[str] | str) -> Path:
    """Add or replace a user in the users file; ``accounts`` is a list or ``"all"``."""
    if role not in ROLES:
        raise AuthError(f"Unknown role {role!r} for user {username!r}; expected {', '.join(ROLES)}")
    if not username or not password:
        raise AuthError("A user needs a name and a non-empty password")
    users = read_users()
    users[username] = {
        "name": username,
        "password": hash_password(password),
        "role": role,
        "accounts": ALL if accounts == ALL else sorted(accounts),
    }
    return write_users(users)


def remove_user(username: str) -> Path:
    """Remove a user from the users file."""
    users = read_users()
    if username not in users:
        raise AuthError(f"No user {username!r} in {_users_path()}")
    del users[username]
    return write_users(users)


def is_demo(db: Database) -> bool:
    """Whether the warehouse holds the synthetic demo fleet (seeded by ``jobs demo``)."""
    return bool(db.fetch_value("SELECT count(*) FROM dq_meta WHERE meta_key = 'demo_seed'"))


def mark_demo(db: Database, seed: int) -> None:
    """Record that the warehouse holds the demo fleet of ``seed``."""
    db.replace_rows(
        "dq_meta",
        "meta_key = ?",
        ("demo_seed",),
        pd.DataFrame({"meta_key": ["demo_seed"], "meta_value": [str(seed)]}),
    )


def demo_users(db: Database) -> dict[str, dict[str, Any]]:
    """The four demo users (password ``demo``); staff sees the first two demo accounts."""
    accounts = [r[0] for r in db.fetch_all("SELECT DISTINCT account_id FROM meters ORDER BY 1")]
    hashed = hash_password(DEMO_PASSWORD)
    grants = {"admin": ALL, "ds": ALL, "staff": accounts[:DEMO_STAFF_ACCOUNTS], "bse": ALL}
    return {
        role: {"name": f"Demo {role}", "password": hashed, "role": role, "accounts": grant}
        for role, grant in grants.items()
    }


@dataclass(frozen=True)
class LoginConfig:
    """Everything the login gate needs: users and the cookie settings."""

    users: dict[str, dict[str, Any]]
    cookie_key: str
    cookie_expiry_days: float
    demo: bool

    def credentials(self) -> dict[str, Any]:
        """Users in streamlit-authenticator's credentials shape."""
        return {
            "usernames": {
                name: {"name": u.get("name", name), "password": u["password"], "roles": [u["role"]]}
                for name, u in self.users.items()
            }
        }

    def user(self, username: str) -> User:
        """The ``User`` for a signed-in ``username``."""
        entry = self.users[username]
        accounts = entry["accounts"]
        return User(
            username=username,
            name=entry.get("name", username),
            role=entry["role"],
            accounts=None if accounts == ALL else frozenset(accounts),
        )


def login_config(db: Database) -> LoginConfig:
    """Users and cookie key for the app, refusing an unsafe production setup.

    On the demo warehouse the demo users are added to any configured ones and a missing cookie
    key is replaced by a per-warehouse random one. Anywhere else the app needs configured users
    and a cookie key of at least ``MIN_COOKIE_KEY`` characters.

    Raises
    ------
    ConfigError
        Naming what is missing.
    """
    users = read_users()
    key = config.get("DQ_COOKIE_KEY")
    demo = is_demo(db)
    if demo:
        users = {**demo_users(db), **users}
        key = key or _demo_cookie_key(db)
    else:
        if not users:
            raise ConfigError(
                f"No users configured in {_users_path()} (DQ_USERS_FILE). Add one with "
                "`python -m jobs users add NAME --role admin --accounts all`."
            )
        if len(key) < MIN_COOKIE_KEY:
            raise ConfigError(
                f"DQ_COOKIE_KEY must be at least {MIN_COOKIE_KEY} characters outside the demo "
                "warehouse; set it in the environment or .streamlit/secrets.toml"
            )
    return LoginConfig(users, key, config.get("DQ_COOKIE_EXPIRY_DAYS"), demo)


def _demo_cookie_key(db: Database) -> str:
    """A random key stored in the demo warehouse, so demo logins survive app restarts."""
    key = db.fetch_value("SELECT meta_value FROM dq_meta WHERE meta_key = 'demo_cookie_key'")
    if key is None:
        import secrets

        key = secrets.token_urlsafe(48)
        row = pd.DataFrame({"meta_key": ["demo_cookie_key"], "meta_value": [key]})
        db.insert_df("dq_meta", row)
    return key
