"""The PostgreSQL backend against the real local server: SQL translation, types, transactions."""

import math

import pandas as pd
import pytest

from core.db import connect, open_warehouse
from core.db.postgres import PostgresDatabase, to_pyformat
from core.errors import WarehouseError


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
        ("SELECT '?' AS q, a FROM t WHERE b = ?", "SELECT '?' AS q, a FROM t WHERE b = %s"),
        (
            "SELECT 'it''s ?' FROM t WHERE a LIKE 'x%' AND b = ?",
            "SELECT 'it''s ?' FROM t WHERE a LIKE 'x%%' AND b = %s",
        ),
        ('SELECT "odd?col" FROM t WHERE a % 2 = ?', 'SELECT "odd?col" FROM t WHERE a %% 2 = %s'),
    ],
)
def test_placeholders_become_pyformat_outside_quotes(sql, expected):
    assert to_pyformat(sql) == expected


def test_connect_picks_the_backend_by_scheme(pg_url):
    assert isinstance(connect(pg_url), PostgresDatabase)
    assert isinstance(connect(pg_url.replace("postgresql://", "postgres://", 1)), PostgresDatabase)


def test_values_round_trip_with_duckdb_like_types(pg_url):
    db = open_warehouse(pg_url)
    db.execute(
        "CREATE TABLE t (i INTEGER, f DOUBLE PRECISION, s VARCHAR(20), b BOOLEAN, "
        "ts TIMESTAMP, d DATE)"
    )
    df = pd.DataFrame(
        {
            "i": [1, 2],
            "f": [1.5, math.nan],
            "s": ["a'b?%", None],
            "b": [True, False],
            "ts": pd.to_datetime(["2026-03-29 01:30", None]),
            "d": pd.to_datetime(["2026-03-29", None]),
        }
    )
    assert db.insert_df("t", df) == 2
    out = db.fetch_df("SELECT * FROM t WHERE s = ? OR s IS NULL ORDER BY i", ("a'b?%",))
    assert out["i"].tolist() == [1, 2]
    assert out["f"].iloc[0] == 1.5 and pd.isna(out["f"].iloc[1])
    assert out["s"].iloc[0] == "a'b?%" and pd.isna(out["s"].iloc[1])
    assert out["ts"].iloc[0] == pd.Timestamp("2026-03-29 01:30")  # naive UTC kept as written
    assert pd.api.types.is_datetime64_any_dtype(out["d"])
    assert out["d"].iloc[0] == pd.Timestamp("2026-03-29") and pd.isna(out["d"].iloc[1])


def test_a_failed_transaction_leaves_nothing(pg_url):
    db = open_warehouse(pg_url)
    db.execute("CREATE TABLE t (i INTEGER NOT NULL)")
    with pytest.raises(Exception, match="null value"), db.transaction() as tx:
        tx.insert_df("t", pd.DataFrame({"i": [1, 2]}))
        tx.execute("INSERT INTO t (i) VALUES (?)", (None,))
    assert db.fetch_value("SELECT count(*) FROM t") == 0


def test_unreachable_server_names_the_url_without_the_password(monkeypatch):
    monkeypatch.setenv("DQ_CONNECT_TIMEOUT_SECONDS", "2")
    db = connect("postgresql://dq:hunter2@127.0.0.1:1/warehouse")  # nothing listens on port 1
    with pytest.raises(WarehouseError) as err:
        db.fetch_value("SELECT 1")
    assert "postgresql://dq:***@127.0.0.1:1/warehouse" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_migrations_are_recorded_once(pg_url):
    from core.db import migrations

    db = open_warehouse(pg_url)
    assert migrations.pending(db) == []
    assert migrations.apply(db) == []
    versions = [r[0] for r in db.fetch_all("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == [m.version for m in migrations.discover()]


def test_empty_results_are_none(pg_url):
    from tests.core.db.emptycases import add_unfinished_run, assert_empty_results

    db = open_warehouse(pg_url)
    add_unfinished_run(db)
    assert_empty_results(db)
