"""Query results as bounded Arrow batches on every engine: what the cache refresh streams."""

import math
from datetime import date, datetime

import pyarrow as pa
import pytest

from core.db import open_warehouse
from core.db.postgres import PostgresTransaction

TABLE = """CREATE TABLE t (
    name VARCHAR(64), ts TIMESTAMP NOT NULL, value DOUBLE PRECISION, flag BOOLEAN, day DATE,
    n INTEGER, note VARCHAR(256))"""
ROWS = [
    ("a", datetime(2026, 1, 1, 0, 0), 1.5, True, date(2026, 1, 1), 3, "plain"),
    (
        'b,"q"\nline',
        datetime(2026, 1, 1, 0, 15, 0, 500),
        math.inf,
        False,
        date(2026, 1, 2),
        None,
        "",
    ),
    (None, datetime(2026, 1, 1, 0, 30), None, None, None, -7, None),
    ("d", datetime(2026, 1, 1, 0, 45), math.nan, True, date(2026, 1, 4), 0, "x'y%z?"),
    ("é", datetime(2026, 1, 1, 1, 0), -0.1, False, date(2026, 1, 5), 2**31 - 1, "\\N"),
]
QUERY = "SELECT * FROM t WHERE ts >= ? ORDER BY ts"


def _fill(db):
    db.execute(TABLE)
    with db.transaction() as tx:
        for row in ROWS:
            tx.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", row)


def _plain(rows):
    """Rows with NaN spelled out (NaN != NaN)."""
    return [tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in r) for r in rows]


def _read(db, batch_rows=None, sql=QUERY, params=(datetime(2025, 1, 1),)):
    with db.transaction() as tx:
        batches = list(tx.fetch_arrow(sql, params, batch_rows))
    rows = [tuple(r.values()) for b in batches for r in b.to_pylist()]
    return [b.num_rows for b in batches], rows, batches


@pytest.fixture(params=["duckdb", "postgres COPY", "postgres cursor"])
def db(request, tmp_path, monkeypatch):
    if request.param == "duckdb":
        wh = open_warehouse(f"duckdb:///{tmp_path}/dq.duckdb")
    else:
        wh = open_warehouse(request.getfixturevalue("pg_url"))
        if request.param == "postgres cursor":  # Redshift's path: no COPY TO STDOUT
            monkeypatch.setattr(PostgresTransaction, "COPY_OUT", False)
    _fill(wh)
    return wh


def test_values_and_nulls_survive_the_stream(db):
    sizes, rows, batches = _read(db, batch_rows=2)
    assert sizes == [2, 2, 1]  # never more than asked for
    assert _plain(rows) == _plain(ROWS)
    types = dict(zip(batches[0].schema.names, batches[0].schema.types, strict=True))
    assert types["ts"] == pa.timestamp("us") and types["day"] == pa.date32()
    assert pa.types.is_boolean(types["flag"]) and pa.types.is_floating(types["value"])


def test_batch_size_comes_from_the_setting(db, monkeypatch):
    monkeypatch.setenv("DQ_CACHE_BATCH_ROWS", "3")
    assert _read(db)[0] == [3, 2]


def test_an_empty_result_streams_no_rows(db):
    sizes, rows, _ = _read(db, params=(datetime(2030, 1, 1),))
    assert rows == [] and sum(sizes) == 0


def test_batches_insert_into_duckdb_as_they_come(db, tmp_path):
    local = open_warehouse(f"duckdb:///{tmp_path}/copy.duckdb")
    local.execute(TABLE)
    with db.transaction() as remote, local.transaction() as tx:
        assert tx.insert_arrow("t", remote.fetch_arrow(QUERY, (datetime(2025, 1, 1),), 2)) == 5
    assert _plain(local.fetch_all("SELECT * FROM t ORDER BY ts")) == _plain(ROWS)
