"""core.worker.service in process: outcomes in dq_runs, ticks, run-now requests, recovery.

The worker as a process (SIGTERM, SIGKILL, two workers) is in tests/jobs/test_serve.py.
"""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from apscheduler.triggers.date import DateTrigger

from core import runs
from core.db import open_warehouse
from core.worker import runqueue, tasks
from core.worker.service import Worker
from tests.core.worker.times import NOW, utc


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def fake_job(db, params, calls, fail=None, seconds=0.0, job="dq"):
    """A job that records its run like the real ones; raises ``fail`` after starting."""
    run = runs.Run(job, dict(params))
    runs.start(db, run)
    calls.append((job, dict(params), time.monotonic()))
    try:
        time.sleep(seconds)
        if fail is not None:
            raise fail
    except BaseException as exc:
        runs.fail(db, run, exc)
        raise
    with db.transaction() as tx:
        runs.finish(tx, run)
    calls.append((job, "end", time.monotonic()))
    return SimpleNamespace(run_id=run.run_id, status=run.status)


def fakes(calls, fail=(), seconds=0.0):
    """Fake tasks for every job; jobs in ``fail`` raise (once each)."""
    pending = set(fail)

    def make(job):
        def task(db, params, today):
            if job in pending:
                pending.discard(job)
                return fake_job(db, params, calls, RuntimeError(f"{job} broke"), seconds, job)
            return fake_job(db, params, calls, None, seconds, job)

        return task

    return {job: make(job) for job in tasks.JOBS}


def _runs(db):
    return db.fetch_df("SELECT run_id, job, status, error FROM dq_runs ORDER BY started_at")


def _requests(db):
    return db.fetch_df(
        "SELECT request_id, job, params, requested_by, status, attempts, run_id, error, picked_at "
        "FROM run_requests WHERE status <> 'skipped' ORDER BY requested_at"
    )


# ---- ticks and outcomes ---------------------------------------------------------------------


def test_a_job_that_raises_is_recorded_failed_and_the_next_tick_runs(fresh_db):
    calls = []
    clock = Clock()
    worker = Worker(fresh_db, fakes(calls, fail={"dq"}), clock=clock)
    worker.tick("dq")
    clock.now += timedelta(days=1)
    worker.tick("dq")
    first, second = worker.outcomes
    assert (first.status, first.error) == ("failed", "RuntimeError: dq broke")
    assert second.status == "ok"
    recorded = _runs(fresh_db)
    assert list(recorded.status) == ["failed", "ok"]
    assert recorded.error[0] == "RuntimeError: dq broke"
    ticks = _requests(fresh_db)
    assert list(ticks.requested_by) == ["schedule", "schedule"]
    assert list(ticks.status) == ["failed", "ok"]
    assert list(ticks.run_id) == list(recorded.run_id)
    # the same tick again (same fire time) is not run twice
    worker.tick("dq")
    assert len(worker.outcomes) == 2


def test_a_job_that_fails_before_recording_is_recorded_by_the_worker(fresh_db):
    # The real dq task on a warehouse without readings raises before the job starts a run.
    worker = Worker(fresh_db, clock=Clock())
    worker.tick("dq")
    (outcome,) = worker.outcomes
    assert outcome.status == "failed" and "no readings yet" in outcome.error
    row = fresh_db.fetch_all("SELECT job, status, error, params FROM dq_runs")
    assert row[0][:2] == ("dq", "failed") and "no readings yet" in row[0][2]
    assert json.loads(row[0][3]) == {"date": "latest"}
    worker.tick("bills")  # the next tick still runs: no bills is an ok bill run
    assert [o.status for o in worker.outcomes] == ["failed", "ok"]


