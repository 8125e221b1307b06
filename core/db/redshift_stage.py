"""Large Redshift inserts staged in S3: Parquet files under ``DQ_REDSHIFT_STAGING_URL``, one COPY.

Redshift has no ``COPY ... FROM STDIN``, and multi-row INSERTs all pass through the leader
node; a COPY from S3 loads in parallel on every slice. :class:`Staging` describes where files
go (from the settings); :func:`staged` writes a frame there as Parquet and deletes the files
when the COPY is done, whether it worked or not.

COPY from Parquet fills the table's columns by position and needs exactly as many columns as
the table, with no column list (AWS: "COPY from columnar data formats"). So the files hold every
column of the table in the table's order, typed as the table declares them (INTEGER as int32,
DATE as date32, ...); a column the frame lacks is all nulls, like an INSERT that leaves it out.
Temporary tables work too: the import and the sync stage rows in one before a delete+insert.
TIMESTAMP columns are written as INT96, the timestamp encoding Redshift's Parquet reader has
always read (64-bit timestamps written by pandas have been misread as far-future dates).
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core import config
from core.errors import ConfigError, WarehouseError

log = logging.getLogger(__name__)

ROWS_PER_FILE = 1_000_000  # several files load in parallel across slices

# The target's columns, in order, as the COPY will see them: the columns of an empty SELECT
# resolve the name like COPY does (a temporary table first), and name their types by OID.
COLUMNS_SQL = "SELECT * FROM {table} WHERE 1 = 0"


@dataclass(frozen=True)
class Staging:
    """Where large inserts are staged and who may read them.

    Attributes
    ----------
    bucket, prefix : str
        ``DQ_REDSHIFT_STAGING_URL`` split; each load writes under ``<prefix>/<table>/<uuid>/``.
    iam_role : str
        ``DQ_REDSHIFT_IAM_ROLE``: the role the cluster assumes to read the files.
    min_rows : int
        ``DQ_REDSHIFT_COPY_MIN_ROWS``: smaller inserts stay batched INSERTs.
    """

    bucket: str
    prefix: str
    iam_role: str
    min_rows: int

    @classmethod
    def from_settings(cls) -> Staging | None:
        """The staging the settings describe, or None when ``DQ_REDSHIFT_STAGING_URL`` is empty.

        Raises
        ------
        ConfigError
            If the URL is not ``s3://bucket[/prefix]`` or the IAM role is missing.
        """
        url = config.get("DQ_REDSHIFT_STAGING_URL").strip()
        if not url:
            return None
        from core.db.redshift import RedshiftDatabase  # where COPY text is validated

        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        prefix = prefix.strip("/")
        role = config.get("DQ_REDSHIFT_IAM_ROLE").strip()
        if not role:
            raise ConfigError(
                "DQ_REDSHIFT_STAGING_URL needs DQ_REDSHIFT_IAM_ROLE (the role the cluster "
                "assumes to read the staged files)"
            )
        try:  # the COPY text these make must pass the same checks
            RedshiftDatabase.copy_sql("t", f"s3://{bucket}/{prefix}", role)
        except ConfigError as exc:
            raise ConfigError(
                f"DQ_REDSHIFT_STAGING_URL={url!r} / DQ_REDSHIFT_IAM_ROLE: {exc} "
                "(expected s3://bucket/prefix and arn:aws:iam::<account>:role/<name>)"
            ) from exc
        return cls(bucket, prefix, role, config.get("DQ_REDSHIFT_COPY_MIN_ROWS"))

    def applies(self, rows: int) -> bool:
        """Whether an insert of ``rows`` rows goes through S3."""
        return rows >= self.min_rows

    def key_prefix(self, table: str) -> str:
        """A fresh key prefix for one load into ``table`` (ends with ``/``)."""
        head = f"{self.prefix}/" if self.prefix else ""
        return f"{head}{table}/{uuid.uuid4().hex}/"


def _arrow_type(type_oid: int) -> Any:
    """The Arrow type Redshift's Parquet reader maps onto a column of type ``type_oid``, or None."""
    import pyarrow as pa

    types = {
        1043: pa.string(),  # VARCHAR
        1042: pa.string(),  # CHAR
        25: pa.string(),  # TEXT
        21: pa.int16(),  # SMALLINT
        23: pa.int32(),  # INTEGER
        20: pa.int64(),  # BIGINT
        700: pa.float32(),  # REAL
        701: pa.float64(),  # DOUBLE PRECISION
        16: pa.bool_(),  # BOOLEAN
        1082: pa.date32(),  # DATE
        1114: pa.timestamp("us"),  # TIMESTAMP (without time zone)
    }
    return types.get(type_oid)


