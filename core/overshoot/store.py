"""Where AFDD faults and projects live: the warehouse, or the ``DQ_PROJECTS_DB_URL`` database.

Production keeps ``afdd_faults``, ``projects`` and ``project_events`` in a PostgreSQL database
of their own; the embedded default keeps them in the warehouse (migration 0003). Per-day
statistics (``overshoot_days``) and the run records always stay in the warehouse.
"""

from __future__ import annotations

from core import config
from core.db import Database, connect
from core.db.migrations import PROJECTS_DIR, apply
from core.db.postgres import redact
from core.errors import ConfigError

MIGRATIONS_TABLE = "dq_projects_migrations"
_SCHEMES = ("postgresql", "postgres")


def projects_db(warehouse: Database, url: str | None = None) -> Database:
    """The database holding the fault and project tables, migrated.

    Parameters
    ----------
    warehouse : Database
        Returned as is when ``url`` is empty.
    url : str, optional
        Default: the ``DQ_PROJECTS_DB_URL`` setting.

    Raises
    ------
    ConfigError
        If the URL is not a PostgreSQL URL.
    WarehouseError
        If the database cannot be reached.
    """
    url = config.get("DQ_PROJECTS_DB_URL") if url is None else url
    if not url:
        return warehouse
    if url.split("://", 1)[0] not in _SCHEMES:
        raise ConfigError(
            f"DQ_PROJECTS_DB_URL={redact(url)!r}: expected empty (the warehouse) or "
            "postgresql://user:pass@host:5432/db"
        )
    db = connect(url)
    apply(db, PROJECTS_DIR, MIGRATIONS_TABLE)
    return db