def test_tick_partitions_come_from_the_fire_time(fresh_db):
    calls = []
    clock = Clock(utc(2026, 4, 2, 9, 0))  # a late tick still runs for its own fire time
    worker = Worker(fresh_db, fakes(calls), clock=clock)
    for job in ("dq", "bills", "overshoot"):
        worker.tick(job)
    params = {job: p for job, p, _ in calls if p != "end"}
    assert params == {
        "dq": {"date": "latest"},
        "bills": {"date": "2026-04-02"},
        "overshoot": {"month": "2026-03"},
    }


# ---- run-now requests -----------------------------------------------------------------------


def test_run_now_request_is_picked_up_and_recorded_with_its_run(fresh_db):
    calls = []
    req, new = runqueue.enqueue(fresh_db, "overshoot", {"month": "2026-02"}, "ada")
    again, new_again = runqueue.enqueue(fresh_db, "overshoot", {"month": "2026-02"}, "bob")
    assert new and not new_again and again.request_id == req.request_id  # no duplicate queued
    assert Worker(fresh_db, fakes(calls), clock=Clock()).once() == 0
    assert calls[0][:2] == ("overshoot", {"month": "2026-02"})
    (row,) = _requests(fresh_db).itertuples()
    assert (row.request_id, row.requested_by, row.status, row.attempts) == (
        req.request_id,
        "ada",
        "ok",
        1,
    )
    assert row.picked_at is not None
    assert fresh_db.fetch_all(
        "SELECT job, status FROM dq_runs WHERE run_id = ?", (row.run_id,)
    ) == [("overshoot", "ok")]
    assert runqueue.queued(fresh_db) == []


def test_once_returns_3_when_a_run_failed(fresh_db):
    runqueue.enqueue(fresh_db, "bills", {"date": "2026-03-01"}, "ada")
    runqueue.enqueue(fresh_db, "dq", {"date": "2026-03-01"}, "ada")
    worker = Worker(fresh_db, fakes([], fail={"bills"}), clock=Clock())
    assert worker.once() == 3
    assert [(o.job, o.status) for o in worker.outcomes] == [("bills", "failed"), ("dq", "ok")]
    assert Worker(fresh_db, fakes([]), clock=Clock()).once() == 0  # nothing left: ok


def test_one_run_at_a_time_under_the_scheduler(db_path):
    """Three schedules fire at the same moment and a request is queued: runs never overlap."""
    db = open_warehouse(db_path)
    calls = []
    at = datetime.now(UTC) + timedelta(seconds=0.3)
    triggers = {job: DateTrigger(at) for job in tasks.JOBS}
    runqueue.enqueue(db, "bills", {"date": "2026-03-01"}, "ada")
    worker = Worker(db, fakes(calls, seconds=0.2), triggers=triggers, poll_seconds=0.05)
    thread = threading.Thread(target=worker.serve)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(worker.outcomes) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(20)
    assert not thread.is_alive() and worker.exit_code == 0
    assert sorted(o.job for o in worker.outcomes) == ["bills", "bills", "dq", "overshoot", "sync"]
    assert all(o.status == "ok" for o in worker.outcomes)
    # starts and ends alternate: each run ended before the next began
    assert [p == "end" for _, p, _ in calls] == [False, True] * 5
    assert [t for *_, t in calls] == sorted(t for *_, t in calls)


def test_stop_lets_the_running_job_finish_and_starts_no_other(db_path):
    db = open_warehouse(db_path)
    calls = []
    runqueue.enqueue(db, "dq", {"date": "2026-03-01"}, "ada")
    runqueue.enqueue(db, "bills", {"date": "2026-03-01"}, "ada")
    worker = Worker(db, fakes(calls, seconds=0.5), triggers={}, poll_seconds=0.05)
    thread = threading.Thread(target=worker.serve)
    thread.start()
    deadline = time.monotonic() + 20
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop()
    thread.join(20)
    assert [o.job for o in worker.outcomes] == ["dq"] and worker.outcomes[0].status == "ok"
    assert [r.job for r in runqueue.queued(db)] == ["bills"]  # waits for the next start


# ---- catching up and recovering -------------------------------------------------------------


