"""Embedded DuckDB warehouse: short connections, retried while another process holds the file."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from core import config
from core.db.base import Database, Params, Transaction
from core.errors import WarehouseError

_FIRST_BACKOFF_S = 0.02  # a triage edit usually waits out one short job write
_MAX_BACKOFF_S = 1.0


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


class DuckDBTransaction(Transaction):
    """One DuckDB connection inside BEGIN ... COMMIT."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement."""
        self.con.execute(sql, list(params))

    def fetch_df(self, sql: str, params: Params = ()) -> pd.DataFrame:
        """Run one query into a DataFrame."""
        return self.con.execute(sql, list(params)).df()

    def fetch_all(self, sql: str, params: Params = ()) -> list[tuple]:
        """Run one query into tuples."""
        return self.con.execute(sql, list(params)).fetchall()

    def insert_df(self, table: str, df: pd.DataFrame) -> int:
        """Bulk insert through DuckDB's zero-copy DataFrame scan."""
        if df.empty:
            return 0
        cols = ", ".join(f'"{c}"' for c in df.columns)
        self.con.register("_dq_insert_df", df)
        try:
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _dq_insert_df")
        finally:
            self.con.unregister("_dq_insert_df")
        return len(df)


class DuckDBDatabase(Database):
    """A DuckDB file (or ``:memory:``) addressed as ``duckdb:///rel/path`` or ``duckdb:////abs``."""

    DIALECT = "duckdb"
    SUPPORTS_MERGE = False

    def __init__(self, url: str) -> None:
        super().__init__(url)
        path = url.removeprefix("duckdb:///")
        self.path = path
        self._memory: duckdb.DuckDBPyConnection | None = None
        if path in ("", ":memory:"):
            # An in-memory database lives only as long as its connection: keep one.
            self._memory = duckdb.connect(":memory:")
            self._memory.execute("SET TimeZone='UTC'")
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """Open a connection, retrying with jittered backoff while the file is locked.

        Raises
        ------
        WarehouseError
            If the file stays locked longer than ``DQ_LOCK_TIMEOUT_SECONDS``.
        """
        if self._memory is not None:
            return self._memory.cursor()
        timeout = config.get("DQ_LOCK_TIMEOUT_SECONDS")
        deadline = time.monotonic() + timeout
        delay = _FIRST_BACKOFF_S
        while True:
            try:
                con = duckdb.connect(self.path, read_only=read_only)
                con.execute("SET TimeZone='UTC'")
                con.execute("SET enable_progress_bar = false")
                return con
            except duckdb.Error as exc:
                if not _is_lock_error(exc):
                    raise WarehouseError(f"Cannot open warehouse {self.path}: {exc}") from exc
                if time.monotonic() + delay > deadline:
                    raise WarehouseError(
                        f"Warehouse {self.path} stayed locked by another process for "
                        f"{timeout:g}s (DQ_LOCK_TIMEOUT_SECONDS): {exc}"
                    ) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, _MAX_BACKOFF_S)

    @contextmanager
    def transaction(self) -> Iterator[DuckDBTransaction]:
        """Open, BEGIN, yield, COMMIT or ROLLBACK, close."""
        con = self.connect()
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield DuckDBTransaction(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def close(self) -> None:
        """Close the in-memory connection, if any."""
        if self._memory is not None:
            self._memory.close()
            self._memory = None
