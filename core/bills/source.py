"""Where bills come from: the warehouse's own tables, or the platform's PostgreSQL database."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from core import config
from core.db.base import Database
from core.db.postgres import redact
from core.errors import ConfigError, SourceError
from core.redaction import redact as redact_all

# Canonical columns (DESIGN.md "Canonical data"); both sources return exactly these.
BILL_COLUMNS = [
    "bill_id", "account_id", "building_id", "meter_id", "commodity", "period_start",
    "period_end", "usage", "usage_unit", "cost", "demand_kw", "estimated",
]  # fmt: skip
METER_COLUMNS = [
    "meter_id", "account_id", "building_id", "kind", "unit", "interval_minutes", "timezone",
    "account_active", "building_archived",  # retired meters are not overdue for a bill
]  # fmt: skip
PLATFORM_SQL = Path(__file__).resolve().with_name("platform_bills.sql")
_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


def load_bills(db: Database, url: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every bill and every known meter, as the bill job's input.

    Parameters
    ----------
    db : Database
        The warehouse: the source when ``url`` is empty.
    url : str, optional
        Where bills live (default: setting ``DQ_PLATFORM_DB_URL``). Empty means the
        warehouse's ``bills`` and ``meters`` tables; ``postgresql://...`` the platform
        database, read through ``platform_bills.sql``.

    Returns
    -------
    bills : pd.DataFrame
        Raw bills, ``BILL_COLUMNS`` (not yet normalised; ``period_start``/``period_end`` as
        datetime64), sorted by meter, period start and id.
    meters : pd.DataFrame
        Known meters, ``METER_COLUMNS``.

    Raises
    ------
    ConfigError
        If the URL's scheme has no source.
    SourceError
        If the platform database cannot be reached or read.
    """
    url = config.get("DQ_PLATFORM_DB_URL") if url is None else url
    bills, meters = loader(url)(db, url)
    return _typed(bills[BILL_COLUMNS]), meters[METER_COLUMNS]


def loader(url: str) -> Callable[[Database, str], tuple[pd.DataFrame, pd.DataFrame]]:
    """The loader of ``url``'s scheme (``SOURCES``): ``loader(db, url) -> (bills, meters)``.

    Raises
    ------
    ConfigError
        If the scheme has no source (a bad ``DQ_PLATFORM_DB_URL``, not an outage).
    """
    scheme = url.split("://", 1)[0] if "://" in url else url
    found = SOURCES.get(scheme)
    if found is None:
        raise ConfigError(
            f"Unknown bill source scheme {scheme!r} in DQ_PLATFORM_DB_URL={redact(url)!r}; "
            "expected empty (the warehouse) or postgresql"
        )
    return found


def _warehouse(db: Database, _url: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    with db.transaction() as tx:  # one short read of both tables
        bills = tx.fetch_df(
            f"SELECT {', '.join(BILL_COLUMNS)} FROM bills ORDER BY meter_id, period_start, bill_id"
        )
        meters = tx.fetch_df(f"SELECT {', '.join(METER_COLUMNS)} FROM meters ORDER BY meter_id")
    return bills, meters


def platform_queries(path: Path = PLATFORM_SQL) -> dict[str, str]:
    """The named queries of ``platform_bills.sql``: ``{"bills": sql, "meters": sql}``."""
    text = path.read_text()
    marks = list(_NAME.finditer(text))
    queries = {}
    for mark, nxt in zip(marks, [*marks[1:], None], strict=True):
        body = text[mark.end() : nxt.start() if nxt else len(text)]
        lines = [line for line in body.splitlines() if not line.strip().startswith("--")]
        queries[mark.group(1)] = "\n".join(lines).strip().rstrip(";").strip()
    missing = {"bills", "meters"} - set(queries)
    if missing:
        raise ConfigError(f"{path.name} has no '-- name: {sorted(missing)[0]}' query")
    return queries


def _postgres(_db: Database, url: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    import psycopg  # only when the platform is configured: the embedded default needs no driver

    queries = platform_queries()
    timeout = config.get("DQ_CONNECT_TIMEOUT_SECONDS")
    try:
        with psycopg.connect(url, connect_timeout=timeout) as con:
            # One read-only snapshot: bills and meters agree even while the platform writes.
            con.read_only = True
            con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with con.cursor() as cur:
                frames = {name: _fetch(cur, sql) for name, sql in queries.items()}
    except psycopg.Error as exc:
        raise SourceError(
            f"Cannot read bills from the platform database {redact(url)} "
            f"(DQ_PLATFORM_DB_URL): {type(exc).__name__}: {redact_all(str(exc).strip(), [url])}"
        ) from exc
    return frames["bills"], frames["meters"]


def _fetch(cur: object, sql: str) -> pd.DataFrame:
    cur.execute(sql)  # type: ignore[attr-defined]
    columns = [d.name for d in cur.description]  # type: ignore[attr-defined]
    return pd.DataFrame(cur.fetchall(), columns=columns)  # type: ignore[attr-defined]


def _typed(bills: pd.DataFrame) -> pd.DataFrame:
    """Give both sources the same period dtype (psycopg returns ``datetime.date`` objects)."""
    out = bills.copy()
    for col in ("period_start", "period_end"):
        out[col] = pd.to_datetime(out[col])
    return out.reset_index(drop=True)


# URL scheme -> loader; one line per source, drivers imported only when their scheme is used.
SOURCES: dict[str, Callable[[Database, str], tuple[pd.DataFrame, pd.DataFrame]]] = {
    "": _warehouse,
    "postgresql": _postgres,
    "postgres": _postgres,
}
