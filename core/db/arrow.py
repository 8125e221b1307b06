"""Query results as bounded Arrow record batches, for copies that must not hold a table in memory.

:meth:`core.db.base.Transaction.fetch_arrow` streams a result in batches of at most
``DQ_CACHE_BATCH_ROWS`` rows. DuckDB hands out Arrow itself; PostgreSQL sends the result with
``COPY (query) TO STDOUT`` as CSV, parsed block by block by pyarrow (no Python object per value);
an engine without COPY (Redshift) pages through a ``DECLARE ... CURSOR`` with ``FETCH``. Column
types come from the driver's type codes (PostgreSQL OIDs, which Redshift's driver reports too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
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
_CSV_BYTES_PER_ROW = 64  # sizes a CSV block so that one holds about a batch of narrow rows


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


class _CopyStream:
    """A read-only file over the data blocks of a COPY TO STDOUT (what pyarrow's reader wants)."""

    closed = False

    def __init__(self, read: Callable[[], Any]) -> None:
        self._read = read
        self._rest = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def empty(self) -> bool:
        """Whether the COPY sent no row at all (pyarrow refuses an empty file)."""
        if not self._rest and not self._done:
            self._rest = bytes(self._read() or b"")
            self._done = not self._rest
        return not self._rest

    def read(self, size: int = -1) -> bytes:
        parts, have = [self._rest], len(self._rest)
        while (size < 0 or have < size) and not self._done:
            data = self._read()  # one row of the COPY per call; b"" at the end
            if not data:
                self._done = True
                break
            parts.append(data)
            have += len(data)
        buf = b"".join(parts)
        if 0 <= size < len(buf):
            self._rest, buf = buf[size:], buf[:size]
        else:
            self._rest = b""
        return buf

    def close(self) -> None:
        self.closed = True


def csv_batches(read: Callable[[], Any], schema: pa.Schema, rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches of a PostgreSQL ``COPY ... TO STDOUT (FORMAT csv)``, typed by ``schema``.

    ``read`` is the COPY's per-call reader. PostgreSQL writes NULL as an empty unquoted
    field and an empty string as ``""``, booleans as ``t``/``f``, ``NaN``/``Infinity`` as
    such. Only ``rows`` x a few dozen bytes of CSV and one batch are held at a time.
    """
    stream = _CopyStream(read)
    if not len(schema) or stream.empty():
        return
    reader = pa_csv.open_csv(
        stream,
        read_options=pa_csv.ReadOptions(
            column_names=schema.names,
            use_threads=False,
            block_size=max(1 << 16, rows * _CSV_BYTES_PER_ROW),
        ),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={f.name: f.type for f in schema},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )
    for batch in rebatch(reader, rows):
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
