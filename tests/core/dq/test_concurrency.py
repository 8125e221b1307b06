"""A triage write made while the DQ job runs must land (DuckDB single writer; PostgreSQL locks)."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core import triage
from core.auth import User
from core.db import connect
from core.dq import job, store

ALICE = User("alice", "Alice", "staff", None)

ROOT = Path(__file__).resolve().parents[3]


def test_triage_write_lands_while_job_runs(demo_warehouse_file, monkeypatch):
    url, day = demo_warehouse_file
    db = connect(url)
    issue = db.fetch_value("SELECT issue_id FROM dq_issues WHERE status = 'open' LIMIT 1")
    assert issue is not None
    env = {**os.environ, "DQ_WAREHOUSE": url, "DQ_CHUNK_METERS": "25"}  # many short loads
    job = subprocess.Popen(
        [sys.executable, "-m", "jobs", "run", "dq", "--date", str(day), "-q"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not db.fetch_value("SELECT count(*) FROM dq_runs WHERE status = 'running'"):
        assert job.poll() is None, job.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    writes = 0
    while job.poll() is None:
        status = ("acknowledged", "open")[writes % 2]
        triage.set_status(db, ALICE, issue, status, note=f"edit {writes}")
        writes += 1
    out, err = job.communicate()
    assert job.returncode == 0, err
    assert writes >= 1
    events = db.fetch_value("SELECT count(*) FROM issue_events WHERE issue_id = ?", (issue,))
    assert events == writes
    row = db.fetch_all("SELECT status_by, status_note FROM dq_issues WHERE issue_id = ?", (issue,))
    assert row == [("alice", f"edit {writes - 1}")]  # the job kept the person's last edit
    runs = db.fetch_all("SELECT status FROM dq_runs ORDER BY started_at DESC LIMIT 1")
    assert runs == [("ok",)]


@pytest.mark.parametrize("any_url", ["postgres"], indirect=True)
def test_edit_committed_during_the_jobs_write_is_kept_on_postgresql(fleet_db, monkeypatch):
    """PostgreSQL lets writers overlap: the job locks dq_issues before reading statuses, so an
    edit made meanwhile waits for the job's commit and lands on the job's rows (not lost)."""
    db, day = fleet_db
    job.run(db, day)
    issue = db.fetch_value("SELECT issue_id FROM dq_issues WHERE status = 'open' LIMIT 1")
    original = store._in_batches
    editor: list[threading.Thread] = []

    def read_then_let_a_person_edit(tx, sql, ids, prefix=None):
        rows = original(tx, sql, ids, prefix)
        if "first_seen_run" in sql and not editor:  # the job just read the current statuses
            t = threading.Thread(
                target=triage.set_status, args=(db, ALICE, issue, "acknowledged", "mine")
            )
            editor.append(t)
            t.start()
            t.join(timeout=1.0)  # without the lock the edit commits here, before the job writes
        return rows

    monkeypatch.setattr(store, "_in_batches", read_then_let_a_person_edit)
    assert job.run(db, day).status == "ok"
    editor[0].join(timeout=30)
    assert db.fetch_all(
        "SELECT status, status_by, status_note FROM dq_issues WHERE issue_id = ?", (issue,)
    ) == [("acknowledged", "alice", "mine")]
    assert db.fetch_value("SELECT count(*) FROM issue_events WHERE issue_id = ?", (issue,)) == 1
