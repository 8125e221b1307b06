"""One DuckDB database per file per process, lent to threads as cursors and let go when idle.

DuckDB keeps one database instance per file per process. Opening and closing a connection per
call from several threads races in that instance cache ("Unique file handle conflict"), so the
sessions of one app process share a single root connection per file and each call gets its own
cursor. Other processes (the worker, the CLI) still need the file between the app's uses:

- the root is closed once no cursor has been in use for ``IDLE_SECONDS``;
- a root held continuously for ``LEASE_SECONDS`` stops lending new cursors, closes when the
  ones in use finish, and waits ``TURN_SECONDS`` before reopening, so a process waiting for the
  file gets a turn even when this one is never idle;
- a root whose file was replaced (the app cache is swapped in by rename) is reopened the same way.

Opening a file another process holds is retried with short jittered waits for up to
``DQ_LOCK_TIMEOUT_SECONDS``; any other failure is a :class:`WarehouseError` naming the file.
"""

from __future__ import annotations

import atexit
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from core import config
from core.errors import WarehouseError

IDLE_SECONDS = 0.25
LEASE_SECONDS = 1.0
TURN_SECONDS = 0.1
_FIRST_RETRY_S = 0.005
_MAX_RETRY_S = 0.05  # short: a turn another process leaves us is TURN_SECONDS long

_files: dict[str, SharedFile] = {}
_files_lock = threading.Lock()


def shared(path: str) -> SharedFile:
    """The process-wide handle of the DuckDB file at ``path``."""
    key = os.path.abspath(path)
    with _files_lock:
        handle = _files.get(key)
        if handle is None:
            handle = _files[key] = SharedFile(key)
        return handle


@atexit.register
def _close_all() -> None:
    """Close every root at exit (DuckDB objects left to the interpreter's teardown leak)."""
    with _files_lock:
        handles = list(_files.values())
    for handle in handles:
        with handle._cond:
            handle._close_root()


def is_lock_error(exc: Exception) -> bool:
    """Whether ``exc`` is DuckDB saying another process holds the file (worth retrying)."""
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


class SharedFile:
    """The root connection of one file and the cursors lent from it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._root: duckdb.DuckDBPyConnection | None = None
        self._inode: int | None = None
        self._opened_at = 0.0
        self._last_used = 0.0
        self._users = 0
        self._closing = False  # no new cursors until the root is closed
        self._opening = False  # one thread opens; the others wait for it
        self._turn_until = 0.0  # after a lease, the file is left to other processes until then
        self._reaper: threading.Timer | None = None

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the shared root, for one call; the file stays open while it is used."""
        cur = self._acquire()
        try:
            yield cur
        finally:
            try:
                cur.close()
            finally:
                self._release()

    def close(self) -> None:
        """Close the root now if no cursor is in use (else when the last one is returned)."""
        with self._cond:
            if self._root is not None:
                self._closing = True
                if self._users == 0:
                    self._close_root()

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        with self._cond:
            while True:
                if self._closing or self._opening:
                    self._cond.wait()
                    continue
                turn = self._turn_until - time.monotonic()
                if self._root is None and turn > 0:
                    self._cond.wait(turn)
                    continue
                if self._root is not None and self._must_turn():
                    self._closing = True
                    if self._users == 0:
                        self._close_root()
                    continue
                if self._root is None:
                    self._opening = True
                    try:
                        self._open_root()
                    finally:
                        self._opening = False
                        self._cond.notify_all()
                self._users += 1
                try:
                    return self._root.cursor()
                except BaseException:
                    self._users -= 1
                    raise

    def _release(self) -> None:
        with self._cond:
            self._users -= 1
            self._last_used = time.monotonic()
            if self._users:
                return
            if self._closing:
                self._close_root()
            elif self._reaper is None:
                self._reaper = threading.Timer(IDLE_SECONDS, self._reap)
                self._reaper.daemon = True
                self._reaper.start()

    def _reap(self) -> None:
        with self._cond:
            self._reaper = None
            if self._root is None or self._users or self._closing:
                return
            idle = time.monotonic() - self._last_used
            if idle >= IDLE_SECONDS:
                self._close_root()
            else:
                self._reaper = threading.Timer(IDLE_SECONDS - idle, self._reap)
                self._reaper.daemon = True
                self._reaper.start()

    def _must_turn(self) -> bool:
        """Whether the root has been held a whole lease, or the file was replaced since."""
        if time.monotonic() - self._opened_at > LEASE_SECONDS:
            return True
        try:
            return os.stat(self.path).st_ino != self._inode
        except OSError:
            return True

    def _close_root(self) -> None:
        """Close the root (called with the condition held and no cursor in use)."""
        root, self._root = self._root, None
        try:
            if root is not None:
                root.close()
        finally:
            now = time.monotonic()
            if now - self._opened_at > LEASE_SECONDS:  # a process waiting for the file goes next
                self._turn_until = now + TURN_SECONDS
            self._closing = False
            self._cond.notify_all()

    def _open_root(self) -> None:
        """Open the file, retrying while another process holds it.

        Called with the condition held and ``_opening`` set; the retry waits release the
        condition so cursors are still returned meanwhile.
        """
        timeout = config.get("DQ_LOCK_TIMEOUT_SECONDS")
        deadline = time.monotonic() + timeout
        delay = _FIRST_RETRY_S
        while True:
            try:
                root = duckdb.connect(self.path)
                root.execute("SET TimeZone='UTC'")
                root.execute("SET enable_progress_bar = false")
            except duckdb.Error as exc:
                if not is_lock_error(exc):
                    raise WarehouseError(f"Cannot open warehouse {self.path}: {exc}") from exc
                if time.monotonic() + delay > deadline:
                    raise WarehouseError(
                        f"Warehouse {self.path} stayed locked by another process for "
                        f"{timeout:g}s (DQ_LOCK_TIMEOUT_SECONDS): {exc}"
                    ) from exc
                self._cond.wait(delay * (0.5 + random.random()))
                delay = min(delay * 2, _MAX_RETRY_S)
                continue
            self._root, self._opened_at = root, time.monotonic()
            self._inode = os.stat(self.path).st_ino
            return
