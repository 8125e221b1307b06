"""PostgreSQL warehouse (psycopg 3): one short connection per transaction, COPY for bulk writes.

SQL in this codebase uses ``?`` placeholders (DuckDB's); :func:`to_pyformat` turns them into
psycopg's ``%s`` (and doubles literal ``%``) outside quoted strings and identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from core import config
from core.db.base import Database, Params, Transaction
from core.errors import WarehouseError

# Quoted strings and identifiers pass through untouched; everything else is scanned.
_TOKENS = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*"|\?|%)""")
_DATE_OID = 1082


def to_pyformat(sql: str) -> str:
    """``?`` -> ``%s`` and ``%`` -> ``%%`` outside quotes, for psycopg's parameter syntax."""

    def sub(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return token

    return _TOKENS.sub(sub, sql)


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and logs."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _python_rows(df: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """Rows of ``df`` as tuples of plain Python values, missing values as None."""
    columns = []
    for name in df.columns:
        col = df[name]
        values = col.tolist()  # numpy scalars -> Python scalars, datetime64 -> Timestamp
        missing = col.isna().to_numpy()
        if missing.any():
            values = [None if m else v for v, m in zip(values, missing, strict=True)]
        columns.append(values)
    return zip(*columns, strict=True)


class PostgresTransaction(Transaction):
    """One psycopg connection inside a transaction block."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement."""
        self.con.execute(to_pyformat(sql), list(params))

    def fetch_df(self, sql: str, params: Params = ()) -> pd.DataFrame:
        """Run one query into a DataFrame; DATE columns become datetime64 like DuckDB's."""
        with self.con.cursor() as cur:
            cur.execute(to_pyformat(sql), list(params))
            if cur.description is None:
                return pd.DataFrame()
            names = [d.name for d in cur.description]
            df = pd.DataFrame(cur.fetchall(), columns=names)
            for d in cur.description:
                if d.type_code == _DATE_OID:
                    df[d.name] = pd.to_datetime(df[d.name])
            return df

    def fetch_all(self, sql: str, params: Params = ()) -> list[tuple]:
        """Run one query into tuples."""
        with self.con.cursor() as cur:
            cur.execute(to_pyformat(sql), list(params))
            return cur.fetchall() if cur.description is not None else []

    def insert_df(self, table: str, df: pd.DataFrame) -> int:
        """Bulk insert with ``COPY ... FROM STDIN`` (one round trip per buffer, not per row)."""
        if df.empty:
            return 0
        cols = ", ".join(f'"{c}"' for c in df.columns)
        with self.con.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in _python_rows(df):
                copy.write_row(row)
        return len(df)


class PostgresDatabase(Database):
    """A PostgreSQL database addressed as ``postgresql://user:pass@host:5432/db``."""

    DIALECT = "postgres"
    SUPPORTS_MERGE = True

    def connect(self) -> Any:
        """Open a connection (UTC session) or raise WarehouseError naming the redacted URL."""
        import psycopg  # only when a PostgreSQL URL is configured

        try:
            con = psycopg.connect(
                self.url,
                connect_timeout=config.get("DQ_CONNECT_TIMEOUT_SECONDS"),
                options="-c TimeZone=UTC",
            )
        except psycopg.Error as exc:
            raise WarehouseError(
                f"Cannot connect to {redact(self.url)}: {type(exc).__name__}: {str(exc).strip()}"
            ) from exc
        return con

    @contextmanager
    def transaction(self) -> Iterator[PostgresTransaction]:
        """Open, begin, yield, commit (or roll back on error), close."""
        con = self.connect()
        try:
            with con.transaction():
                yield PostgresTransaction(con)
        finally:
            con.close()

    def table_exists(self, table: str) -> bool:
        """Whether ``table`` exists in the connection's current schema."""
        return bool(
            self.fetch_value(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_name = ? AND table_schema = current_schema()",
                (table,),
            )
        )