def test_first_start_records_the_last_ticks_without_running_them(fresh_db):
    worker = Worker(fresh_db, fakes([]), clock=Clock())
    assert worker.once() == 0 and worker.outcomes == []
    rows = fresh_db.fetch_all("SELECT job, requested_at, status FROM run_requests ORDER BY job")
    assert rows == [
        ("bills", datetime(2026, 3, 10, 3, 0), "skipped"),
        ("dq", datetime(2026, 3, 10, 2, 30), "skipped"),
        ("overshoot", datetime(2026, 3, 2, 4, 0), "skipped"),
        ("sync", datetime(2026, 3, 10, 2, 0), "skipped"),
    ]


def test_ticks_missed_while_no_worker_ran_run_once_at_start(fresh_db):
    calls = []
    Worker(fresh_db, fakes(calls), clock=Clock()).once()  # first start, 10 March noon
    later = Worker(fresh_db, fakes(calls), clock=Clock(utc(2026, 3, 13, 12, 0)))
    assert later.once() == 0
    # three sync, dq and bills ticks were missed: each job runs once (coalesced), in schedule
    # order (the sync before the DQ run), overshoot none
    assert [(c[0], c[1]) for c in calls if c[1] != "end"] == [
        ("sync", {"since": "last"}),
        ("dq", {"date": "latest"}),
        ("bills", {"date": "2026-03-13"}),
    ]
    assert Worker(fresh_db, fakes(calls), clock=Clock(utc(2026, 3, 13, 13, 0))).once() == 0
    assert len(calls) == 6  # nothing missed since


def test_start_closes_runs_a_dead_worker_left_and_queues_them_again(fresh_db):
    req, _ = runqueue.enqueue(fresh_db, "dq", {"date": "2026-03-01"}, "ada")
    runqueue.claim(fresh_db, req)
    dead = runs.Run("dq", {"date": "2026-03-01"})
    runs.start(fresh_db, dead)  # ... and then the worker was killed
    calls = []
    worker = Worker(fresh_db, fakes(calls), clock=Clock())
    assert worker.once() == 0
    status, error = fresh_db.fetch_all(
        "SELECT status, error FROM dq_runs WHERE run_id = ?", (dead.run_id,)
    )[0]
    assert status == "failed" and error.startswith("worker died")
    (row,) = _requests(fresh_db).itertuples()
    assert (row.status, row.attempts) == ("ok", 2) and row.run_id != dead.run_id
    assert len([c for c in calls if c[1] != "end"]) == 1


def test_a_request_that_keeps_killing_the_worker_is_given_up(fresh_db):
    req, _ = runqueue.enqueue(fresh_db, "dq", {"date": "2026-03-01"}, "ada")
    for _ in range(runqueue.MAX_ATTEMPTS):
        req = runqueue.claim(fresh_db, req)
        runs.start(fresh_db, runs.Run("dq", {}))
        if req.attempts < runqueue.MAX_ATTEMPTS:
            assert runqueue.recover(fresh_db) == [
                f"dq request {req.request_id} left running by a dead worker: queued again"
            ]
    assert "given up" in runqueue.recover(fresh_db)[0]
    (row,) = _requests(fresh_db).itertuples()
    assert row.status == "failed" and "3 times" in row.error
    assert fresh_db.fetch_value("SELECT count(*) FROM dq_runs WHERE status = 'running'") == 0


def test_a_request_whose_run_finished_keeps_its_outcome(fresh_db):
    req, _ = runqueue.enqueue(fresh_db, "dq", {"date": "2026-03-01"}, "ada")
    runqueue.claim(fresh_db, req)
    done = runs.Run("dq", {})
    runs.start(fresh_db, done)
    with fresh_db.transaction() as tx:
        runs.finish(tx, done)  # killed after the run's transaction, before the request's update
    runqueue.recover(fresh_db)
    (row,) = _requests(fresh_db).itertuples()
    assert (row.status, row.run_id) == ("ok", done.run_id)
