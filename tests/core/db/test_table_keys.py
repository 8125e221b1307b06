"""Migration 0009: Redshift keys (driver mocked), PostgreSQL indexes, nothing on DuckDB."""

import psycopg
import pytest

from core.db import connect, keys, migrations, open_warehouse
from core.errors import MigrationError

URL = "redshift://dq:pw@cluster.abc.eu-west-1.redshift.amazonaws.com:5439/results"


def _migration():
    (m,) = [m for m in migrations.discover() if m.version == 9]
    assert m.name == "table_keys"
    return m


class Cluster:
    """A mocked Redshift whose PG_TABLE_DEF reports ``have`` (table -> (distkey, sortkey))."""

    def __init__(self, have, fail_on=None):
        self.have, self.fail_on, self.connections = have, fail_on, []

    def connect(self, **kwargs):
        con = Connection(self)
        self.connections.append(con)
        return con


class Connection:
    def __init__(self, cluster):
        self.cluster, self.autocommit, self.log = cluster, True, []

    def cursor(self):
        return Cursor(self)

    def commit(self):
        pass

    def rollback(self):
        pass

    def close(self):
        pass


class Cursor:
    def __init__(self, con):
        self.con, self.description, self.rows = con, None, []

    def execute(self, sql, params=None):
        self.con.log.append((sql, self.con.autocommit))
        if "pg_table_def" in sql:
            distkey, sortkey = self.con.cluster.have.get(params[0], (None, ()))
            cols = {distkey, *sortkey, "other"} - {None}
            self.description = [("column", 1043), ("distkey", 16), ("sortkey", 23)]
            self.rows = [
                (c, c == distkey, sortkey.index(c) + 1 if c in sortkey else 0) for c in cols
            ]
        if self.con.cluster.fail_on and sql.startswith(self.con.cluster.fail_on):
            raise RuntimeError("ALTER DISTKEY is already running")

    def fetchall(self):
        return self.rows

    def close(self):
        pass


@pytest.fixture
def redshift(monkeypatch):
    import redshift_connector

    def make(have=None, fail_on=None):
        cluster = Cluster(have or {}, fail_on)
        monkeypatch.setattr(redshift_connector, "connect", cluster.connect)
        return cluster

    return make


def _alters(con):
    return [(sql, auto) for sql, auto in con.log if sql.startswith("ALTER")]


def test_redshift_alters_each_table_on_its_own_autocommit_connection(redshift):
    cluster = redshift({"readings": ("meter_id", ("meter_id", "ts"))})  # already done
    with connect(URL).transaction() as tx:
        _migration().run(tx)
    migration_con, auto_con = cluster.connections
    assert _alters(migration_con) == []  # nothing inside the migration's transaction block
    assert all(auto for _, auto in _alters(auto_con))
    assert [sql for sql, _ in _alters(auto_con)] == [
        "ALTER TABLE dq_meter_days ALTER DISTSTYLE KEY DISTKEY meter_id",
        "ALTER TABLE dq_meter_days ALTER COMPOUND SORTKEY (day, account_id)",
        "ALTER TABLE meter_clock_days ALTER DISTSTYLE KEY DISTKEY meter_id",
        "ALTER TABLE meter_clock_days ALTER COMPOUND SORTKEY (day, meter_id)",
        "ALTER TABLE reading_changes ALTER DISTSTYLE KEY DISTKEY meter_id",
        "ALTER TABLE reading_changes ALTER COMPOUND SORTKEY (day, meter_id)",
        "ALTER TABLE dq_issues ALTER DISTSTYLE KEY DISTKEY issue_id",
        "ALTER TABLE dq_issues ALTER COMPOUND SORTKEY (kind, status, start_ts)",
        "ALTER TABLE issue_events ALTER DISTSTYLE KEY DISTKEY issue_id",
        "ALTER TABLE issue_events ALTER COMPOUND SORTKEY (changed_at)",
    ]
    assert sum("pg_table_def" in sql for sql, _ in auto_con.log) == len(keys.KEYS)


def test_redshift_rerun_changes_only_what_differs(redshift):
    have = {k.table: (k.distkey, k.sortkey) for k in keys.KEYS}
    have["dq_issues"] = ("issue_id", ("start_ts",))  # sort key changed by hand since
    cluster = redshift(have)
    with connect(URL).transaction() as tx:
        _migration().run(tx)
    assert [sql for sql, _ in _alters(cluster.connections[1])] == [
        "ALTER TABLE dq_issues ALTER COMPOUND SORTKEY (kind, status, start_ts)"
    ]


def test_redshift_failure_names_the_statement_and_how_to_finish(redshift):
    redshift(fail_on="ALTER TABLE dq_issues")
    db = connect(URL)
    with pytest.raises(MigrationError, match=r"ALTER TABLE dq_issues ALTER DISTSTYLE KEY") as err:
        with db.transaction() as tx:
            _migration().run(tx)
    assert "python -m jobs migrate" in str(err.value) and "(8 statements)" in str(err.value)


def test_postgresql_gets_the_matching_indexes(pg_url):
    open_warehouse(pg_url)
    with psycopg.connect(pg_url) as con:
        have = {
            r[0]
            for r in con.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            )
        }
    assert {name for name, _, _ in keys.POSTGRES_INDEXES} <= have
    assert migrations.apply(connect(pg_url)) == []  # recorded once


def test_duckdb_is_left_alone(tmp_path):
    db = open_warehouse(f"duckdb:///{tmp_path}/w.duckdb")
    assert 9 in migrations.applied_versions(db)
    assert db.fetch_value("SELECT count(*) FROM duckdb_indexes()") == 0


def test_every_key_column_exists(fresh_db):
    for k in keys.KEYS:
        have = set(fresh_db.fetch_df(f"SELECT * FROM {k.table} LIMIT 0").columns)
        assert {k.distkey, *k.sortkey} <= have, k.table
    for name, table, cols in keys.POSTGRES_INDEXES:
        have = set(fresh_db.fetch_df(f"SELECT * FROM {table} LIMIT 0").columns)
        assert set(cols) <= have, name
