"""One worker per warehouse: an OS file lock beside a DuckDB file, an advisory lock in PostgreSQL.

The lock is held for the worker's whole life and released by the operating system or the
server when the process dies, however it dies; so a worker that holds it knows no other
worker is alive, and may close what a dead one left ``running``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from core.db.base import Database
from core.errors import DQHubError

log = logging.getLogger(__name__)

# Advisory lock keys: a fixed class id ("DQHB") and the warehouse schema's hash, so workers of
# two warehouses (schemas) in one PostgreSQL database do not exclude each other.
_PG_CLASS = 0x44514842
_PG_KEY = "hashtext(current_schema()) & 2147483647"
_RETRY_S = 1.5  # a page probing the file lock holds it for microseconds: retry past that
_RETRY_STEP_S = 0.05


class WorkerBusyError(DQHubError):
    """Another worker already serves this warehouse."""


class WorkerLockLostError(DQHubError):
    """The lock went away while the worker ran (lock file removed, server connection lost)."""


@dataclass(frozen=True)
class LockState:
    """Whether a worker holds the warehouse's lock, as another process sees it.

    Attributes
    ----------
    held : bool or None
        True: a worker is running; False: none is; None: this warehouse cannot tell.
    holder : str
        Who holds it (pid, host, since when), or why it cannot be told.
    """

    held: bool | None
    holder: str


def _identity() -> str:
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    return f"pid {os.getpid()} on {socket.gethostname()} since {now} UTC"


def _busy_message(where: str, holder: str) -> str:
    return (
        f"another worker already serves {where} ({holder or 'holder unknown'}); only one "
        "worker may run per warehouse, so this one exits. Stop the other one first "
        "(SIGTERM lets its running job finish)."
    )


class WorkerLock:
    """Nothing to lock (an in-memory warehouse, or a backend without a lock).

    Attributes
    ----------
    exclusive : bool
        Whether holding this lock proves no other worker is alive.
    """

    exclusive = True

    def acquire(self) -> None:
        """Take the lock or raise :class:`WorkerBusyError`."""

    def check(self) -> None:
        """Raise :class:`WorkerLockLostError` if the lock is no longer held."""

    def release(self) -> None:
        """Give the lock back (process exit does it too)."""


class FileLock(WorkerLock):
    """``fcntl.flock`` on ``<warehouse file>.worker.lock``; the file names the holder."""

    def __init__(self, warehouse_path: str) -> None:
        self.path = f"{warehouse_path}.worker.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, retrying briefly past a page's probe; else raise WorkerBusyError."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + _RETRY_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    holder = _read(self.path)
                    os.close(fd)
                    where = f"{self.path.removesuffix('.worker.lock')} (lock file {self.path})"
                    raise WorkerBusyError(_busy_message(where, holder)) from None
                time.sleep(_RETRY_STEP_S)
        os.ftruncate(fd, 0)
        os.write(fd, _identity().encode())
        self._fd = fd

    def check(self) -> None:
        """The lock file must still be the one locked (a removed file lets a second worker in)."""
        if self._fd is None:
            return
        try:
            same = os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            raise WorkerLockLostError(f"the lock file {self.path} was removed or replaced")

    def release(self) -> None:
        """Unlock and close (the file stays: removing it would race a starting worker)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def probe_file(warehouse_path: str) -> LockState:
    """Whether a worker holds the file lock (a shared, non-blocking try, undone at once)."""
    path = f"{warehouse_path}.worker.lock"
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return LockState(False, "no worker has run on this warehouse")
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return LockState(True, _read(path))
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return LockState(False, f"last worker: {_read(path) or 'unknown'}")
    finally:
        os.close(fd)


class AdvisoryLock(WorkerLock):
    """``pg_try_advisory_lock`` held on a dedicated autocommit connection for the worker's life."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._con: Any = None

    def acquire(self) -> None:
        """Take the session lock, or raise WorkerBusyError naming the holder's application_name."""
        con = self.db.connect()  # type: ignore[attr-defined]
        con.autocommit = True
        name = f"dqhub-worker {_identity()}"[:63]  # PostgreSQL keeps 63 bytes
        con.execute("SELECT set_config('application_name', %s, false)", [name])
        got = con.execute(f"SELECT pg_try_advisory_lock(%s, {_PG_KEY})", [_PG_CLASS]).fetchone()
        if not got[0]:
            con.close()
            holder = probe_pg(self.db).holder
            raise WorkerBusyError(_busy_message("this PostgreSQL warehouse", holder))
        self._con = con

    def check(self) -> None:
        """Raise WorkerLockLostError when the lock's connection is gone (and the lock with it)."""
        if self._con is None:
            return
        try:
            self._con.execute("SELECT 1")
        except Exception as exc:
            raise WorkerLockLostError(f"the worker lock's connection failed: {exc}") from exc

    def release(self) -> None:
        """Close the connection, which ends the session and its advisory lock."""
        if self._con is not None:
            try:
                self._con.close()
            finally:
                self._con = None


def probe_pg(db: Database) -> LockState:
    """Whether a session holds the worker's advisory lock in this database and schema."""
    rows = db.fetch_all(
        "SELECT a.application_name, l.pid FROM pg_locks l "
        "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
        f"AND l.classid = CAST(? AS oid) AND l.objid = CAST({_PG_KEY} AS oid) "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (_PG_CLASS,),
    )
    if not rows:
        return LockState(False, "no worker holds the lock")
    name, pid = rows[0]
    return LockState(True, str(name or f"server pid {pid}").removeprefix("dqhub-worker "))


class UnlockedBackend(WorkerLock):
    """A backend without a lock (Redshift): start with a warning and touch nothing left over."""

    exclusive = False

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def acquire(self) -> None:
        """Warn that only the deployment keeps this worker alone."""
        log.warning(
            "worker: a %s warehouse has no lock to keep a second worker out; run exactly one "
            "(one replica). Runs a dead worker left 'running' are not closed automatically.",
            self.dialect,
        )


def for_database(db: Database) -> WorkerLock:
    """The lock that keeps a second worker off ``db``."""
    if db.DIALECT == "duckdb":
        path = getattr(db, "path", "")
        return WorkerLock() if path in ("", ":memory:") else FileLock(path)
    if db.DIALECT == "postgres":
        return AdvisoryLock(db)
    return UnlockedBackend(db.DIALECT)


def probe(db: Database) -> LockState:
    """Whether a worker holds ``db``'s lock, without disturbing it."""
    if db.DIALECT == "duckdb":
        path = getattr(db, "path", "")
        if path in ("", ":memory:"):
            return LockState(None, "an in-memory warehouse has no worker")
        return probe_file(path)
    if db.DIALECT == "postgres":
        return probe_pg(db)
    return LockState(None, f"a {db.DIALECT} warehouse has no worker lock to look at")