def _array(values: pd.Series | None, arrow_type: Any, rows: int) -> Any:
    """One column as an Arrow array of ``arrow_type`` (all nulls when ``values`` is None)."""
    import pyarrow as pa

    if values is None:
        return pa.nulls(rows, type=arrow_type)
    values = values.reset_index(drop=True)
    missing = values.isna()
    if pa.types.is_string(arrow_type):
        return pa.array(
            [None if m else str(v) for v, m in zip(values, missing, strict=True)], type=arrow_type
        )
    if pa.types.is_integer(arrow_type):
        return pa.array(pd.array(values, dtype="Int64")).cast(arrow_type)
    if pa.types.is_floating(arrow_type):
        return pa.array(values.astype("float64"), type=pa.float64(), from_pandas=True).cast(
            arrow_type
        )
    if pa.types.is_boolean(arrow_type):
        return pa.array(pd.array(values, dtype="boolean"))
    ts = pd.to_datetime(values)
    if ts.dt.tz is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    if pa.types.is_date(arrow_type):
        return pa.array(
            [None if m else t.date() for t, m in zip(ts, ts.isna(), strict=True)], type=arrow_type
        )
    return pa.array(ts.astype("datetime64[us]"), type=arrow_type, from_pandas=True)


def arrow_table(table: str, df: pd.DataFrame, columns: list[tuple[str, int]]) -> Any:
    """``df`` as an Arrow table with exactly ``columns`` (name, type OID), in that order.

    Returns None when a column's type has no Parquet mapping here (the caller then INSERTs).

    Raises
    ------
    WarehouseError
        If ``df`` has a column the table does not.
    """
    import pyarrow as pa

    names = [name for name, _ in columns]
    extra = [c for c in df.columns if c not in names]
    if extra:
        raise WarehouseError(f"Insert into {table}: no column {', '.join(map(str, extra))} there")
    types = [_arrow_type(type_oid) for _, type_oid in columns]
    if any(t is None for t in types):
        return None
    arrays = [
        _array(df[name] if name in df.columns else None, t, len(df))
        for name, t in zip(names, types, strict=True)
    ]
    return pa.Table.from_arrays(arrays, names=names)


def _client() -> Any:
    """An S3 client from the standard boto3 chain (credentials, region, ``AWS_ENDPOINT_URL_S3``)."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client("s3", config=Config(retries={"mode": "standard"}))


@contextmanager
def staged(staging: Staging, table: str, data: Any) -> Iterator[str]:
    """Upload ``data`` (an Arrow table) as Parquet files; yield their ``s3://`` prefix; delete them.

    The files are deleted when the block ends, also when the COPY in it failed; a failed
    delete is logged (a lifecycle rule on the prefix removes leftovers), never raised.

    Raises
    ------
    WarehouseError
        If an upload fails (names the table and the S3 location, no credentials).
    """
    import pyarrow.parquet as pq

    client = _client()
    prefix = staging.key_prefix(table)
    keys: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="dq-stage-") as tmp:
            for i, start in enumerate(range(0, data.num_rows, ROWS_PER_FILE)):
                path = Path(tmp) / f"part-{i:05d}.parquet"
                pq.write_table(
                    data.slice(start, ROWS_PER_FILE), path, use_deprecated_int96_timestamps=True
                )
                key = f"{prefix}{path.name}"
                try:
                    client.upload_file(str(path), staging.bucket, key)
                except Exception as exc:  # noqa: BLE001 - boto3 and botocore errors alike
                    raise WarehouseError(
                        f"Staging {data.num_rows} rows of {table} in s3://{staging.bucket}/"
                        f"{prefix} failed: {type(exc).__name__}: {exc}"
                    ) from exc
                keys.append(key)
                path.unlink()  # keep one file on disk at a time
        yield f"s3://{staging.bucket}/{prefix}"
    finally:
        _delete(client, staging.bucket, keys)


def _delete(client: Any, bucket: str, keys: list[str]) -> None:
    """Delete the staged objects (1,000 per request); log what could not be deleted."""
    for i in range(0, len(keys), 1000):
        batch = keys[i : i + 1000]
        try:
            answer = client.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
            )
            failed = [e.get("Key") for e in answer.get("Errors", [])]
        except Exception as exc:  # noqa: BLE001 - a leftover file must not fail a committed load
            failed = batch
            log.warning("Deleting staged objects in s3://%s failed: %s", bucket, exc)
        if failed:
            log.warning("Staged objects left in s3://%s: %s", bucket, ", ".join(failed))
