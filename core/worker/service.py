"""The worker process: APScheduler fires the schedules; one run at a time; SIGTERM stops it cleanly.

Every run goes through ``run_requests``: a schedule tick is recorded as a request by
``schedule`` and run at once, a run-now request from the Admin page waits there until the
worker's next poll. A single-thread executor runs ticks and requests, so two runs never
overlap; each outcome lands in ``dq_runs`` and on its request.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from core import config
from core.db import cache
from core.worker import partitions, runqueue, schedules, tasks
from core.worker.lock import WorkerLock, WorkerLockLostError, for_database

if TYPE_CHECKING:
    from collections.abc import Callable

    from apscheduler.triggers.base import BaseTrigger

    from core.db.base import Database

log = logging.getLogger(__name__)

# A tick queued behind a long run (or on a host that slept) still runs this late; a later one
# is dropped by APScheduler and the next tick (or the catch-up at the next start) covers it.
MISFIRE_GRACE_S = 12 * 3600
FIRST_START = "first worker start: ticks before it are not run"


def utc_now() -> datetime:
    """The current time, aware UTC (the worker's only clock; tests pass their own)."""
    return datetime.now(UTC)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def tick_params(job: str, fire_at: datetime) -> dict[str, Any]:
    """The partition a tick at ``fire_at`` (naive UTC) runs ``job`` for."""
    if job == "bills":
        return {"date": fire_at.date().isoformat()}
    if job == "overshoot":
        return {"month": partitions.last_full_month(fire_at.date())}
    if job == "sync":
        return {"since": "last"}
    return {"date": "latest"}  # dq: the latest full day with readings when the run starts


class Worker:
    """Runs scheduled ticks and queued requests against one warehouse, one at a time.

    Parameters
    ----------
    db : Database
        The warehouse (results, ``dq_runs`` and ``run_requests``).
    task_map : mapping of job name to task, optional
        What each job runs (default: ``tasks.TASKS``; tests pass fakes).
    triggers : mapping of job name to trigger, optional
        When each job fires (default: the ``DQ_SCHEDULE_*`` settings, validated here).
    clock : callable, optional
        Returns aware UTC now.
    poll_seconds : float, optional
        How often queued requests are looked for (default ``DQ_WORKER_POLL_SECONDS``).
    lock : WorkerLock, optional
        The lock the caller holds; only an exclusive one lets the worker close dead runs.
    """

    def __init__(
        self,
        db: Database,
        task_map: Mapping[str, tasks.Task] | None = None,
        triggers: Mapping[str, BaseTrigger] | None = None,
        clock: Callable[[], datetime] = utc_now,
        poll_seconds: float | None = None,
        lock: WorkerLock | None = None,
    ) -> None:
        self.db = db
        self.task_map = task_map or tasks.TASKS
        self.triggers = dict(
            triggers
            if triggers is not None
            else {s.job: schedules.trigger(s) for s in schedules.SCHEDULES}
        )
        self.clock = clock
        self.poll_seconds = poll_seconds or config.get("DQ_WORKER_POLL_SECONDS")
        self.lock = lock or WorkerLock()
        self.stopping = threading.Event()
        self.outcomes: list[tasks.Outcome] = []
        self.exit_code = 0
        self._state = threading.Lock()
        self._busy = 0
        self._drain_queued = False
        self._scheduler: BackgroundScheduler | None = None

    # ---- work ---------------------------------------------------------------------------

    def start_up(self) -> None:
        """Close what a dead worker left, then queue ticks missed while no worker ran."""
        if self.lock.exclusive:
            for note in runqueue.recover(self.db):
                log.warning("%s", note)
        self.catch_up()

    def catch_up(self) -> None:
        """Queue one tick per job whose last fire time passed since its last recorded tick.

        Missed ticks are coalesced: however many passed, the job runs once, for the last. On a
        warehouse where no worker ever ran, the last fire time is only recorded (``skipped``).
        """
        now = self.clock()
        for job, trig in self.triggers.items():
            fire = schedules.last_fire_time(trig, now)
            if fire is None:
                continue
            fire_at = _naive_utc(fire)
            last = runqueue.last_tick(self.db, job)
            if last is None:
                runqueue.record_tick(
                    self.db, job, tick_params(job, fire_at), fire_at, "skipped", FIRST_START
                )
            elif fire_at > last:
                log.warning("%s tick of %s UTC was missed; running it now", job, fire_at)
                runqueue.record_tick(self.db, job, tick_params(job, fire_at), fire_at)

    def tick(self, job: str) -> None:
        """A schedule fired: record its tick, then run everything queued (it included)."""
        if self.stopping.is_set():
            return
        now = self.clock()
        fire_at = _naive_utc(schedules.last_fire_time(self.triggers[job], now) or now)
        runqueue.record_tick(self.db, job, tick_params(job, fire_at), fire_at)
        self.drain()

    def drain(self) -> None:
        """Run queued requests oldest first, one at a time, until none is left or stopping."""
        while not self.stopping.is_set():
            pending = runqueue.queued(self.db)
            if not pending:
                return
            self.run_request(pending[0])

    def run_request(self, req: runqueue.Request) -> tasks.Outcome:
        """Claim ``req``, run its job, record the outcome on it."""
        req = runqueue.claim(self.db, req)
        log.info(
            "%s %s starting (request %s by %s)",
            req.job, req.params, req.request_id, req.requested_by,
        )  # fmt: skip
        outcome = tasks.execute(self.db, req.job, req.params, self.clock().date(), self.task_map)
        runqueue.finish(self.db, req, outcome)
        self.outcomes.append(outcome)
        level = logging.INFO if outcome.status == "ok" else logging.WARNING
        log.log(
            level, "%s run %s %s in %.1f s%s", req.job, outcome.run_id, outcome.status,
            outcome.seconds, f": {outcome.error}" if outcome.error else "",
        )  # fmt: skip
        cache.refresh_after_job(self.db)  # a remote warehouse's app cache; never raises
        return outcome

    # ---- modes --------------------------------------------------------------------------

    def once(self) -> int:
        """Run what is due now (missed ticks, queued requests); 0, or 3 if a run was not ok."""
        self.start_up()
        self.drain()
        if not self.outcomes:
            log.info("nothing to run")
        return 3 if any(o.status != "ok" for o in self.outcomes) else 0

    def scheduler(self) -> BackgroundScheduler:
        """The APScheduler set-up: one cron job per schedule, one run at a time."""
        sched = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": MISFIRE_GRACE_S,
            },
            timezone=UTC,
        )
        for job, trig in self.triggers.items():
            sched.add_job(
                self._run_tick, trig, args=[job], id=job, name=f"{job} schedule",
                replace_existing=True,
            )  # fmt: skip
        return sched

    def serve(self) -> int:
        """Run the schedules until :meth:`stop`; return the exit code (0 after a signal)."""
        self.start_up()
        self._scheduler = self.scheduler()
        self._scheduler.start()
        for job in self._scheduler.get_jobs():
            log.info("%s next runs at %s", job.id, job.next_run_time)
        try:
            self._queue_drain()
            while not self.stopping.wait(self.poll_seconds):
                try:
                    self.lock.check()
                except WorkerLockLostError as exc:
                    log.error("%s; stopping so that a single worker remains", exc)
                    self.exit_code = 1
                    self.stopping.set()
                    break
                self._queue_drain()
        finally:
            log.info("stopping; waiting for the running job, if any")
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        log.info("stopped")
        return self.exit_code

    def stop(self) -> None:
        """Start no new run; the running one finishes (its transaction included)."""
        self.stopping.set()

    # ---- executor side ------------------------------------------------------------------

    @contextmanager
    def _running(self) -> Iterator[None]:
        with self._state:
            self._busy += 1
        try:
            yield
        finally:
            with self._state:
                self._busy -= 1

    def _run_tick(self, job: str) -> None:
        with self._running():
            try:
                self.tick(job)
            except Exception:
                log.exception("%s tick could not be recorded or run", job)

    def _run_drain(self) -> None:
        with self._running():
            try:
                self.drain()
            except Exception:
                log.exception("queued requests could not be read or recorded")
            finally:
                with self._state:
                    self._drain_queued = False

    def _queue_drain(self) -> None:
        """Hand queued requests to the executor when it is idle (a running tick drains too)."""
        with self._state:
            if self._drain_queued or self._busy or self.stopping.is_set():
                return
            self._drain_queued = True
        try:
            waiting = bool(runqueue.queued(self.db))
        except Exception:
            log.exception("could not read run_requests")
            waiting = False
        if waiting and self._scheduler is not None:
            self._scheduler.add_job(
                self._run_drain, id="run-now", name="run-now requests", misfire_grace_time=None
            )
        else:
            with self._state:
                self._drain_queued = False


@contextmanager
def stop_on_signals(worker: Worker) -> Iterator[None]:
    """SIGTERM/SIGINT stop ``worker`` after its running job; a second one exits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if worker.stopping.is_set():
            print(
                f"second {name}: exiting now; the next start closes the running run "
                "as failed and runs it again",
                file=sys.stderr,
                flush=True,
            )
            os._exit(128 + signum)
        log.warning("%s: no new runs; exiting after the running one", name)
        worker.stop()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def main(db: Database, once: bool = False) -> int:
    """Take the warehouse's worker lock, then serve (or run what is due ``once``).

    Raises
    ------
    ConfigError
        If a schedule setting is invalid (checked before anything runs).
    WorkerBusyError
        If another worker holds the lock.
    """
    worker = Worker(db)
    worker.lock = for_database(db)
    worker.lock.acquire()
    try:
        with stop_on_signals(worker):
            return worker.once() if once else worker.serve()
    finally:
        worker.lock.release()
