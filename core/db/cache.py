"""A local DuckDB copy of a remote warehouse, so pages never wait on the network to read.

:class:`CachedWarehouse` is a :class:`Database`: reads go to the local cache file; a
transaction's writes go to the remote warehouse first (in one remote transaction) and are then
replayed on the cache. Before its first write, a transaction re-runs the reads it already made
on the remote: if the remote answers differently (someone changed the rows since the last
refresh), it raises :class:`StaleCacheError` and nothing is written, so a decision taken on a
cached view never overwrites a newer change.

:func:`refresh` copies every table of the remote schema (``readings`` limited to the last
``DQ_CACHE_READINGS_DAYS`` days) into a new file and swaps it in atomically; ``refreshed_at``
is kept in the file. The app refreshes in the background when the copy is older than
``DQ_CACHE_REFRESH_SECONDS``; the jobs refresh it after each run.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from core import config
from core.db.base import Database, Params, Transaction
from core.db.duckdb import DuckDBDatabase
from core.errors import DQHubError

log = logging.getLogger(__name__)

META = "dq_cache_meta"
_refreshing = threading.Lock()


class StaleCacheError(DQHubError):
    """The remote warehouse changed the rows this edit was based on; reload and retry."""


def is_remote(url: str) -> bool:
    """Whether ``url`` names a networked warehouse (anything but an embedded DuckDB file)."""
    return not url.startswith("duckdb:")


@contextmanager
def _refresh_lock(path: Path) -> Iterator[None]:
    """One refresh of the cache file at ``path`` at a time, in this process and across processes.

    An app and the worker on one host may share ``DQ_CACHE_PATH`` (the worker refreshes it after
    each job). Without this, a second refresh deleted the first's half-written copy: the first
    then hung on its vanished file. The OS releases the lock if its holder dies.
    """
    with _refreshing, open(path.with_name(path.name + ".refresh.lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("cache %s: waiting for another process to finish refreshing it", path)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def refresh(remote: Database, path: str | Path | None = None) -> datetime:
    """Copy the remote warehouse into the cache file at ``path``; return the refresh time.

    The copy gets the warehouse schema from the same migrations (so column types match even
    for all-NULL columns), then every migrated table's rows. It is written beside the old file
    and renamed over it, so readers see either the old or the new copy, never a half-written
    one. One refresh of a file runs at a time, across processes too; a second one waits, then
    makes its own copy (it may have been asked for because of a write the first one missed).
    """
    from core.db import migrations

    path = Path(path or config.get("DQ_CACHE_PATH"))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    with _refresh_lock(path):
        tmp.unlink(missing_ok=True)  # left by a refresh that died
        started = datetime.now(UTC).replace(tzinfo=None)
        since = started - timedelta(days=config.get("DQ_CACHE_READINGS_DAYS"))
        local = DuckDBDatabase(f"duckdb:///{tmp}")
        migrations.apply(local)
        with local.transaction() as tx:
            for table in _tables(local):
                sql, params = f"SELECT * FROM {table}", ()
                if table == "readings":
                    sql, params = f"{sql} WHERE ts >= ?", (since,)
                tx.insert_df(table, remote.fetch_df(sql, params))
            tx.execute(f"CREATE TABLE {META} (refreshed_at TIMESTAMP NOT NULL)")
            tx.execute(f"INSERT INTO {META} VALUES (?)", (started,))
        local.close()  # the process's handle of the new file must not outlive its name
        os.replace(tmp, path)
    log.info("cache %s refreshed from the warehouse", path)
    return started


NOT_COPIED = ("auth_sessions", "auth_failures")  # read live on the warehouse (core.auth.login.live)


def _tables(local: Database) -> list[str]:
    """The migrated tables to copy.

    Not the migration log (the copy wrote its own), nor sign-in state, which is only ever read
    on the warehouse itself and has no business on app disks.
    """
    skip = (migrations_table(), *NOT_COPIED)
    rows = local.fetch_all(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        f"AND table_name NOT IN ({', '.join('?' * len(skip))}) ORDER BY 1",
        skip,
    )
    return [r[0] for r in rows]


def migrations_table() -> str:
    """Name of the migration log table (kept out of the copy)."""
    from core.db import migrations

    return migrations.TABLE


def refreshed_at(path: str | Path | None = None) -> datetime | None:
    """When the cache at ``path`` was last refreshed (None: no cache yet)."""
    path = Path(path or config.get("DQ_CACHE_PATH"))
    if not path.exists():
        return None
    return DuckDBDatabase(f"duckdb:///{path}").fetch_value(f"SELECT refreshed_at FROM {META}")


class CachedTransaction(Transaction):
    """Reads from the cache until the first write; then everything on the remote, recorded."""

    def __init__(self, cache: Transaction, remote: Database) -> None:
        self.cache, self.remote = cache, remote
        self.reads: list[tuple[str, tuple, pd.DataFrame]] = []
        self.writes: list[tuple[str, Any, Any]] = []
        self._remote_tx: Transaction | None = None
        self._remote_cm: Any = None

    def _begin_remote(self) -> Transaction:
        if self._remote_tx is None:
            self._remote_cm = self.remote.transaction()
            self._remote_tx = self._remote_cm.__enter__()
            for sql, params, seen in self.reads:
                now = self._remote_tx.fetch_df(sql, params)
                if not _same(seen, now):
                    raise StaleCacheError(
                        "The warehouse changed since this page's data was cached; nothing was "
                        "saved. Reload the page and try again."
                    )
        return self._remote_tx

    def fetch_df(self, sql: str, params: Params = ()) -> pd.DataFrame:
        """Cached rows, or the remote's once this transaction has written."""
        if self._remote_tx is not None:
            return self._remote_tx.fetch_df(sql, params)
        df = self.cache.fetch_df(sql, params)
        self.reads.append((sql, tuple(params), df))
        return df

    def execute(self, sql: str, params: Params = ()) -> None:
        """Run a statement on the remote now; replayed on the cache after the remote commits."""
        self._begin_remote().execute(sql, params)
        self.writes.append(("execute", sql, tuple(params)))

    def lock(self, table: str) -> None:
        """Lock ``table`` on the remote (begins the remote transaction, like a write)."""
        self._begin_remote().lock(table)

    def insert_df(self, table: str, df: pd.DataFrame) -> int:
        """Insert on the remote now; replayed on the cache after the remote commits."""
        n = self._begin_remote().insert_df(table, df)
        self.writes.append(("insert_df", table, df))
        return n

    def finish(self, error: BaseException | None) -> None:
        """Commit (or roll back) the remote transaction, if one was begun."""
        if self._remote_cm is not None:
            exc = (type(error), error, error.__traceback__) if error else (None, None, None)
            self._remote_cm.__exit__(*exc)

    def replay(self, tx: Transaction) -> None:
        """Apply the recorded writes to the cache transaction ``tx``, in order."""
        for kind, a, b in self.writes:
            getattr(tx, kind)(a, b)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if a.shape != b.shape:
        return False
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    return all(
        [None if pd.isna(x) else str(x) for x in a[c]]
        == [None if pd.isna(y) else str(y) for y in b[c]]
        for c in a.columns
    )


