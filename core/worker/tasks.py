"""What the worker runs: a job's run function with its partition, every outcome in dq_runs.

A job records its own run (``running``, then ``ok``/``partial``/``failed``); when it raises
before recording anything (no readings yet, a bad setting) the worker records the failed run
itself, so every attempt the worker makes has a ``dq_runs`` row with its reason.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from core import runs
from core.db.base import Database
from core.errors import DQHubError
from core.worker import partitions

log = logging.getLogger(__name__)

JOBS = ("sync", "dq", "bills", "overshoot")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DEFAULT_DAY = {"dq": "latest", "bills": "today"}
_KEYS = {"sync": ("since", "last"), "overshoot": ("month", "last")}

# job(db, params, today) -> the job's RunSummary (has run_id and status)
Task = Callable[[Database, Mapping[str, Any], date], Any]


@dataclass(frozen=True)
class Outcome:
    """How one run ended.

    Attributes
    ----------
    run_id : str or None
        The ``dq_runs`` row (None only when the warehouse could not record it).
    status : str
        ``ok``, ``partial`` or ``failed``.
    error : str or None
        Why it failed.
    seconds : float
        Wall time.
    """

    job: str
    run_id: str | None
    status: str
    error: str | None
    seconds: float


def check_params(job: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validated run parameters of ``job``: sync ``since``, dq/bills ``date``, overshoot ``month``.

    sync takes ``since`` = YYYY-MM-DD (re-read readings from that day) or ``last`` (from where
    the last sync ended, the default); dq takes ``date`` = YYYY-MM-DD or ``latest`` (the
    latest full day with readings, the default); bills ``date`` = YYYY-MM-DD or ``today``
    (default); overshoot ``month`` = YYYY-MM or ``last`` (the last full month, default).

    Raises
    ------
    DQHubError
        Naming the job and the accepted values.
    """
    if job not in JOBS:
        raise DQHubError(f"Unknown job {job!r}; expected one of {', '.join(JOBS)}")
    params = dict(params or {})
    key, default = _KEYS.get(job) or ("date", _DEFAULT_DAY[job])
    extra = set(params) - {key}
    if extra:
        raise DQHubError(f"{job}: unknown parameter(s) {', '.join(sorted(extra))}; expected {key}")
    value = str(params.get(key) or default)
    if value == default:
        return {key: value}
    if job == "overshoot":
        if not _MONTH.match(value):
            raise DQHubError(f"overshoot: month {value!r} is not YYYY-MM or 'last'")
        return {key: value}
    try:
        return {key: date.fromisoformat(value).isoformat()}
    except ValueError:
        raise DQHubError(f"{job}: date {value!r} is not YYYY-MM-DD or {default!r}") from None


def _sync(db: Database, params: Mapping[str, Any], _today: date) -> Any:
    from core.ingest import sync

    value = params["since"]
    return sync.run(db, since=None if value == "last" else date.fromisoformat(value))


def _dq(db: Database, params: Mapping[str, Any], today: date) -> Any:
    from core.dq import job

    value = params["date"]
    day = partitions.latest_full_day(db, today) if value == "latest" else date.fromisoformat(value)
    return job.run(db, day)


def _bills(db: Database, params: Mapping[str, Any], today: date) -> Any:
    from core.bills import job

    value = params["date"]
    return job.run(db, today if value == "today" else date.fromisoformat(value))


def _overshoot(db: Database, params: Mapping[str, Any], today: date) -> Any:
    from core.overshoot import job

    value = params["month"]
    return job.run(db, partitions.last_full_month(today) if value == "last" else value)


TASKS: dict[str, Task] = {"sync": _sync, "dq": _dq, "bills": _bills, "overshoot": _overshoot}


def execute(
    db: Database,
    job: str,
    params: Mapping[str, Any] | None,
    today: date,
    tasks: Mapping[str, Task] = TASKS,
) -> Outcome:
    """Run ``job`` for ``params`` as of UTC ``today``; never raises an ``Exception``.

    A failure is logged with its traceback and recorded as a failed ``dq_runs`` row.
    """
    t0 = runs.utcnow()
    clock = time.monotonic()
    try:
        checked = check_params(job, params)
        summary = tasks[job](db, checked, today)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.error("%s run failed: %s", job, error, exc_info=not isinstance(exc, DQHubError))
        run_id = _record_failure(db, job, dict(params or {}), t0, exc)
        return Outcome(job, run_id, "failed", error, time.monotonic() - clock)
    return Outcome(job, summary.run_id, summary.status, None, time.monotonic() - clock)


def _record_failure(
    db: Database, job: str, params: dict[str, Any], t0: Any, exc: Exception
) -> str | None:
    """The failed run's id: the job's own record, closed if still open, else a new one."""
    try:
        rows = db.fetch_all(
            "SELECT run_id, status FROM dq_runs WHERE job = ? AND started_at >= ? "
            "ORDER BY started_at DESC",
            (job, t0),
        )
        if rows:
            run_id, status = rows[0]
            if status == "running":  # the job's own runs.fail did not land
                db.execute(
                    "UPDATE dq_runs SET status = 'failed', finished_at = ?, error = ? "
                    "WHERE run_id = ?",
                    (runs.utcnow(), f"{type(exc).__name__}: {exc}", run_id),
                )
            return str(run_id)
        run = runs.Run(job, params)
        runs.start(db, run)
        runs.fail(db, run, exc)
        return run.run_id
    except Exception:
        log.exception("%s: could not record the failed run in dq_runs", job)
        return None
