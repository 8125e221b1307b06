"""``python -m jobs serve`` as a process: SIGTERM mid-run, SIGKILL mid-run and restart, two workers.

Each worker runs the real DQ job on a copy of the scored demo warehouse, with small meter chunks
so a run lasts long enough to be interrupted.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core import triage
from core.auth import User
from core.db import connect
from core.worker import runqueue

ROOT = Path(__file__).resolve().parents[2]
ALICE = User("alice", "Alice", "staff", None)
TIMEOUT = 120


def _env(url, **extra):
    return {
        **os.environ, "DQ_WAREHOUSE": url, "DQ_CHUNK_METERS": "25",
        "DQ_WORKER_POLL_SECONDS": "0.2", **extra,
    }  # fmt: skip


def _start(url, tmp_path, *flags, name="worker"):
    with open(tmp_path / f"{name}.err", "w") as out:  # the child keeps its own copy open
        proc = subprocess.Popen(
            [sys.executable, "-m", "jobs", "serve", *flags],
            cwd=ROOT, env=_env(url), stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    proc.log = tmp_path / f"{name}.err"
    return proc


def _wait_for(predicate, proc, what):
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert proc.poll() is None, f"worker exited ({proc.returncode}) before {what}: " + (
            proc.log.read_text()
        )
        assert time.monotonic() < deadline, f"no {what} after {TIMEOUT}s"
        time.sleep(0.05)


def _running(db):
    return lambda: db.fetch_value("SELECT count(*) FROM dq_runs WHERE status = 'running'") > 0


def _issues(db):
    return db.fetch_all("SELECT count(*), count(DISTINCT issue_id) FROM dq_issues")[0]


def test_sigterm_finishes_the_running_job_and_exits_0(demo_warehouse_file, tmp_path):
    url, day = demo_warehouse_file
    db = connect(url)
    dq, _ = runqueue.enqueue(db, "dq", {"date": str(day)}, "ada")
    bills, _ = runqueue.enqueue(db, "bills", {"date": str(day)}, "ada")
    worker = _start(url, tmp_path)
    _wait_for(_running(db), worker, "a running dq run")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(TIMEOUT) == 0, worker.log.read_text()
    log = worker.log.read_text()
    assert "SIGTERM: no new runs" in log and "stopped" in log
    run_id, status = db.fetch_all(
        "SELECT run_id, status FROM dq_runs ORDER BY started_at DESC LIMIT 1"
    )[0]
    assert status == "ok"  # the run finished, its results stored in its one transaction
    requests = dict(db.fetch_all("SELECT request_id, status FROM run_requests"))
    assert requests[dq.request_id] == "ok" and requests[bills.request_id] == "queued"
    assert (
        db.fetch_value("SELECT run_id FROM run_requests WHERE request_id = ?", (dq.request_id,))
        == run_id
    )


def test_sigkill_mid_run_then_restart_reruns_without_duplicates(demo_warehouse_file, tmp_path):
    url, day = demo_warehouse_file
    db = connect(url)
    issue = db.fetch_value("SELECT issue_id FROM dq_issues WHERE status = 'open' LIMIT 1")
    triage.set_status(db, ALICE, issue, "acknowledged", note="called the site")
    before = _issues(db)
    req, _ = runqueue.enqueue(db, "dq", {"date": str(day)}, "ada")
    worker = _start(url, tmp_path, "--once")
    _wait_for(_running(db), worker, "a running dq run")
    worker.kill()
    worker.wait(TIMEOUT)
    (dead,) = db.fetch_all("SELECT run_id FROM dq_runs WHERE status = 'running'")

    again = _start(url, tmp_path, "--once", name="restart")
    assert again.wait(TIMEOUT) == 0, again.log.read_text()
    assert "left running by a dead worker: queued again" in again.log.read_text()
    status, error = db.fetch_all("SELECT status, error FROM dq_runs WHERE run_id = ?", dead)[0]
    assert status == "failed" and error.startswith("worker died")
    row = db.fetch_all(
        "SELECT status, attempts, run_id FROM run_requests WHERE request_id = ?",
        (req.request_id,),
    )[0]
    assert row[:2] == ("ok", 2) and row[2] != dead[0]
    assert db.fetch_value("SELECT status FROM dq_runs WHERE run_id = ?", (row[2],)) == "ok"
    assert _issues(db) == before  # the rerun updated the same issues
    assert db.fetch_all(
        "SELECT status, status_by, status_note FROM dq_issues WHERE issue_id = ?", (issue,)
    ) == [("acknowledged", "alice", "called the site")]


def test_a_second_worker_exits_with_a_message(demo_warehouse_file, tmp_path):
    url, _ = demo_warehouse_file
    lock_file = Path(url.removeprefix("duckdb:///") + ".worker.lock")
    first = _start(url, tmp_path)
    _wait_for(
        lambda: lock_file.exists() and lock_file.read_text().startswith(f"pid {first.pid} "),
        first,
        "the first worker's lock",
    )
    second = subprocess.run(
        [sys.executable, "-m", "jobs", "serve", "--once"],
        cwd=ROOT, env=_env(url), capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert second.returncode == 2
    assert second.stderr.startswith("error: another worker already serves")
    assert f"pid {first.pid} " in second.stderr
    assert first.poll() is None  # the first one goes on
    first.send_signal(signal.SIGTERM)
    assert first.wait(TIMEOUT) == 0, first.log.read_text()
