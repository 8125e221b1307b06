"""The job worker in process: schedules, outcomes in dq_runs, the run-now queue, recovery, locks.

The worker as a process (SIGTERM, SIGKILL, two workers) is in tests/jobs/test_serve.py.
"""

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from apscheduler.triggers.date import DateTrigger

from core import runs
from core.db import open_warehouse
from core.errors import ConfigError, DQHubError
from core.worker import lock, runqueue, schedules, service, tasks
from core.worker.service import Worker

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# ---- schedules ------------------------------------------------------------------------------


def _next(setting, count=2, now=NOW):
    schedule = next(s for s in schedules.SCHEDULES if s.setting == setting)
    return schedules.next_fire_times(schedules.trigger(schedule), now, count)


def test_default_schedules_next_fire_times():
    assert _next("DQ_SCHEDULE_DQ") == [utc(2026, 3, 11, 2, 30), utc(2026, 3, 12, 2, 30)]
    assert _next("DQ_SCHEDULE_BILLS") == [utc(2026, 3, 11, 3, 0), utc(2026, 3, 12, 3, 0)]
    # the 2nd of each month: the overshoot scan of the month before
    assert _next("DQ_SCHEDULE_OVERSHOOT") == [utc(2026, 4, 2, 4, 0), utc(2026, 5, 2, 4, 0)]
    assert _next("DQ_SCHEDULE_OVERSHOOT", 1, utc(2026, 12, 31, 23, 0)) == [utc(2027, 1, 2, 4, 0)]


def test_schedules_follow_their_time_zone_through_dst(monkeypatch):
    monkeypatch.setenv("DQ_SCHEDULE_TIMEZONE", "Europe/London")
    monkeypatch.setenv("DQ_SCHEDULE_BILLS", "0 3 * * *")
    fires = _next("DQ_SCHEDULE_BILLS", 3, utc(2026, 3, 27, 12, 0))  # BST starts 29 March 01:00 UTC
    assert [f.astimezone(UTC) for f in fires] == [
        utc(2026, 3, 28, 3, 0),
        utc(2026, 3, 29, 2, 0),
        utc(2026, 3, 30, 2, 0),
    ]


def test_crontab_weekday_numbers_count_from_sunday(monkeypatch):
    # APScheduler 3 reads 0 as Monday; the settings are crontab, where 0 and 7 are Sunday.
    monkeypatch.setenv("DQ_SCHEDULE_DQ", "0 6 * * 0")
    assert _next("DQ_SCHEDULE_DQ", 1) == [utc(2026, 3, 15, 6, 0)]  # Sunday
    monkeypatch.setenv("DQ_SCHEDULE_DQ", "0 6 * * 7")
    assert _next("DQ_SCHEDULE_DQ", 1) == [utc(2026, 3, 15, 6, 0)]
    monkeypatch.setenv("DQ_SCHEDULE_DQ", "0 6 * * 1-5")
    fires = _next("DQ_SCHEDULE_DQ", 5, utc(2026, 3, 13, 12, 0))  # from Friday noon
    assert [f.strftime("%a %d") for f in fires] == [
        "Mon 16",
        "Tue 17",
        "Wed 18",
        "Thu 19",
        "Fri 20",
    ]
    monkeypatch.setenv("DQ_SCHEDULE_DQ", "0 6 * * */3")  # Sun, Wed, Sat
    fires = _next("DQ_SCHEDULE_DQ", 3, NOW)
    assert [f.strftime("%a") for f in fires] == ["Wed", "Sat", "Sun"]
    monkeypatch.setenv("DQ_SCHEDULE_DQ", "0 6 * * sat,sun")
    assert [f.strftime("%a") for f in _next("DQ_SCHEDULE_DQ", 2)] == ["Sat", "Sun"]


