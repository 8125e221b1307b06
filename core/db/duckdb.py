"""Embedded DuckDB warehouse: a cursor per call on the process's shared handle of the file."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from core.db import arrow, duckdb_file
from core.db.base import Database, Params, Transaction


class DuckDBTransaction(Transaction):
    """One DuckDB connection inside BEGIN ... COMMIT.

    Attributes
    ----------
    commit_rows : int or None
        Set on a file nobody else reads yet (a cache copy being built): ``insert_arrow`` then
        commits and begins anew after that many rows. DuckDB holds a transaction's inserted
        rows in memory until it ends (about 50 MB per million readings), so one transaction
        around a large copy would hold all of it.
    """

    commit_rows: int | None = None

    DIALECT = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._uncommitted = 0

    def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement."""
        self.con.execute(sql, list(params))

    def fetch_df(self, sql: str, params: Params = ()) -> pd.DataFrame:
        """Run one query into a DataFrame."""
        return self.con.execute(sql, list(params)).df()

    def fetch_all(self, sql: str, params: Params = ()) -> list[tuple]:
        """Run one query into tuples."""
        return self.con.execute(sql, list(params)).fetchall()

    def fetch_arrow(
        self, sql: str, params: Params = (), batch_rows: int | None = None
    ) -> Iterator[pa.RecordBatch]:
        """Stream the result as DuckDB's own Arrow batches."""
        rows = arrow.batch_rows(batch_rows)
        reader = self.con.sql(sql, params=list(params)).to_arrow_reader(rows)
        yield from arrow.rebatch(reader, rows)

    def insert_arrow(self, table: str, batches: Iterable[pa.RecordBatch]) -> int:
        """Insert every batch (columns named like the table's), one at a time; return the count."""
        n = 0
        for batch in batches:
            if not batch.num_rows:
                continue
            cols = ", ".join(f'"{c}"' for c in batch.schema.names)
            self.con.register("_dq_insert_arrow", batch)
            try:
                self.con.execute(
                    f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _dq_insert_arrow"
                )
            finally:
                self.con.unregister("_dq_insert_arrow")
            n += batch.num_rows
            self._uncommitted += batch.num_rows
            if self.commit_rows and self._uncommitted >= self.commit_rows:
                self.con.execute("COMMIT")
                self.con.execute("BEGIN TRANSACTION")
                self._uncommitted = 0
        return n

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
    """A DuckDB file (or ``:memory:``) addressed as ``duckdb:///rel/path`` or ``duckdb:////abs``.

    Every ``DuckDBDatabase`` of one file in a process shares one root connection
    (:mod:`core.db.duckdb_file`); each call runs on a cursor of its own.
    """

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

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of this process to the file for one call (waits while another holds it).

        Raises
        ------
        WarehouseError
            If the file stays locked longer than ``DQ_LOCK_TIMEOUT_SECONDS``, or cannot be opened.
        """
        if self._memory is not None:
            cur = self._memory.cursor()
            try:
                yield cur
            finally:
                cur.close()
            return
        with duckdb_file.shared(self.path).cursor() as cur:
            yield cur

    @contextmanager
    def transaction(self) -> Iterator[DuckDBTransaction]:
        """Take a cursor, BEGIN, yield, COMMIT or ROLLBACK."""
        with self.cursor() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield DuckDBTransaction(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def copy_to(self, dst: str | Path) -> str:
        """Copy the file to ``dst`` (checkpointed first, so the copy holds every commit); its URL.

        The process keeps the file open between calls, with recent commits in its write-ahead
        log, so a plain file copy could miss them.
        """
        with self.cursor() as con:
            con.execute("CHECKPOINT")
            shutil.copy(self.path, dst)
        return f"duckdb:///{dst}"

    def close(self) -> None:
        """Close the in-memory connection, or let go of the file once no call uses it."""
        if self._memory is not None:
            self._memory.close()
            self._memory = None
        elif self.path:
            duckdb_file.shared(self.path).close()
