"""DQ_PROJECTS_DB_URL: AFDD faults and projects in their own PostgreSQL database (real server)."""

import subprocess
import sys
from pathlib import Path

import pytest

from core.db import open_warehouse
from core.db.postgres import PostgresDatabase
from core.errors import ConfigError
from core.overshoot import job, store
from tests.core.overshoot import test_job as wh

ROOT = Path(__file__).resolve().parents[3]


def test_empty_setting_keeps_them_in_the_warehouse(fresh_db, monkeypatch):
    monkeypatch.setenv("DQ_PROJECTS_DB_URL", "")
    assert store.projects_db(fresh_db) is fresh_db


def test_only_postgresql_is_accepted(fresh_db):
    with pytest.raises(ConfigError, match=r"DQ_PROJECTS_DB_URL='mysql://u:\*\*\*@h/db'"):
        store.projects_db(fresh_db, "mysql://u:secret@h/db")


def test_projects_database_gets_its_own_schema_once(fresh_db, pg_url):
    pdb = store.projects_db(fresh_db, pg_url)
    assert isinstance(pdb, PostgresDatabase)
    for table in ("afdd_faults", "projects", "project_events", store.MIGRATIONS_TABLE):
        assert pdb.table_exists(table)
    assert not pdb.table_exists("dq_issues")  # the warehouse schema stays in the warehouse
    store.projects_db(fresh_db, pg_url)  # idempotent
    assert pdb.fetch_value(f"SELECT count(*) FROM {store.MIGRATIONS_TABLE}") == 1


def test_job_writes_faults_and_projects_to_postgresql(fresh_db, pg_url, monkeypatch):
    monkeypatch.setenv("DQ_PROJECTS_DB_URL", pg_url)
    wh.build(fresh_db)
    first = job.run(fresh_db, wh.MONTH)
    pdb = store.projects_db(fresh_db)
    assert first.faults == 2 and first.projects["created"] == 2
    faults = pdb.fetch_df("SELECT building_id, overshoot_days FROM afdd_faults ORDER BY 1")
    assert faults["building_id"].tolist() == ["A", "C"]
    assert fresh_db.fetch_value("SELECT count(*) FROM afdd_faults") == 0
    assert fresh_db.fetch_value("SELECT count(*) FROM overshoot_days") > 0  # days stay local

    # A person starts work on A's project; the rerun keeps it byte for byte, C is unchanged.
    pid = pdb.fetch_value("SELECT project_id FROM projects WHERE building_id = 'A'")
    pdb.execute(
        "UPDATE projects SET status = 'IN_PROGRESS', updated_by = 'bse1' WHERE project_id = ?",
        (pid,),
    )
    before = pdb.fetch_df("SELECT * FROM projects ORDER BY project_id")
    again = job.run(fresh_db, wh.MONTH)
    after = pdb.fetch_df("SELECT * FROM projects ORDER BY project_id")
    assert again.projects == {**dict.fromkeys(again.projects, 0), "kept": 1, "unchanged": 1}
    assert after.equals(before)
    assert pdb.fetch_value("SELECT count(*) FROM afdd_faults") == 2  # replaced, not doubled
    assert fresh_db.fetch_value("SELECT count(*) FROM dq_runs WHERE status = 'ok'") == 2


def test_export_reads_the_projects_database(tmp_path, pg_url):
    url = f"duckdb:///{tmp_path}/wh.duckdb"
    db = open_warehouse(url)
    wh.build(db)
    env = {
        "DQ_WAREHOUSE": url,
        "DQ_PROJECTS_DB_URL": pg_url,
        "PATH": "/usr/bin:/bin",
        "DQ_SECRETS_FILE": str(tmp_path / "none.toml"),
    }
    run = [sys.executable, "-m", "jobs"]
    subprocess.run(
        [*run, "run", "overshoot", "--month", wh.MONTH],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [*run, "export", "projects", "--format", "csv"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = out.strip().splitlines()
    assert lines[0].startswith("project_id,building_id,type,status") and len(lines) == 3
    assert db.fetch_value("SELECT count(*) FROM projects") == 0
