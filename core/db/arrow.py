"""Query results as bounded Arrow record batches, for copies that must not hold a table in memory.

:meth:`core.db.base.Transaction.fetch_arrow` streams a result in batches of at most
``DQ_CACHE_BATCH_ROWS`` rows. DuckDB hands out Arrow itself; PostgreSQL sends the result with
``COPY (query) TO STDOUT`` as CSV, parsed block by block by pyarrow (no Python object per value);
an engine without COPY (Redshift) pages through a ``DECLARE ... CURSOR`` with ``FETCH``. Column
types come from the driver's type codes (PostgreSQL OIDs, which Redshift's driver reports too).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from core import config

# PostgreSQL type OIDs -> Arrow types; anything else arrives as text.
_PG_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    700: pa.float32(),
    701: pa.float64(),
    1700: pa.float64(),  # numeric: results, not money
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),  # sessions run in UTC
}


def batch_rows(rows: int | None = None) -> int:
    """Rows per batch: ``rows`` or the ``DQ_CACHE_BATCH_ROWS`` setting."""
    return int(rows or config.get("DQ_CACHE_BATCH_ROWS"))


def pg_schema(description: Sequence[Any]) -> pa.Schema:
    """The Arrow schema of a DB-API ``cursor.description`` with PostgreSQL type codes."""
    return pa.schema([pa.field(d[0], _PG_TYPES.get(d[1], pa.string())) for d in description])


def rebatch(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """``batches`` cut so that none holds more than ``rows`` rows (empty ones dropped)."""
    for batch in batches:
        for start in range(0, batch.num_rows, rows):
            yield batch.slice(start, rows)


def csv_batches(blocks: Iterable[bytes], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Record batches of PostgreSQL ``COPY ... TO STDOUT (FORMAT csv)``, typed by ``schema``.

    ``blocks`` holds whole CSV rows (quoted newlines included), a bounded number per block;
    each block is parsed by pyarrow in this thread. PostgreSQL writes NULL as an empty unquoted
    field and an empty string as ``""``, booleans as ``t``/``f``, ``NaN``/``Infinity`` as such.
    """
    options = {
        "read_options": pa_csv.ReadOptions(column_names=schema.names, use_threads=False),
        "parse_options": pa_csv.ParseOptions(newlines_in_values=True),
        "convert_options": pa_csv.ConvertOptions(
            column_types={f.name: f.type for f in schema},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    }
    for data in blocks:
        for batch in pa_csv.read_csv(pa.BufferReader(data), **options).to_batches():
            yield batch.cast(schema) if batch.schema != schema else batch


def rows_batch(rows: Sequence[Sequence[Any]], schema: pa.Schema) -> pa.RecordBatch:
    """One record batch from DB-API row tuples (the path for engines without COPY)."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    arrays = []
    for col, f in zip(columns, schema, strict=True):
        values = list(col)
        if pa.types.is_floating(f.type):  # numeric arrives as Decimal
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values, type=f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
