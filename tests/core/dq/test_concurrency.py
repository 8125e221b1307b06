"""A triage write from another process while the DQ job runs must land (DuckDB single-writer)."""

import os
import subprocess
import sys
import time
from pathlib import Path

from core import triage
from core.auth import User
from core.db import connect

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
