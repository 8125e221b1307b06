"""Amazon Redshift warehouse: the PostgreSQL SQL through redshift-connector, with its gaps.

A thin subclass of :class:`PostgresDatabase`: the SQL is shared (and tested on PostgreSQL);
what differs is the driver, the connection options and bulk writes, since Redshift has no
``COPY ... FROM STDIN``. Writes go as multi-row ``INSERT`` statements in batches of
``DQ_REDSHIFT_INSERT_BATCH_ROWS``; an insert of at least ``DQ_REDSHIFT_COPY_MIN_ROWS`` rows,
when ``DQ_REDSHIFT_STAGING_URL`` is set, is staged as Parquet in S3 and loaded with one
``COPY`` in the same transaction (:mod:`core.db.redshift_stage`, docs/warehouse.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import pandas as pd

from core import config, redaction
from core.db import redshift_stage
from core.db.base import python_rows
from core.db.postgres import PostgresDatabase, PostgresTransaction, redact
from core.errors import ConfigError, WarehouseError

_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[A-Za-z0-9!\-_.*()/=]*)?$")
_IAM_ROLE = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_\-/]+$")
_TABLE = re.compile(r"^[a-z_][a-z0-9_]*$")


def connect_args(url: str) -> dict[str, Any]:
    """Keyword arguments for ``redshift_connector.connect`` from ``redshift://u:p@h:5439/db``.

    Query options: ``sslmode`` (default ``verify-ca``). SSL is always on.

    Raises
    ------
    ConfigError
        If the host or database is missing.
    """
    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    if not parts.hostname or not database:
        raise ConfigError(f"{redact(url)}: expected redshift://user:password@host:5439/database")
    options = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    return {
        "host": parts.hostname,
        "port": parts.port or 5439,
        "database": database,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "ssl": True,
        "sslmode": options.get("sslmode", "verify-ca"),
        "timeout": config.get("DQ_CONNECT_TIMEOUT_SECONDS"),
        "application_name": "dqhub",
    }


class RedshiftTransaction(PostgresTransaction):
    """A redshift-connector connection in a transaction; bulk writes via S3 or batched INSERTs."""

    DIALECT = "redshift"
    LOCK_SQL = "LOCK {table}"  # Redshift has one lock mode: exclusive
    COPY_OUT = False  # no COPY TO STDOUT: large results page through a cursor (or UNLOAD to S3)

    def insert_df(self, table: str, df: pd.DataFrame) -> int:
        """Insert ``df``: staged in S3 and COPied when large and staging is set, else INSERTs."""
        if df.empty:
            return 0
        staging = redshift_stage.Staging.from_settings()
        if staging is not None and staging.applies(len(df)) and self.copy_df(table, df, staging):
            return len(df)
        return self.insert_rows(table, df)

    def copy_df(self, table: str, df: pd.DataFrame, staging: redshift_stage.Staging) -> bool:
        """Load ``df`` with one ``COPY`` from Parquet staged in S3; False if it cannot be staged.

        The COPY runs in this transaction (a rollback undoes it); the staged files are deleted
        afterwards either way. A table with a column type Parquet staging does not map (e.g.
        DECIMAL) cannot be staged.
        """
        if not _TABLE.match(table):
            raise ConfigError(f"COPY: {table!r} is not a table name")
        with self._cursor() as cur:
            cur.execute(redshift_stage.COLUMNS_SQL.format(table=table))
            columns = [(d[0], d[1]) for d in cur.description or ()]
        data = redshift_stage.arrow_table(table, df, columns) if columns else None
        if data is None:
            return False
        with redshift_stage.staged(staging, table, data) as uri, self._cursor() as cur:
            cur.execute(RedshiftDatabase.copy_sql(table, uri, staging.iam_role))
        return True

    def insert_rows(self, table: str, df: pd.DataFrame) -> int:
        """Insert ``df`` as multi-row ``INSERT ... VALUES`` statements, one batch at a time."""
        if df.empty:
            return 0
        batch = config.get("DQ_REDSHIFT_INSERT_BATCH_ROWS")
        cols = ", ".join(f'"{c}"' for c in df.columns)
        row_marks = "(" + ", ".join(["%s"] * len(df.columns)) + ")"
        rows = list(python_rows(df))
        with self._cursor() as cur:
            for i in range(0, len(rows), batch):
                chunk = rows[i : i + batch]
                sql = f"INSERT INTO {table} ({cols}) VALUES " + ", ".join([row_marks] * len(chunk))
                cur.execute(sql, [v for row in chunk for v in row])
        return len(rows)


class RedshiftDatabase(PostgresDatabase):
    """A Redshift cluster addressed as ``redshift://user:password@host:5439/database``."""

    DIALECT = "redshift"
    SUPPORTS_MERGE = True
    SUPPORTS_COPY_STDIN = False
    TRANSACTION = RedshiftTransaction

    def connect(self) -> Any:
        """Open a connection with SSL and the UTC time zone, or raise WarehouseError."""
        import redshift_connector  # only when a Redshift URL is configured

        try:
            con = redshift_connector.connect(**connect_args(self.url))
            con.autocommit = False
            cur = con.cursor()
            cur.execute("SET timezone TO 'UTC'")
            cur.close()
            con.commit()
        except redshift_connector.Error as exc:
            reason = redaction.redact(exc, [self.url])
            raise WarehouseError(
                f"Cannot connect to {redaction.describe(self.url)}: {type(exc).__name__}: {reason}"
            ) from exc
        return con

    @contextmanager
    def autocommit(self) -> Iterator[RedshiftTransaction]:
        """A connection outside any transaction block: each statement commits on its own.

        For DDL that must not hold its locks for a whole transaction (migration 0009's
        ``ALTER TABLE ... SORTKEY``/``DISTKEY``, :mod:`core.db.keys`).
        """
        con = self.connect()
        try:
            con.autocommit = True
            yield self.TRANSACTION(con, self)
        finally:
            con.close()

    @staticmethod
    def copy_sql(table: str, s3_uri: str, iam_role: str) -> str:
        """The ``COPY`` statement loading Parquet files under ``s3_uri`` into ``table``.

        COPY takes no bind parameters, so every part is validated before it is quoted.

        Raises
        ------
        ConfigError
            If the table, S3 URI or IAM role ARN is malformed.
        """
        if not _TABLE.match(table):
            raise ConfigError(f"COPY: {table!r} is not a table name")
        if not _S3_URI.match(s3_uri):
            raise ConfigError(f"COPY: {s3_uri!r} is not an s3://bucket/prefix URI")
        if not _IAM_ROLE.match(iam_role):
            raise ConfigError(f"COPY: {iam_role!r} is not an IAM role ARN")
        return f"COPY {table} FROM '{s3_uri}' IAM_ROLE '{iam_role}' FORMAT AS PARQUET"

    def copy_from_s3(self, table: str, s3_uri: str, iam_role: str) -> None:
        """Load Parquet files already staged under ``s3_uri`` into ``table`` in one transaction."""
        sql = self.copy_sql(table, s3_uri, iam_role)
        with self.transaction() as tx, tx._cursor() as cur:
            cur.execute(sql)
