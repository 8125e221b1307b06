"""The Database interface every warehouse backend implements; dialect gaps are class flags.

One rule for every engine: a SQL NULL comes back from ``fetch_all``, ``fetch_one`` and
``fetch_value`` as ``None`` (never pandas' ``NaT``, ``NaN`` or ``NA``), so ``MIN(ts)`` over no
rows is ``None`` on DuckDB, PostgreSQL, Redshift and the app's cache alike; ``fetch_df`` keeps
pandas' missing values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pyarrow as pa

Params = Sequence[Any]


def python_rows(df: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """Rows of ``df`` as tuples of plain Python values, missing values (NaN, NaT, NA) as None."""
    columns = []
    for name in df.columns:
        col = df[name]
        values = col.tolist()  # numpy scalars -> Python scalars, datetime64 -> Timestamp
        missing = col.isna().to_numpy()
        if missing.any():
            values = [None if m else v for v, m in zip(values, missing, strict=True)]
        columns.append(values)
    return zip(*columns, strict=True)


class Transaction(ABC):
    """Statements run on one connection inside one transaction (see ``Database.transaction``).

    Attributes
    ----------
    DIALECT : str
        Engine family of the connection (``Database.DIALECT``), for the few places, such as a
        migration, that must act differently per engine; empty when unknown.
    """

    DIALECT: str = ""

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement with ``?`` placeholders."""

    @abstractmethod
    def fetch_df(self, sql: str, params: Params = ()) -> pd.DataFrame:
        """Run one query and return its rows as a DataFrame."""

    @abstractmethod
    def insert_df(self, table: str, df: pd.DataFrame) -> int:
        """Insert every row of ``df`` (columns named like the table's) and return the count."""

    def fetch_all(self, sql: str, params: Params = ()) -> list[tuple]:
        """Run one query and return its rows as tuples of Python values (NULL as None)."""
        df = self.fetch_df(sql, params)
        return list(python_rows(df)) if len(df.columns) else []

    def fetch_one(self, sql: str, params: Params = ()) -> tuple | None:
        """The first row of the query, or None when it returns no row."""
        rows = self.fetch_all(sql, params)
        return rows[0] if rows else None

    def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row; None when there is no row or the value is NULL."""
        row = self.fetch_one(sql, params)
        return None if row is None else row[0]

    def fetch_arrow(
        self, sql: str, params: Params = (), batch_rows: int | None = None
    ) -> Iterator[pa.RecordBatch]:
        """Run one query and yield its rows as Arrow record batches.

        Each holds at most ``batch_rows`` rows (default ``DQ_CACHE_BATCH_ROWS``), and about one
        batch is held at a time.
        This default reads the whole result through pandas first; engines override it to stream.
        """
        from core.db import arrow

        df = self.fetch_df(sql, params)
        table = pa.Table.from_pandas(df, preserve_index=False)
        yield from arrow.rebatch(table.to_batches(), arrow.batch_rows(batch_rows))

    def lock(self, table: str) -> None:  # noqa: B027 - a no-op where writers are serialised
        """Hold off other writers of ``table`` until this transaction ends.

        Read-decide-write sequences (the job keeping a person's status, a triage stale check)
        call this first. DuckDB already serialises writers (one process holds the file), so the
        default does nothing; multi-writer engines lock the table.
        """

    def replace_rows(self, table: str, where: str, params: Params, df: pd.DataFrame) -> int:
        """Delete the rows matching ``where`` and insert ``df``: the portable upsert.

        Redshift has no ``ON CONFLICT``; delete+insert inside the caller's transaction gives the
        same result on every engine.
        """
        self.execute(f"DELETE FROM {table} WHERE {where}", params)
        return self.insert_df(table, df)


class Database(ABC):
    """A warehouse. Each call opens, uses and closes its own connection.

    Attributes
    ----------
    DIALECT : str
        Engine family, for the few places SQL text must differ.
    SUPPORTS_MERGE : bool
        Whether ``MERGE INTO`` is available.
    """

    DIALECT: str = ""
    SUPPORTS_MERGE: bool = False

    def __init__(self, url: str) -> None:
        self.url = url

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Open a connection, begin, yield, commit (or roll back on error), close."""

    def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement in its own transaction."""
        with self.transaction() as tx:
            tx.execute(sql, params)

    def fetch_df(self, sql: str, params: Params = ()) -> pd.DataFrame:
        """Run one query and return a DataFrame."""
        with self.transaction() as tx:
            return tx.fetch_df(sql, params)

    def fetch_all(self, sql: str, params: Params = ()) -> list[tuple]:
        """Run one query and return tuples of Python values (NULL as None)."""
        with self.transaction() as tx:
            return tx.fetch_all(sql, params)

    def fetch_one(self, sql: str, params: Params = ()) -> tuple | None:
        """The first row of the query, or None when it returns no row."""
        with self.transaction() as tx:
            return tx.fetch_one(sql, params)

    def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row; None when there is no row or the value is NULL.

        ``SELECT MIN(ts) FROM readings WHERE ...`` over no rows is None on every engine.
        """
        with self.transaction() as tx:
            return tx.fetch_value(sql, params)

    def insert_df(self, table: str, df: pd.DataFrame) -> int:
        """Insert a DataFrame in its own transaction."""
        with self.transaction() as tx:
            return tx.insert_df(table, df)

    def replace_rows(self, table: str, where: str, params: Params, df: pd.DataFrame) -> int:
        """Delete rows matching ``where`` and insert ``df`` in one transaction."""
        with self.transaction() as tx:
            return tx.replace_rows(table, where, params, df)

    def table_exists(self, table: str) -> bool:
        """Whether ``table`` exists in the warehouse."""
        return bool(
            self.fetch_value(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", (table,)
            )
        )

    def close(self) -> None:  # noqa: B027 - optional hook: file backends hold nothing open
        """Release anything held between calls (nothing, for most backends)."""
