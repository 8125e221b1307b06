"""Faults with nothing lost: the warehouse connection drops in the middle of the job's write.

Runs on DuckDB and on the real local PostgreSQL server. On PostgreSQL the job's own session is
terminated by the server (``pg_terminate_backend``) just before the last write of the run's
one result transaction; on DuckDB the write raises the driver's connection error.
"""

import duckdb
import pandas as pd
import pytest

from core import triage
from core.auth import User
from core.dq import job, store

ALICE = User("alice", "Alice", "staff", None)


def _issues(db):
    return db.fetch_df(
        "SELECT issue_id, detector, start_ts, end_ts, status, status_by, status_note "
        "FROM dq_issues ORDER BY issue_id"
    )


def _drop_connection_before(monkeypatch, name):
    """Make ``store.<name>`` lose the warehouse connection when the job calls it."""
    original = getattr(store, name)

    def dropped(tx, *args, **kwargs):
        con = tx.con
        if isinstance(con, duckdb.DuckDBPyConnection):
            raise duckdb.ConnectionException("Connection was closed (simulated network drop)")
        con.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return original(tx, *args, **kwargs)  # never reached: the session is gone

    monkeypatch.setattr(store, name, dropped)


def test_dropped_connection_rolls_back_and_the_rerun_completes(fleet_db, monkeypatch):
    db, day = fleet_db
    first = job.run(db, day)
    assert first.status == "ok" and first.issues_found > 0
    clean = _issues(db)
    issue = clean.loc[clean["status"] == "open", "issue_id"].iloc[0]
    triage.set_status(db, ALICE, issue, "acknowledged", note="site called back")
    before = _issues(db)
    days_before = db.fetch_value("SELECT count(*) FROM dq_meter_days")

    _drop_connection_before(monkeypatch, "replace_meter_days")  # late in the write
    with pytest.raises(Exception, match="(?i)terminat|closed|connection"):
        job.run(db, day)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(_issues(db), before)  # nothing half-written
    assert db.fetch_value("SELECT count(*) FROM dq_meter_days") == days_before
    runs = db.fetch_all("SELECT status FROM dq_runs ORDER BY started_at")
    assert [r[0] for r in runs] == ["ok", "failed"]

    again = job.run(db, day)
    after = _issues(db)
    assert again.status == "ok" and again.issues_found == first.issues_found
    assert after["issue_id"].is_unique and len(after) == len(clean)
    row = after.set_index("issue_id").loc[issue]
    assert (row["status"], row["status_by"], row["status_note"]) == (
        "acknowledged",
        "alice",
        "site called back",
    )
    assert db.fetch_value("SELECT count(*) FROM dq_meter_days") == days_before