@pytest.mark.parametrize("bad", ["every day", "30 2 * *", "61 2 * * *", "0 3 * * 9", "0 3 32 * *"])
def test_a_bad_crontab_names_its_setting(monkeypatch, fresh_db, bad):
    monkeypatch.setenv("DQ_SCHEDULE_BILLS", bad)
    with pytest.raises(ConfigError, match=r"DQ_SCHEDULE_BILLS=.*crontab"):
        schedules.trigger(schedules.SCHEDULES[1])
    with pytest.raises(ConfigError, match="DQ_SCHEDULE_BILLS"):
        Worker(fresh_db)  # the worker checks every schedule before it runs anything


def test_a_bad_time_zone_names_its_setting(monkeypatch):
    monkeypatch.setenv("DQ_SCHEDULE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="DQ_SCHEDULE_TIMEZONE='Mars/Olympus'"):
        schedules.trigger(schedules.SCHEDULES[0])


def test_last_fire_time():
    trig = schedules.cron_trigger("0 4 2 * *", "X")
    assert schedules.last_fire_time(trig, NOW) == utc(2026, 3, 2, 4, 0)
    assert schedules.last_fire_time(trig, utc(2026, 3, 2, 4, 0)) == utc(2026, 3, 2, 4, 0)
    every_minute = schedules.cron_trigger("* * * * *", "X")
    assert schedules.last_fire_time(every_minute, utc(2026, 3, 10, 12, 0, 30)) == NOW
    assert schedules.last_fire_time(schedules.cron_trigger("0 0 29 2 *", "X"), NOW) == utc(
        2024, 2, 29
    )


# ---- fakes ----------------------------------------------------------------------------------


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


def test_dq_task_scores_the_latest_full_day(fresh_db, monkeypatch):
    seen = []
    monkeypatch.setattr("core.dq.job.run", lambda db, day: seen.append(day) or SimpleNamespace(
        run_id="r", status="ok"))  # fmt: skip
    fresh_db.execute(
        "INSERT INTO readings VALUES ('m', TIMESTAMP '2026-03-10 08:00', 1, 'platform')"
    )
    tasks.execute(fresh_db, "dq", {"date": "latest"}, date(2026, 3, 20))
    tasks.execute(fresh_db, "dq", None, date(2026, 3, 10))  # readings reach today: yesterday
    tasks.execute(fresh_db, "dq", {"date": "2026-01-05"}, date(2026, 3, 10))
    assert seen == [date(2026, 3, 10), date(2026, 3, 9), date(2026, 1, 5)]


def test_check_params():
    assert tasks.check_params("dq", None) == {"date": "latest"}
    assert tasks.check_params("bills", {"date": "2026-03-01"}) == {"date": "2026-03-01"}
    assert tasks.check_params("overshoot", {"month": None}) == {"month": "last"}
    with pytest.raises(DQHubError, match="Unknown job 'nope'; expected one of dq, bills"):
        tasks.check_params("nope", {})
    with pytest.raises(DQHubError, match="not YYYY-MM-DD"):
        tasks.check_params("dq", {"date": "tomorrow"})
    with pytest.raises(DQHubError, match="not YYYY-MM"):
        tasks.check_params("overshoot", {"month": "2026-13"})
    with pytest.raises(DQHubError, match="unknown parameter"):
        tasks.check_params("bills", {"month": "2026-01"})


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
        while len(worker.outcomes) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(20)
    assert not thread.is_alive() and worker.exit_code == 0
    assert sorted(o.job for o in worker.outcomes) == ["bills", "bills", "dq", "overshoot"]
    assert all(o.status == "ok" for o in worker.outcomes)
    # starts and ends alternate: each run ended before the next began
    assert [p == "end" for _, p, _ in calls] == [False, True] * 4
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
    ]


def test_ticks_missed_while_no_worker_ran_run_once_at_start(fresh_db):
    calls = []
    Worker(fresh_db, fakes(calls), clock=Clock()).once()  # first start, 10 March noon
    later = Worker(fresh_db, fakes(calls), clock=Clock(utc(2026, 3, 13, 12, 0)))
    assert later.once() == 0
    # three dq and bills ticks were missed: each job runs once (coalesced), overshoot none
    assert [(c[0], c[1]) for c in calls if c[1] != "end"] == [
        ("dq", {"date": "latest"}),
        ("bills", {"date": "2026-03-13"}),
    ]
    assert Worker(fresh_db, fakes(calls), clock=Clock(utc(2026, 3, 13, 13, 0))).once() == 0
    assert len(calls) == 4  # nothing missed since


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


