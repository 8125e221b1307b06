"""How the app cache's copy of each table is brought up to date: whole, by changed rows, by day.

:mod:`core.db.cache` decides when a refresh is full or incremental and swaps files; this module
moves the rows, from one warehouse transaction into one cache transaction, always as Arrow
batches of at most ``DQ_CACHE_BATCH_ROWS`` rows (:meth:`Transaction.fetch_arrow` into
:meth:`DuckDBTransaction.insert_arrow`), so memory does not grow with the warehouse.

- A table copied **whole**: its rows deleted, the warehouse's inserted.
- A table in :data:`DELTAS`, **by changed rows**: the warehouse's rows changed since the copy's
  last refresh replace the copy's rows with the same key (append-only tables: the copy's rows
  in the same time range); then the row counts are compared, and a table whose count differs
  (rows deleted in the warehouse) is copied whole.
- ``readings``, **by meter-day**: the ``reading_changes`` rows of the warehouse that the copy's
  own ``reading_changes`` lacks name the meter-days (rows a sync or an import added or
  replaced) copied again; days before the window are dropped. Retention deletes are not
  recorded: they reach the copy with the next full one.

Changes are found by time stamps written on other hosts, by transactions that may commit after
they stamped, so each refresh looks back :data:`OVERLAP` (``reading_changes``:
:data:`CHANGES_OVERLAP`) before the previous one began; applying a change twice is harmless.

Also here: the lock that lets one refresh of a cache file run at a time (:func:`refresh_lock`),
how a cached read and the warehouse's answer to it are compared (:func:`same_rows`)
and which tables a query read (:func:`tables_in`), for the cache's stale-edit check.
"""

from __future__ import annotations

import fcntl
import logging
import math
import numbers
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.db.base import Database, Transaction, python_rows
from core.db.duckdb import DuckDBTransaction
from core.errors import DQHubError

log = logging.getLogger("core.db.cache")

META = "dq_cache_meta"
OVERLAP = timedelta(hours=1)
CHANGES_OVERLAP = timedelta(days=1)
MANY_METERS = 500  # a changed day with more meters than this is copied whole
_IN_LIST = 1000  # meter ids per IN (...) list
_RECENT_RUNS = "SELECT run_id FROM dq_runs WHERE finished_at IS NULL OR finished_at >= ?"
_refreshing = threading.Lock()


@dataclass(frozen=True)
class Delta:
    """How a table's changed rows are found on the warehouse.

    ``where`` selects them (every ``?`` is the time the last refresh started, less
    :data:`OVERLAP`); ``key`` names a row: the copy's rows with a changed row's key are
    replaced. An empty ``key`` means an append-only table: the copy's rows matching ``where``
    are replaced by the warehouse's.
    """

    where: str
    key: tuple[str, ...] = ()


# Every writer of these tables sets the stamp (or the run) below on each row it writes; a job
# run stamps its rows with its run, finished after its writes. Other tables are copied whole.
DELTAS: dict[str, Delta] = {
    "dq_issues": Delta(f"status_at >= ? OR last_seen_run IN ({_RECENT_RUNS})", ("issue_id",)),
    "issue_events": Delta("changed_at >= ?"),
    "dq_comments": Delta("created_at >= ?", ("comment_id",)),  # append-only
    "project_events": Delta("changed_at >= ?"),
    "dq_meter_days": Delta(f"run_id IN ({_RECENT_RUNS})", ("meter_id", "day", "source")),
    "overshoot_days": Delta(f"run_id IN ({_RECENT_RUNS})", ("building_id", "day")),
    "meter_clock_days": Delta("imported_at >= ?", ("meter_id", "source", "day")),
    "reading_changes": Delta(  # appended: one row per meter-day and write
        f"changed_at >= ? OR rescored_run IN ({_RECENT_RUNS})",
        ("meter_id", "day", "origin", "changed_at"),
    ),
    "sync_objects": Delta("synced_at >= ?", ("object_key",)),
}


@dataclass(frozen=True)
class CopyState:
    """What the cache file says about itself (the ``dq_cache_meta`` row)."""

    refreshed_at: datetime  # when the refresh that made it started
    full_at: datetime  # when the last full copy started
    readings_since: datetime  # the first reading time it holds
    schema: str  # the warehouse's applied migrations, comma-separated


@dataclass
class Report:
    """What one refresh did: ``mode`` full or incremental, rows written per table."""

    started: datetime
    mode: str = "full"
    rows: dict[str, int] = field(default_factory=dict)
    whole: list[str] = field(default_factory=list)  # tables copied whole
    seconds: float = 0.0


class NeedFullError(Exception):
    """An incremental refresh found it cannot go on (the reason is the message)."""


