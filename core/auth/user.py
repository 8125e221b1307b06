"""Who a signed-in person is: role, granted accounts, and the pages and actions that allows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import DQHubError
from core.pages import ACTIONS, PAGES, ROLES, TRIAGERS

__all__ = [
    "ALL",
    "PAGE_ROLES",
    "ROLES",
    "TRIAGE_ROLES",
    "AuthError",
    "User",
    "check_username",
    "grant",
]

ALL = "all"
PAGE_ROLES: dict[str, tuple[str, ...]] = {p.key: p.roles for p in PAGES}  # from core.pages
TRIAGE_ROLES = TRIAGERS

# Written by the jobs into status_by and issue_events: a person of that name would pass for them.
RESERVED_USERNAMES = frozenset({"system"})
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")  # login names and e-mail addresses


class AuthError(DQHubError):
    """A users/mapping file problem or a refused sign-in; the message names the user or line."""


def check_username(username: str) -> str:
    """Return ``username`` if it may name a DQ Hub user.

    Raises
    ------
    AuthError
        For a reserved name (``system``) or one with characters outside letters, digits and
        ``. _ @ + -`` (at most 128, starting with a letter or digit).
    """
    if username.lower() in RESERVED_USERNAMES:
        raise AuthError(f"User name {username!r} is reserved for the jobs; choose another")
    if not _USERNAME.match(username):
        raise AuthError(
            f"User name {username!r} is not allowed: use letters, digits and . _ @ + - "
            "(at most 128 characters, starting with a letter or digit)"
        )
    return username


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
        """Whether this user's role may open ``page`` (a ``core.pages`` key)."""
        return self.role in PAGE_ROLES.get(page, ())

    def can(self, action: str) -> bool:
        """Whether this user's role may do ``action`` (a ``core.pages.ACTIONS`` key).

        Raises
        ------
        KeyError
            For an action nobody declared (a typo must not quietly deny or allow).
        """
        return self.role in ACTIONS[action]

    @property
    def can_triage(self) -> bool:
        """Whether this user may change issue statuses (``can("triage")``)."""
        return self.can("triage")

    def scope(self, column: str = "account_id") -> tuple[str, list[str]]:
        """A SQL predicate limiting ``column`` to the granted accounts, with its parameters."""
        if self.accounts is None:
            return "TRUE", []
        if not self.accounts:
            return "FALSE", []
        ids = sorted(self.accounts)
        return f"{column} IN ({', '.join('?' for _ in ids)})", ids


def grant(accounts: object) -> frozenset[str] | None:
    """The ``User.accounts`` value of a stored grant: ``"all"`` -> None, a list -> its ids."""
    if accounts == ALL:
        return None
    return frozenset(str(a) for a in accounts)  # type: ignore[union-attr]
