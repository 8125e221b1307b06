import pytest

from core.db import connect, migrations, open_warehouse
from core.errors import MigrationError

CONTRACT_COLUMNS = {
    "dq_runs": "run_id job params started_at finished_at status units_total units_failed "
    "issues_found error",
    "dq_issues": "issue_id kind detector account_id building_id meter_id bill_id source start_ts "
    "end_ts severity magnitude details first_seen_run last_seen_run status status_by status_at "
    "status_note",
    "dq_meter_days": "meter_id day source expected_points present_points completeness "
    "flagged_points score",
    "meters": "meter_id building_id account_id kind unit building_name account_name timezone "
    "dq_enabled account_active building_archived interval_minutes",
    "readings": "meter_id ts value source",
    "bills": "bill_id account_id building_id meter_id commodity period_start period_end usage "
    "usage_unit cost demand_kw estimated",
}


def test_fresh_warehouse_has_contract_columns(any_db):
    for table, cols in CONTRACT_COLUMNS.items():
        have = set(any_db.fetch_df(f"SELECT * FROM {table} LIMIT 0").columns)
        assert set(cols.split()) <= have, table


def test_apply_is_idempotent_and_recorded(any_url):
    db = connect(any_url)
    assert migrations.pending(db) == []
    assert migrations.apply(db) == []
    versions = db.fetch_all("SELECT version, name FROM schema_migrations ORDER BY version")
    assert versions[0] == (1, "init")
    assert len(versions) == len(migrations.discover())


def test_pending_is_read_only(tmp_path):
    db = connect(f"duckdb:///{tmp_path}/empty.duckdb")
    assert [m.version for m in migrations.pending(db)][0] == 1
    assert not db.table_exists("schema_migrations")


def test_duplicate_version_fails_loudly(tmp_path):
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (x INTEGER);")
    (tmp_path / "0001_b.sql").write_text("CREATE TABLE b (x INTEGER);")
    with pytest.raises(MigrationError, match="Duplicate migration version 0001"):
        migrations.discover(tmp_path)


def test_failed_migration_rolls_back_and_names_file(tmp_path):
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE ok_t (x INTEGER);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (x INTEGER);\nSELEC nonsense;")
    db = connect(f"duckdb:///{tmp_path}/w.duckdb")
    with pytest.raises(MigrationError, match="0002_bad.sql"):
        migrations.apply(db, tmp_path)
    assert db.table_exists("ok_t")
    assert not db.table_exists("half")
    assert migrations.applied_versions(db) == {1}


def test_python_migration(tmp_path):
    (tmp_path / "0001_py.py").write_text(
        "def migrate(tx):\n    tx.execute('CREATE TABLE from_py (x INTEGER)')\n"
    )
    db = connect(f"duckdb:///{tmp_path}/w.duckdb")
    assert [m.name for m in migrations.apply(db, tmp_path)] == ["py"]
    assert db.table_exists("from_py")


def test_split_statements_ignores_comments():
    sql = "-- c1;\nCREATE TABLE a (x INTEGER);\n\n-- c2\nCREATE TABLE b (y INTEGER);\n"
    assert migrations.split_statements(sql) == [
        "CREATE TABLE a (x INTEGER)",
        "CREATE TABLE b (y INTEGER)",
    ]


def test_open_warehouse_applies_on_start(tmp_path):
    db = open_warehouse(f"duckdb:///{tmp_path}/x.duckdb")
    assert migrations.current_version(db) == len(migrations.discover())
