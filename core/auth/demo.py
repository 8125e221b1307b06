"""Demo mode: demo logins on the synthetic fleet, and only there.

Demo mode is on only when all of these hold: sign-in mode ``users``, an embedded DuckDB
warehouse (decided by ``DQ_WAREHOUSE``'s scheme, never by a cache file), no users file, a
warehouse seeded by ``python -m jobs demo`` and never since given real data. The first real
import or ``users add`` ends it for good (``dq_meta`` row ``demo_ended``).
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

import pandas as pd

from core import config
from core.auth.user import ALL
from core.auth.users_file import hash_password, users_path
from core.db.base import Database, Transaction
from core.errors import DQHubError

DEMO_PASSWORD = "demo"  # documented in the README; demo users exist only in demo mode
DEMO_STAFF_ACCOUNTS = 2  # the staff demo user sees the first two demo accounts only
_SEED, _ENDED = "demo_seed", "demo_ended"
# Tables whose rows make a warehouse "not empty" for `jobs demo`.
DATA_TABLES = ("meters", "readings", "bills", "dq_issues")


class DemoRefusedError(DQHubError):
    """``jobs demo`` will not seed this warehouse; the message says why."""


def is_embedded(url: str) -> bool:
    """Whether ``url`` is an embedded DuckDB warehouse (the only place demo data may go)."""
    return url.startswith("duckdb:")


def is_seeded(db: Database | Transaction) -> bool:
    """Whether the warehouse holds the demo fleet and no real data was added since."""
    rows = db.fetch_all("SELECT meta_key FROM dq_meta WHERE meta_key IN (?, ?)", (_SEED, _ENDED))
    keys = {r[0] for r in rows}
    return _SEED in keys and _ENDED not in keys


def ended(db: Database) -> str | None:
    """Why and when demo mode ended on this warehouse, or None."""
    rows = db.fetch_all("SELECT meta_value FROM dq_meta WHERE meta_key = ?", (_ENDED,))
    return str(rows[0][0]) if rows else None


def demo_mode(db: Database, url: str | None = None) -> bool:
    """Whether the app offers demo logins now (see the module docstring for the rule)."""
    url = url or config.get("DQ_WAREHOUSE")
    if config.get("DQ_AUTH_MODE") != "users" or not is_embedded(url):
        return False
    if users_path().exists():
        return False
    return is_seeded(db)


def mark_demo(db: Database, seed: int) -> None:
    """Record that the warehouse holds the demo fleet of ``seed``."""
    db.replace_rows(
        "dq_meta",
        "meta_key = ?",
        (_SEED,),
        pd.DataFrame({"meta_key": [_SEED], "meta_value": [str(seed)]}),
    )


def end_demo(tx: Database | Transaction, reason: str) -> bool:
    """End demo mode for good on a demo warehouse (no-op elsewhere); True when it ended now."""
    if not is_seeded(tx):
        return False
    at = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
    row = pd.DataFrame({"meta_key": [_ENDED], "meta_value": [f"{at}: {reason}"[:1000]]})
    tx.insert_df("dq_meta", row)
    return True


def refuse_remote(url: str) -> None:
    """Refuse to seed demo data outside an embedded DuckDB warehouse.

    Raises
    ------
    DemoRefusedError
        For a PostgreSQL or Redshift warehouse (the message names only the scheme).
    """
    if not is_embedded(url):
        raise DemoRefusedError(
            f"demo data goes only into an embedded DuckDB warehouse; DQ_WAREHOUSE is "
            f"{url.split(':', 1)[0]}. Demo logins beside real data would let anyone in: point "
            "DQ_WAREHOUSE at a new duckdb:/// file to try the demo"
        )


def refuse_used(db: Database) -> None:
    """Refuse to seed demo data into a warehouse that holds data or held real data.

    Raises
    ------
    DemoRefusedError
        When demo mode ended here, or any of ``DATA_TABLES`` has rows.
    """
    if why := ended(db):
        raise DemoRefusedError(
            f"demo mode ended on this warehouse ({why}); it never holds demo data again. "
            "Use a new DQ_WAREHOUSE file for the demo"
        )
    for table in DATA_TABLES:
        n = db.fetch_value(f"SELECT count(*) FROM {table}")
        if n:
            raise DemoRefusedError(
                f"the warehouse already has {n:,} {table} rows; demo data goes only into an "
                "empty warehouse. Use a new DQ_WAREHOUSE file for the demo"
            )


@cache
def _demo_hash() -> str:
    return hash_password(DEMO_PASSWORD)  # bcrypt is slow on purpose: once per process


def demo_grants(db: Database) -> dict[str, dict[str, Any]]:
    """The four demo users without passwords: ``{name: {name, role, accounts}}``.

    Each is named after its role; staff sees the first two demo accounts.
    """
    accounts = [r[0] for r in db.fetch_all("SELECT DISTINCT account_id FROM meters ORDER BY 1")]
    grants = {"admin": ALL, "ds": ALL, "staff": accounts[:DEMO_STAFF_ACCOUNTS], "bse": ALL}
    return {
        role: {"name": f"Demo {role}", "role": role, "accounts": grant}
        for role, grant in grants.items()
    }


def demo_users(db: Database) -> dict[str, dict[str, Any]]:
    """The four demo users (password ``demo``): :func:`demo_grants` with the password hash."""
    return {name: {**entry, "password": _demo_hash()} for name, entry in demo_grants(db).items()}


@cache
def demo_cookie_key() -> str:
    """A random cookie key per app process when DQ_COOKIE_KEY is unset in demo mode.

    Never stored anywhere: demo logins end when the app restarts.
    """
    return secrets.token_urlsafe(48)
