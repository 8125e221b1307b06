"""Warehouse access: ``connect(url)`` maps a URL scheme to its Database implementation."""

from __future__ import annotations

from core import config
from core.db.base import Database, Transaction
from core.errors import ConfigError
from core.redaction import redact, setting_of

__all__ = ["Database", "Transaction", "connect", "open_warehouse"]


def _duckdb(url: str) -> Database:
    from core.db.duckdb import DuckDBDatabase

    return DuckDBDatabase(url)


def _postgres(url: str) -> Database:
    from core.db.postgres import PostgresDatabase

    return PostgresDatabase(url)


def _redshift(url: str) -> Database:
    from core.db.redshift import RedshiftDatabase

    return RedshiftDatabase(url)


# One line per backend; drivers are imported only when their scheme is used.
BACKENDS = {
    "duckdb": _duckdb,
    "postgresql": _postgres,
    "postgres": _postgres,
    "redshift": _redshift,
}


def connect(url: str | None = None) -> Database:
    """Return the Database for ``url`` (default: the ``DQ_WAREHOUSE`` setting).

    Raises
    ------
    ConfigError
        If the URL's scheme has no backend.
    """
    url = url or config.get("DQ_WAREHOUSE")
    scheme = url.split("://", 1)[0] if "://" in url else ""
    factory = BACKENDS.get(scheme)
    if factory is None:
        raise ConfigError(
            f"Unknown database scheme {scheme!r} in {setting_of(url) or repr(redact(url, [url]))}; "
            f"expected {', '.join(BACKENDS)}"
        )
    return factory(url)


def open_warehouse(url: str | None = None) -> Database:
    """Connect and apply pending migrations: what every entry point does on start."""
    from core.db import migrations

    db = connect(url)
    migrations.apply(db)
    return db
