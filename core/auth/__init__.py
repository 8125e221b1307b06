"""Who may sign in, how, and what they may see: users, roles, sessions, demo mode, SSO mapping.

Modules: ``user`` (User, roles, pages), ``users_file`` (the ``users`` mode's file), ``demo``
(demo mode), ``setup`` (``DQ_AUTH_MODE`` checked at start), ``login`` (signing in and resuming),
``sessions`` (server-side sessions), ``throttle`` (failed sign-ins), ``mapping`` (SSO groups ->
roles). The Streamlit side is ``core.ui.gate``.
"""

from core.auth.demo import DEMO_PASSWORD, DEMO_STAFF_ACCOUNTS, demo_mode, end_demo, mark_demo
from core.auth.setup import MIN_COOKIE_KEY, MODES, AuthSetup, setup
from core.auth.user import (
    ALL,
    PAGE_ROLES,
    RESERVED_USERNAMES,
    ROLES,
    TRIAGE_ROLES,
    AuthError,
    User,
    check_username,
)
from core.auth.users_file import (
    add_user,
    hash_password,
    read_users,
    remove_user,
    set_password,
    users_path,
    write_users,
)

__all__ = [
    "ALL",
    "DEMO_PASSWORD",
    "DEMO_STAFF_ACCOUNTS",
    "MIN_COOKIE_KEY",
    "MODES",
    "PAGE_ROLES",
    "RESERVED_USERNAMES",
    "ROLES",
    "TRIAGE_ROLES",
    "AuthError",
    "AuthSetup",
    "User",
    "add_user",
    "check_username",
    "demo_mode",
    "end_demo",
    "hash_password",
    "mark_demo",
    "read_users",
    "remove_user",
    "set_password",
    "setup",
    "users_path",
    "write_users",
]
