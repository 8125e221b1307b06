"""Admin page data: runs, failures, schema version, worker, schedules, run-now queue.

No Streamlit here; only admins may queue a run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from core import config
from core.auth import User
from core.db import migrations
from core.db.base import Database
from core.errors import DQHubError
from core.redaction import redact
from core.worker import partitions, runqueue, schedules
from core.worker.lock import LockState, probe

ADMIN_ROLES = ("admin",)
RECENT_RUNS = 50  # rows of the runs table
FAILED_RUNS = 20  # partial or failed runs whose reasons are listed
MAX_FAILURE_ROWS = 500  # unit lines shown from those runs (dq_runs.error keeps them all)
# Which entity a failed unit of each job is (a screen-share pseudonym label).
UNIT_KIND = {"dq": "Meter", "bills": "Bill", "overshoot": "Building"}


class AdminError(DQHubError):
    """An admin action was refused; the message says why."""


@dataclass(frozen=True)
class SchemaVersion:
    """Applied and known migration versions."""

    current: int
    latest: int

    @property
    def pending(self) -> int:
        """Migrations this code knows that the warehouse has not applied."""
        return max(self.latest - self.current, 0)


def live(db: Database) -> Database:
    """The warehouse itself when ``db`` reads through a local cache.

    Admins see runs and the queue as they are now, not as of the last cache refresh.
    """
    remote = getattr(db, "remote", None)
    return remote if isinstance(remote, Database) else db


def schema_version(db: Database) -> SchemaVersion:
    """The warehouse's schema version and the newest this code ships."""
    known = migrations.discover()
    return SchemaVersion(migrations.current_version(db), known[-1].version if known else 0)


def worker_state(db: Database) -> LockState:
    """Whether a worker holds the warehouse's worker lock (None: cannot tell)."""
    try:
        return probe(db)
    except Exception as exc:  # a probe must not break the page
        return LockState(None, f"cannot tell: {type(exc).__name__}: {redact(exc)}")


def recent_runs(db: Database, limit: int = RECENT_RUNS) -> pd.DataFrame:
    """The latest runs of every job, newest first, with duration and a one-line reason.

    A failed run's reason is its exception; a partial run's says how many units failed (the
    units themselves are in :func:`failures`, where screen-share mode can mask them).
    """
    df = db.fetch_df(
        "SELECT run_id, job, params, status, started_at, finished_at, units_total, units_failed, "
        f"issues_found, error FROM dq_runs ORDER BY started_at DESC LIMIT {int(limit)}"
    )
    df["partition"] = [_partition(p) for p in df["params"]]
    ended = pd.to_datetime(df["finished_at"])
    df["duration_s"] = (ended - pd.to_datetime(df["started_at"])).dt.total_seconds().round(1)
    df["reason"] = [
        _first_line(err) if status == "failed"
        else f"{n or 0} unit(s) failed: see Failures" if status == "partial"
        else ""
        for status, n, err in zip(df["status"], df["units_failed"], df["error"], strict=True)
    ]  # fmt: skip
    return df[
        ["job", "partition", "status", "started_at", "finished_at", "duration_s", "units_total",
         "units_failed", "issues_found", "reason", "run_id"]
    ]  # fmt: skip


def rescored_days(db: Database, limit: int = 50) -> pd.DataFrame:
    """DQ runs that scored a day again because its readings changed, newest first.

    Columns: day, meters (re-scored), why (which readings changed, from where), status,
    issues_found, finished_at, run_id.
    """
    df = db.fetch_df(
        "SELECT run_id, params, status, issues_found, finished_at FROM dq_runs "
        f"WHERE job = 'dq' AND params LIKE ? ORDER BY started_at DESC LIMIT {int(limit)}",
        ('%"rescore"%',),
    )
    params = [_params(p) for p in df["params"]]
    df["day"] = [p.get("date", "") for p in params]
    df["meters"] = [p.get("meters") for p in params]
    df["why"] = [str(p.get("rescore", "")) for p in params]
    return df[["day", "meters", "why", "status", "issues_found", "finished_at", "run_id"]]