class CachedWarehouse(Database):
    """A remote warehouse read through its local DuckDB cache (see the module docstring)."""

    def __init__(self, remote: Database, path: str | Path | None = None) -> None:
        super().__init__(remote.url)
        self.remote = remote
        self.path = Path(path or config.get("DQ_CACHE_PATH"))
        self.DIALECT = "duckdb"  # reads run on the cache
        if not self.path.exists():
            refresh(remote, self.path)
        self.cache = DuckDBDatabase(f"duckdb:///{self.path}")

    @contextmanager
    def transaction(self) -> Iterator[CachedTransaction]:
        """Reads on the cache; writes on the remote (committed first), then on the cache.

        A replay that fails on the cache leaves the remote's committed change in place and
        starts a refresh instead (the cache is a copy; the warehouse is the truth).
        """
        with self.cache.transaction() as cache_tx:
            tx = CachedTransaction(cache_tx, self.remote)
            try:
                yield tx
            except BaseException as exc:
                tx.finish(exc)
                raise
            tx.finish(None)
        if not tx.writes:
            return
        try:
            with self.cache.transaction() as replay_tx:
                tx.replay(replay_tx)
        except Exception:  # noqa: BLE001 - the remote has it; refresh the copy
            log.warning("replaying a write on the cache failed; refreshing it", exc_info=True)
            threading.Thread(target=self._refresh_quietly, daemon=True).start()

    def refreshed_at(self) -> datetime | None:
        """When the cache was last refreshed."""
        return refreshed_at(self.path)

    def refresh_if_old(self) -> bool:
        """Start a background refresh when the cache is older than the setting; True if started."""
        at = self.refreshed_at()
        max_age = timedelta(seconds=config.get("DQ_CACHE_REFRESH_SECONDS"))
        if at is not None and datetime.now(UTC).replace(tzinfo=None) - at < max_age:
            return False
        if _refreshing.locked():
            return False
        threading.Thread(target=self._refresh_quietly, daemon=True).start()
        return True

    def _refresh_quietly(self) -> None:
        try:
            refresh(self.remote, self.path)
        except Exception:  # noqa: BLE001 - a failed background refresh keeps the old copy
            log.warning("cache refresh failed; pages keep the previous copy", exc_info=True)


def app_database(url: str, cache_path: str | Path | None) -> Database:
    """The Database an app process uses for warehouse ``url`` (migrated on open).

    A remote warehouse is read through the process's own cache at ``cache_path``; an embedded
    DuckDB warehouse, or an empty ``cache_path``, is used directly. Every app process calls this
    once (core.ui keeps the result per process), so each process has its own cache file.
    """
    from core.db import open_warehouse

    db = open_warehouse(url)
    if cache_path and is_remote(url):
        return CachedWarehouse(db, cache_path)
    return db


def refresh_after_job(db: Database) -> bool:
    """Refresh the app's cache after a job wrote to remote warehouse ``db``; True if done.

    A no-op for the embedded warehouse or when ``DQ_CACHE_PATH`` is empty. A failed refresh
    is logged, never raised: the job's results are already safe in the warehouse.
    """
    path = config.get("DQ_CACHE_PATH")
    if not path or not is_remote(db.url):
        return False
    try:
        refresh(db, path)
    except Exception:  # noqa: BLE001
        log.warning("the job's results are stored; refreshing the app cache failed", exc_info=True)
        return False
    return True
