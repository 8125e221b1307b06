"""Redshift: its SQL runs on PostgreSQL; what only Redshift does is checked with the driver mocked."""

import pandas as pd
import psycopg
import pytest

from core.db import connect
from core.db.redshift import RedshiftDatabase, RedshiftTransaction, connect_args
from core.errors import ConfigError

URL = "redshift://dq:p%40ss@cluster.abc.eu-west-1.redshift.amazonaws.com:5439/results"


class FakeCursor:
    def __init__(self, log):
        self.log, self.description = log, None

    def execute(self, sql, params=None):
        self.log.append((sql, list(params or [])))
        if sql.startswith("SELECT"):
            self.description = [("n", 23)]

    def fetchall(self):
        return [(3,)]

    def close(self):
        pass


class FakeConnection:
    def __init__(self):
        self.log, self.commits, self.rollbacks, self.closed = [], 0, 0, False
        self.autocommit = True

    def cursor(self):
        return FakeCursor(self.log)

    def commit(self):
        self.commits += 1

    def rollback(self):
        self.rollbacks += 1

    def close(self):
        self.closed = True


@pytest.fixture
def fake(monkeypatch):
    import redshift_connector

    made = []

    def fake_connect(**kwargs):
        con = FakeConnection()
        made.append((kwargs, con))
        return con

    monkeypatch.setattr(redshift_connector, "connect", fake_connect)
    return made


def test_url_becomes_driver_options_with_ssl_on(monkeypatch):
    monkeypatch.setenv("DQ_CONNECT_TIMEOUT_SECONDS", "7")
    args = connect_args(URL + "?sslmode=verify-full")
    assert args == {
        "host": "cluster.abc.eu-west-1.redshift.amazonaws.com",
        "port": 5439,
        "database": "results",
        "user": "dq",
        "password": "p@ss",
        "ssl": True,
        "sslmode": "verify-full",
        "timeout": 7,
        "application_name": "dqhub",
    }
    with pytest.raises(ConfigError, match=r"redshift://dq:\*\*\*@"):
        connect_args("redshift://dq:secret@host")  # no database


def test_transaction_sets_utc_commits_and_closes(fake):
    db = connect(URL)
    assert isinstance(db, RedshiftDatabase) and not db.SUPPORTS_COPY_STDIN
    assert db.fetch_value("SELECT count(*) FROM dq_issues WHERE status = ?", ("open",)) == 3
    ((_, con),) = fake
    assert con.autocommit is False and con.closed
    assert con.log[0] == ("SET timezone TO 'UTC'", [])
    assert con.log[1] == ("SELECT count(*) FROM dq_issues WHERE status = %s", ["open"])
    assert con.commits == 2 and con.rollbacks == 0  # after SET, after the query


def test_error_rolls_back(fake):
    db = connect(URL)
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.execute("DELETE FROM dq_issues WHERE issue_id = ?", ("x",))
        raise RuntimeError("boom")
    ((_, con),) = fake
    assert con.rollbacks == 1 and con.commits == 1 and con.closed


def test_bulk_insert_is_batched_multi_row_inserts(fake, monkeypatch):
    monkeypatch.setenv("DQ_REDSHIFT_INSERT_BATCH_ROWS", "2")
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", None, "z"]})
    assert connect(URL).insert_df("t", df) == 3
    ((_, con),) = fake
    inserts = [entry for entry in con.log if entry[0].startswith("INSERT")]
    assert inserts == [
        ('INSERT INTO t ("a", "b") VALUES (%s, %s), (%s, %s)', [1, "x", 2, None]),
        ('INSERT INTO t ("a", "b") VALUES (%s, %s)', [3, "z"]),
    ]


def test_copy_from_s3_text_is_validated():
    role = "arn:aws:iam::123456789012:role/dq-loader"
    assert RedshiftDatabase.copy_sql("readings", "s3://dq-stage/readings/2026-03/", role) == (
        "COPY readings FROM 's3://dq-stage/readings/2026-03/' "
        "IAM_ROLE 'arn:aws:iam::123456789012:role/dq-loader' FORMAT AS PARQUET"
    )
    with pytest.raises(ConfigError, match="s3://"):
        RedshiftDatabase.copy_sql("readings", "s3://b/x'; DROP TABLE dq_issues; --", role)
    with pytest.raises(ConfigError, match="IAM role"):
        RedshiftDatabase.copy_sql("readings", "s3://dq-stage/x/", "role'--")
    with pytest.raises(ConfigError, match="table"):
        RedshiftDatabase.copy_sql("readings; drop", "s3://dq-stage/x/", role)


def test_batched_insert_sql_runs_on_postgresql(pg_url, monkeypatch):
    """The statements Redshift gets are plain PostgreSQL: run them on the real server."""
    monkeypatch.setenv("DQ_REDSHIFT_INSERT_BATCH_ROWS", "2")
    with psycopg.connect(pg_url) as con:
        con.execute("CREATE TABLE t (a INTEGER, b VARCHAR(8), ts TIMESTAMP)")
        tx = RedshiftTransaction(con)
        df = pd.DataFrame(
            {
                "a": [1, 2, 3],
                "b": ["x", None, "z"],
                "ts": pd.to_datetime(["2026-01-01 00:15", "2026-01-01 00:30", None]),
            }
        )
        assert tx.insert_df("t", df) == 3
        rows = tx.fetch_all("SELECT a, b, ts FROM t ORDER BY a")
    assert [r[:2] for r in rows] == [(1, "x"), (2, None), (3, "z")]
    assert str(rows[0][2]) == "2026-01-01 00:15:00" and rows[2][2] is None