def failures(
    db: Database,
    label: Callable[[str, object], str] = lambda _kind, value: str(value),
    runs: int = FAILED_RUNS,
) -> pd.DataFrame:
    """Why recent runs failed: one row per failed unit of a partial run, one per failed run.

    ``label(kind, unit)`` shows a unit id (a meter, bill or building); pass ``ui.label`` so
    screen-share mode shows pseudonyms.
    """
    df = db.fetch_df(
        "SELECT run_id, job, params, status, started_at, error FROM dq_runs "
        "WHERE status IN ('failed', 'partial') ORDER BY started_at DESC "
        f"LIMIT {int(runs)}"
    )
    rows = []
    for r in df.itertuples(index=False):
        base = {"job": r.job, "partition": _partition(r.params), "status": r.status,
                "started_at": r.started_at, "run_id": r.run_id}  # fmt: skip
        if r.status == "failed":
            rows.append(base | {"unit": "", "reason": r.error or "(no reason recorded)"})
            continue
        for line in (r.error or "").splitlines():
            unit, _, reason = line.partition(": ")
            kind = UNIT_KIND.get(r.job, "Unit")
            rows.append(base | {"unit": label(kind, unit), "reason": reason or line})
            if len(rows) >= MAX_FAILURE_ROWS:
                break
        if len(rows) >= MAX_FAILURE_ROWS:
            break
    columns = ["job", "partition", "status", "started_at", "unit", "reason", "run_id"]
    return pd.DataFrame(rows, columns=columns)


def queue(db: Database, limit: int = 50) -> pd.DataFrame:
    """Run-now requests and schedule ticks still waiting or running, then recent finished ones."""
    df = runqueue.table(db, "status <> 'skipped'", limit=limit)
    df["partition"] = [_partition(p) for p in df["params"]]
    df["open"] = df["status"].isin(runqueue.OPEN)
    df = df.sort_values(["open", "requested_at"], ascending=[False, False], kind="stable")
    return df[
        ["job", "partition", "status", "requested_by", "requested_at", "picked_at", "finished_at",
         "attempts", "run_id", "error", "request_id"]
    ].reset_index(drop=True)  # fmt: skip


def pending_count(db: Database) -> int:
    """Requests and ticks waiting for the worker."""
    return len(runqueue.queued(db))


def schedule_table(now: datetime | None = None, count: int = 2) -> pd.DataFrame:
    """Each job's crontab, time zone and next fire times (UTC); a bad setting shows its error."""
    now = now or datetime.now(UTC)
    rows = []
    for s in schedules.SCHEDULES:
        row = {"job": s.job, "setting": s.setting, "crontab": config.get(s.setting)}
        try:
            trig = schedules.trigger(s)
            row["time_zone"] = str(trig.timezone)
            fires = schedules.next_fire_times(trig, now, count)
            row["next_runs_utc"] = ", ".join(f"{f.astimezone(UTC):%Y-%m-%d %H:%M}" for f in fires)
        except DQHubError as exc:
            row |= {"time_zone": "", "next_runs_utc": f"invalid: {exc}"}
        rows.append(row)
    return pd.DataFrame(rows, columns=["job", "crontab", "time_zone", "next_runs_utc", "setting"])


def default_dq_day(db: Database, today: date) -> date:
    """The day a DQ run-now scores by default: the latest full day with readings (or yesterday)."""
    try:
        return partitions.latest_full_day(db, today)
    except DQHubError:
        return partitions.resolve_day(db, "yesterday", today)


def month_choices(today: date, count: int = 12) -> list[str]:
    """The last ``count`` full months, newest first (overshoot run-now choices)."""
    out = [partitions.last_full_month(today)]
    while len(out) < count:
        out.append(partitions.last_full_month(date.fromisoformat(out[-1] + "-01")))
    return out


def run_now(db: Database, user: User, job: str, params: dict) -> tuple[runqueue.Request, bool]:
    """Queue a run of ``job`` for the worker; return the request and whether it is new.

    Raises
    ------
    AdminError
        If ``user`` is not an admin.
    DQHubError
        If the job or its parameters are invalid.
    """
    if user.role not in ADMIN_ROLES:
        raise AdminError(f"User {user.username}: role {user.role!r} cannot queue job runs")
    return runqueue.enqueue(db, job, params, user.username)


def _params(params: object) -> dict:
    """A run's params JSON as a dict ({} when unreadable)."""
    try:
        p = json.loads(params) if isinstance(params, str) else {}
    except ValueError:
        return {}
    return p if isinstance(p, dict) else {}


def _partition(params: object) -> str:
    """The day, month or sync start a run was for, from its params JSON."""
    p = _params(params)
    return str(p.get("date") or p.get("month") or p.get("since") or "")


def _first_line(text: object) -> str:
    if not isinstance(text, str):
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 200 else line[:199] + "…"