# ---- one refresh of a cache file at a time ---------------------------------------------------


class RefreshBusyError(DQHubError):
    """Another refresh of the cache file held it longer than the caller would wait."""


@contextmanager
def refresh_lock(path: Path, wait: float | None = None) -> Iterator[None]:
    """One refresh of the cache file at ``path`` at a time, in this process and across processes.

    An app and the worker on one host may share ``DQ_CACHE_PATH`` (the worker refreshes it after
    each job). Without this, a second refresh deleted the first's half-written copy: the first
    then hung on its vanished file. The OS releases the lock if its holder dies. ``wait``: give
    up after that many seconds (:class:`RefreshBusyError`) instead of waiting for good.
    """
    deadline = None if wait is None else time.monotonic() + wait
    if not _refreshing.acquire(timeout=-1 if wait is None else wait):
        raise RefreshBusyError(f"cache {path}: a refresh is running")
    try:
        with open(path.with_name(path.name + ".refresh.lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("cache %s: waiting for another process to finish refreshing it", path)
                _flock(lock, deadline, path)
            yield  # closing the file releases the lock
    finally:
        _refreshing.release()


def _flock(lock: Any, deadline: float | None, path: Path) -> None:
    """Take the file lock, waiting until ``deadline`` (None: for good)."""
    if deadline is None:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise RefreshBusyError(f"cache {path}: a refresh is running") from None
            time.sleep(0.05)


def is_refreshing() -> bool:
    """Whether this process is refreshing a cache file now."""
    return _refreshing.locked()


# ---- moving rows ------------------------------------------------------------------------------


def snapshot(remote: Database, rtx: Transaction) -> None:
    """Read every table from one snapshot of the warehouse (Redshift's transactions are one)."""
    if remote.DIALECT == "postgres":
        rtx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def schema(rtx: Transaction) -> str:
    """The warehouse's applied migrations, comma-separated."""
    from core.db import migrations

    rows = rtx.fetch_all(f"SELECT version FROM {migrations.TABLE} ORDER BY version")
    return ",".join(str(r[0]) for r in rows)


def write_state(
    ltx: Transaction, report: Report, since: datetime, schema: str, prev: CopyState | None
) -> None:
    """Record in the copy what it holds (``prev``: the copy it started from; None: full)."""
    ltx.execute(f"DROP TABLE IF EXISTS {META}")
    ltx.execute(
        f"CREATE TABLE {META} (refreshed_at TIMESTAMP NOT NULL, full_at TIMESTAMP NOT NULL, "
        "readings_since TIMESTAMP NOT NULL, schema_version VARCHAR NOT NULL)"
    )
    full_at = report.started if prev is None else prev.full_at
    ltx.execute(f"INSERT INTO {META} VALUES (?, ?, ?, ?)", (report.started, full_at, since, schema))


def columns(ltx: Transaction, table: str) -> str:
    """The table's columns in order, quoted, for SELECT and INSERT lists."""
    rows = ltx.fetch_all(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        (table,),
    )
    return ", ".join(f'"{r[0]}"' for r in rows)


def copy_whole(
    ltx: DuckDBTransaction,
    rtx: Transaction,
    table: str,
    report: Report,
    where: str = "",
    params: tuple = (),
) -> None:
    """Replace the copy's ``table`` with the warehouse's rows (those matching ``where``)."""
    cols = columns(ltx, table)
    ltx.execute(f"DELETE FROM {table}")
    sql = f"SELECT {cols} FROM {table}" + (f" WHERE {where}" if where else "")
    report.rows[table] = ltx.insert_arrow(table, rtx.fetch_arrow(sql, params))
    report.whole.append(table)


def apply_delta(
    ltx: DuckDBTransaction,
    rtx: Transaction,
    table: str,
    delta: Delta,
    prev: CopyState,
    report: Report,
) -> None:
    """Bring the copy's ``table`` up to date by its changed rows; whole if counts then differ."""
    cols = columns(ltx, table)
    params = (prev.refreshed_at - OVERLAP,) * delta.where.count("?")
    stage = f"dq_stage_{table}"
    ltx.execute(f"CREATE TEMP TABLE {stage} AS SELECT {cols} FROM {table} LIMIT 0")
    try:
        sql = f"SELECT {cols} FROM {table} WHERE {delta.where}"
        report.rows[table] = ltx.insert_arrow(stage, rtx.fetch_arrow(sql, params))
        if delta.key:
            match = " AND ".join(f's."{k}" = {table}."{k}"' for k in delta.key)
            ltx.execute(f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {stage} s WHERE {match})")
        else:
            ltx.execute(f"DELETE FROM {table} WHERE {delta.where}", params)
        ltx.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}")
    finally:
        ltx.execute(f"DROP TABLE {stage}")
    there = rtx.fetch_value(f"SELECT count(*) FROM {table}")
    here = ltx.fetch_value(f"SELECT count(*) FROM {table}")
    if there != here:
        log.info(
            "cache: %s has %s rows here, %s in the warehouse; copying it whole", table, here, there
        )
        copy_whole(ltx, rtx, table, report)


def has_changes(rtx: Transaction) -> bool:
    """Whether the warehouse records reading changes at all (else readings are copied whole)."""
    return rtx.fetch_one("SELECT meter_id FROM reading_changes LIMIT 1") is not None


def readings_delta(
    ltx: DuckDBTransaction,
    rtx: Transaction,
    prev: CopyState,
    since: datetime,
    report: Report,
) -> None:
    """Copy again the meter-days of ``readings`` that changed; drop those before ``since``.

    Changed meter-days are the ``reading_changes`` rows of the warehouse (stamped since the last
    refresh less :data:`CHANGES_OVERLAP`) that the copy's own ``reading_changes`` lacks.
    """
    ltx.execute(
        "CREATE TEMP TABLE dq_stage_changes AS "
        "SELECT meter_id, day, origin, changed_at FROM reading_changes LIMIT 0"
    )
    try:
        ltx.insert_arrow(
            "dq_stage_changes",
            rtx.fetch_arrow(
                "SELECT meter_id, day, origin, changed_at FROM reading_changes "
                "WHERE changed_at >= ?",
                (prev.refreshed_at - CHANGES_OVERLAP,),
            ),
        )
        days = ltx.fetch_all(
            "SELECT day, list(DISTINCT meter_id ORDER BY meter_id) FROM dq_stage_changes s "
            "WHERE day >= ? AND NOT EXISTS (SELECT 1 FROM reading_changes c WHERE "
            "c.meter_id = s.meter_id AND c.day = s.day AND c.origin = s.origin "
            "AND c.changed_at = s.changed_at) GROUP BY day ORDER BY day",
            (since.date(),),
        )
    finally:
        ltx.execute("DROP TABLE dq_stage_changes")
    cols = columns(ltx, "readings")
    copied = 0
    for start, end, group in _pieces(days, since):
        where = "ts >= ? AND ts < ?"
        if group:
            where += f" AND meter_id IN ({', '.join('?' * len(group))})"
        params = (start, end, *group)
        ltx.execute(f"DELETE FROM readings WHERE {where}", params)
        sql = f"SELECT {cols} FROM readings WHERE {where}"
        copied += ltx.insert_arrow("readings", rtx.fetch_arrow(sql, params))
    ltx.execute("DELETE FROM readings WHERE ts < ?", (since,))
    report.rows["readings"] = copied


def _pieces(days: list[tuple[date, list[str]]], since: datetime) -> list[tuple]:
    """``(start, end, meter ids)`` to copy again, from ``(day, meter ids)`` in day order.

    A day with more than :data:`MANY_METERS` changed meters is copied whole (no id list), and
    consecutive whole days as one time range: one warehouse query, not one per day.
    """
    out: list[tuple] = []
    for day, meters in days:
        start = datetime.combine(day, datetime.min.time())
        end = start + timedelta(days=1)
        if len(meters) <= MANY_METERS:
            out += [(max(start, since), end, meters[i : i + _IN_LIST])
                    for i in range(0, len(meters), _IN_LIST)]  # fmt: skip
        elif out and not out[-1][2] and out[-1][1] == start:
            out[-1] = (out[-1][0], end, [])
        else:
            out.append((max(start, since), end, []))
    return out


# ---- what a cached read is compared by, and what it read --------------------------------------

_TABLE_NAME = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


def tables_in(sql: str) -> set[str]:
    """Names following FROM or JOIN in ``sql`` (lower case): the tables a query reads."""
    return {m.lower() for m in _TABLE_NAME.findall(sql)}


def _value(v: Any) -> Any:
    """A read value in a form both engines agree on (NULL/NaN/NaT None, numbers as float)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, numbers.Number):  # int, float, numpy scalars, Decimal
        return float(v)
    if isinstance(v, datetime | date):  # DuckDB's DataFrame DATE is a Timestamp
        return pd.Timestamp(v)
    return str(v)


def same_rows(a: pd.DataFrame | list[tuple], b: pd.DataFrame | list[tuple]) -> bool:
    """Whether two answers to one read (cache and remote) hold the same rows."""

    def rows(result: pd.DataFrame | list[tuple]) -> list[tuple]:
        if isinstance(result, pd.DataFrame):
            result = list(python_rows(result)) if len(result.columns) else []
        return [tuple(_value(v) for v in row) for row in result]

    return rows(a) == rows(b)
