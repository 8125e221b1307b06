"""The ``run_requests`` table: run-now requests and the worker's schedule ticks, one row each.

status: ``queued`` -> ``running`` (picked_at set, attempts + 1) -> ``ok`` / ``partial`` /
``failed`` (the run's outcome, run_id set). ``skipped`` marks a schedule tick recorded but not
run (a worker's first start). Only the worker holding the lock claims rows; pages only insert.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from core import runs
from core.db.base import Database
from core.worker import tasks

SCHEDULE = "schedule"  # requested_by of the worker's own ticks
MAX_ATTEMPTS = 3  # a request whose worker died this often (e.g. out of memory) is not retried
WORKER_DIED = "worker died"  # dq_runs.error prefix of a run a dead worker left running
OPEN = ("queued", "running")


@dataclass(frozen=True)
class Request:
    """One row of ``run_requests``."""

    request_id: str
    job: str
    params: dict[str, Any]
    requested_at: datetime
    requested_by: str
    status: str = "queued"
    attempts: int = 0
    picked_at: datetime | None = None


def _request(row: tuple) -> Request:
    rid, job, params, at, by, status, attempts, picked = row
    return Request(rid, job, json.loads(params or "{}"), at, by, status, attempts or 0, picked)


_COLUMNS = "request_id, job, params, requested_at, requested_by, status, attempts, picked_at"


def _insert(db: Database, req: Request, error: str | None = None) -> None:
    db.execute(
        "INSERT INTO run_requests (request_id, job, params, requested_at, requested_by, "
        "attempts, status, error) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
        (
            req.request_id,
            req.job,
            json.dumps(req.params, sort_keys=True),
            req.requested_at,
            req.requested_by,
            req.status,
            error,
        ),
    )


def enqueue(
    db: Database, job: str, params: Mapping[str, Any] | None, requested_by: str
) -> tuple[Request, bool]:
    """Queue a run of ``job``; return the request and whether it is new.

    An identical request still queued is returned instead of a second one (running a job
    twice for the same partition would only repeat the same result).

    Raises
    ------
    DQHubError
        If the job or its parameters are invalid (see ``tasks.check_params``).
    """
    checked = tasks.check_params(job, params)
    for req in queued(db):
        if req.job == job and req.params == checked:
            return req, False
    req = Request(uuid.uuid4().hex[:16], job, checked, runs.utcnow(), requested_by)
    _insert(db, req)
    return req, True


def queued(db: Database) -> list[Request]:
    """Queued requests, oldest first."""
    rows = db.fetch_all(
        f"SELECT {_COLUMNS} FROM run_requests WHERE status = 'queued' "
        "ORDER BY requested_at, request_id"
    )
    return [_request(r) for r in rows]


def claim(db: Database, req: Request) -> Request:
    """Mark ``req`` running (picked now, one more attempt)."""
    picked = runs.utcnow()
    db.execute(
        "UPDATE run_requests SET status = 'running', picked_at = ?, attempts = attempts + 1 "
        "WHERE request_id = ?",
        (picked, req.request_id),
    )
    return Request(
        req.request_id, req.job, req.params, req.requested_at, req.requested_by, "running",
        req.attempts + 1, picked,
    )  # fmt: skip


def finish(db: Database, req: Request, outcome: tasks.Outcome) -> None:
    """Record the run's outcome and id on the request."""
    db.execute(
        "UPDATE run_requests SET status = ?, run_id = ?, finished_at = ?, error = ? "
        "WHERE request_id = ?",
        (outcome.status, outcome.run_id, runs.utcnow(), outcome.error, req.request_id),
    )


def last_tick(db: Database, job: str) -> datetime | None:
    """Fire time of the last schedule tick of ``job`` recorded (run or skipped)."""
    return db.fetch_value(
        "SELECT max(requested_at) FROM run_requests WHERE requested_by = ? AND job = ?",
        (SCHEDULE, job),
    )


def record_tick(
    db: Database, job: str, params: Mapping[str, Any], fire_at: datetime, status: str = "queued",
    note: str | None = None,
) -> Request | None:  # fmt: skip
    """Queue (or mark ``skipped``) the tick of ``job`` at ``fire_at`` (naive UTC) once."""
    seen = db.fetch_value(
        "SELECT count(*) FROM run_requests WHERE requested_by = ? AND job = ? AND requested_at = ?",
        (SCHEDULE, job, fire_at),
    )
    if seen:
        return None
    req = Request(uuid.uuid4().hex[:16], job, tasks.check_params(job, params), fire_at, SCHEDULE,
                  status)  # fmt: skip
    _insert(db, req, note)
    return req


def recover(db: Database) -> list[str]:
    """Close what a dead worker left: its runs become failed, its requests are queued again.

    Call only while holding the worker lock (no other worker can be running them). A request
    left ``running`` whose run did finish keeps that run's outcome; one tried
    ``MAX_ATTEMPTS`` times is failed instead of queued again. Returns one line per request.
    """
    rows = db.fetch_all(f"SELECT {_COLUMNS} FROM run_requests WHERE status = 'running'")
    notes = []
    now = runs.utcnow()
    for req in map(_request, rows):
        since = req.picked_at or req.requested_at
        died = (
            f"{WORKER_DIED}: the worker running request {req.request_id} stopped before the "
            "run ended (killed or crashed); the run stored nothing after its last transaction"
        )
        with db.transaction() as tx:
            tx.execute(
                "UPDATE dq_runs SET status = 'failed', finished_at = ?, error = ? "
                "WHERE job = ? AND status = 'running' AND started_at >= ?",
                (now, died, req.job, since),
            )
            done = tx.fetch_all(
                "SELECT run_id, status FROM dq_runs WHERE job = ? AND started_at >= ? "
                "AND status IN ('ok', 'partial') ORDER BY started_at DESC",
                (req.job, since),
            )
            if done:
                status, run_id, error, what = done[0][1], done[0][0], None, "kept its finished run"
            elif req.attempts >= MAX_ATTEMPTS:
                status, run_id, error = (
                    "failed",
                    None,
                    (f"{WORKER_DIED} {req.attempts} times running this request; not retried"),
                )
                what = "given up"
            else:
                status, run_id, error, what = "queued", None, None, "queued again"
            again = status == "queued"
            tx.execute(
                "UPDATE run_requests SET status = ?, run_id = ?, error = ?, finished_at = ?, "
                "picked_at = ? WHERE request_id = ?",
                (status, run_id, error, None if again else now, None if again else req.picked_at,
                 req.request_id),
            )  # fmt: skip
        notes.append(f"{req.job} request {req.request_id} left running by a dead worker: {what}")
    return notes


def table(db: Database, where: str = "TRUE", params: tuple = (), limit: int = 50) -> pd.DataFrame:
    """Requests as a frame, newest first (for the Admin page)."""
    return db.fetch_df(
        "SELECT request_id, job, params, requested_at, requested_by, status, attempts, "
        f"picked_at, finished_at, run_id, error FROM run_requests WHERE {where} "
        f"ORDER BY requested_at DESC LIMIT {int(limit)}",
        params,
    )