def test_run_requests_sql_runs_on_every_backend(any_db):
    req, _ = runqueue.enqueue(any_db, "bills", {"date": "2026-03-01"}, "ada")
    tick = runqueue.record_tick(any_db, "dq", {}, datetime(2026, 3, 1, 2, 30))
    assert runqueue.record_tick(any_db, "dq", {}, datetime(2026, 3, 1, 2, 30)) is None
    assert runqueue.last_tick(any_db, "dq") == datetime(2026, 3, 1, 2, 30)
    assert [r.request_id for r in runqueue.queued(any_db)] == [tick.request_id, req.request_id]
    claimed = runqueue.claim(any_db, req)
    runs.start(any_db, runs.Run("bills", {}))
    assert "queued again" in runqueue.recover(any_db)[0]
    claimed = runqueue.claim(any_db, runqueue.queued(any_db)[1])
    runqueue.finish(any_db, claimed, tasks.Outcome("bills", "r1", "partial", None, 1.0))
    table = runqueue.table(any_db)
    assert dict(zip(table.request_id, table.status, strict=True)) == {
        req.request_id: "partial",
        tick.request_id: "queued",
    }
    assert any_db.fetch_value("SELECT count(*) FROM dq_runs WHERE status = 'running'") == 0


# ---- the singleton lock ---------------------------------------------------------------------


def test_file_lock_keeps_a_second_worker_out(tmp_path, monkeypatch):
    monkeypatch.setattr(lock, "_RETRY_S", 0.1)
    path = str(tmp_path / "w.duckdb")
    assert lock.probe_file(path) == lock.LockState(False, "no worker has run on this warehouse")
    first = lock.FileLock(path)
    first.acquire()
    try:
        state = lock.probe_file(path)
        assert state.held is True and state.holder.startswith(f"pid {__import__('os').getpid()} ")
        with pytest.raises(
            lock.WorkerBusyError, match=r"another worker already serves .*w\.duckdb"
        ):
            lock.FileLock(path).acquire()
        first.check()
    finally:
        first.release()
    assert lock.probe_file(path).held is False
    second = lock.FileLock(path)
    second.acquire()  # free again
    (tmp_path / "w.duckdb.worker.lock").unlink()
    with pytest.raises(lock.WorkerLockLostError, match="removed"):
        second.check()
    second.release()


def test_lock_for_each_backend(fresh_db, db_path):
    assert type(lock.for_database(fresh_db)) is lock.WorkerLock  # in memory: nothing to lock
    assert lock.probe(fresh_db).held is None
    assert isinstance(lock.for_database(open_warehouse(db_path)), lock.FileLock)


@pytest.mark.integration
def test_advisory_lock_keeps_a_second_worker_out(pg_url):
    db = open_warehouse(pg_url)
    first = lock.AdvisoryLock(db)
    first.acquire()
    try:
        state = lock.probe(db)
        assert state.held is True and state.holder.startswith("pid ")
        with pytest.raises(lock.WorkerBusyError, match="another worker already serves"):
            lock.AdvisoryLock(db).acquire()
        first.check()
    finally:
        first.release()
    assert lock.probe(db).held is False
    second = lock.AdvisoryLock(db)
    second.acquire()
    second.release()


def test_main_refuses_a_second_worker(db_path, monkeypatch):
    monkeypatch.setattr(lock, "_RETRY_S", 0.1)
    db = open_warehouse(db_path)
    held = lock.for_database(db)
    held.acquire()
    try:
        with pytest.raises(lock.WorkerBusyError, match="only one worker may run per warehouse"):
            service.main(db, once=True)
    finally:
        held.release()
    assert service.main(db, once=True) == 0
