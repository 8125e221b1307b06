import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from core.db import connect
from core.errors import ConfigError, WarehouseError

ROOT = Path(__file__).resolve().parents[3]


def test_relative_and_absolute_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rel = connect("duckdb:///sub/rel.duckdb")
    rel.execute("CREATE TABLE t (x INTEGER)")
    assert (tmp_path / "sub" / "rel.duckdb").exists()
    absolute = connect(f"duckdb:///{tmp_path}/abs.duckdb")
    assert absolute.path == f"{tmp_path}/abs.duckdb" and absolute.path.startswith("/")
    absolute.execute("CREATE TABLE t (x INTEGER)")
    assert (tmp_path / "abs.duckdb").exists()


def test_default_warehouse_url(monkeypatch):
    monkeypatch.delenv("DQ_WAREHOUSE")
    assert connect().path == "data/dqhub.duckdb"


def test_unknown_scheme_is_a_config_error():
    with pytest.raises(ConfigError, match="Unknown database scheme 'mysql'.*expected duckdb"):
        connect("mysql://x")


def test_transaction_rolls_back_on_error(fresh_db):
    fresh_db.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(RuntimeError), fresh_db.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")
    assert fresh_db.fetch_value("SELECT count(*) FROM t") == 0


def test_replace_rows_is_delete_plus_insert(fresh_db):
    fresh_db.execute("CREATE TABLE t (k INTEGER, v VARCHAR)")
    fresh_db.insert_df("t", pd.DataFrame({"k": [1, 2], "v": ["a", "b"]}))
    fresh_db.replace_rows("t", "k = ?", (2,), pd.DataFrame({"k": [2], "v": ["B"]}))
    assert fresh_db.fetch_all("SELECT k, v FROM t ORDER BY k") == [(1, "a"), (2, "B")]


def _hold_lock(path: str, seconds: float) -> subprocess.Popen:
    code = textwrap.dedent(
        f"""
        import duckdb, time, sys
        con = duckdb.connect({path!r})
        print("locked", flush=True)
        time.sleep({seconds})
        con.close()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_locked_file_is_retried_until_free(db_path):
    db = connect(db_path)
    db.close()  # let go of the file now rather than after the idle delay
    holder = _hold_lock(db.path, 1.0)
    started = time.monotonic()
    db.execute("CREATE TABLE waited (x INTEGER)")
    assert time.monotonic() - started > 0.3  # it really waited for the other process
    holder.wait(10)
    assert db.table_exists("waited")


def test_lock_held_too_long_is_a_clear_error(db_path, monkeypatch):
    monkeypatch.setenv("DQ_LOCK_TIMEOUT_SECONDS", "0.5")
    db = connect(db_path)
    db.close()
    holder = _hold_lock(db.path, 3.0)
    try:
        with pytest.raises(
            WarehouseError, match="locked by another process.*DQ_LOCK_TIMEOUT_SECONDS"
        ):
            db.execute("SELECT 1")
    finally:
        holder.kill()
        holder.wait()


def test_large_insert_in_one_transaction_is_visible(fresh_db):
    # DuckDB 2.0 lost rows of a >120k-row DataFrame inserted into a table created in the same
    # transaction with CREATE TABLE AS ... WHERE 1=0; insert_df must not depend on that path.
    n = 300_000
    with fresh_db.transaction() as tx:
        tx.execute("CREATE TABLE big (k INTEGER, v DOUBLE)")
        tx.insert_df("big", pd.DataFrame({"k": range(n), "v": 1.0}))
        assert tx.fetch_all("SELECT count(*), sum(k) FROM big") == [(n, n * (n - 1) // 2)]
    assert fresh_db.fetch_value("SELECT count(*) FROM big") == n


def test_empty_results_are_none(fresh_db):
    from tests.core.db.emptycases import add_unfinished_run, assert_empty_results

    add_unfinished_run(fresh_db)
    assert_empty_results(fresh_db)
