"""A local DuckDB copy of a remote warehouse, so pages never wait on the network to read.

:class:`CachedWarehouse` is a :class:`Database`: reads go to the local cache file; a
transaction's writes go to the remote warehouse first (in one remote transaction) and are then
replayed on the cache. Before its first write, a transaction re-runs the reads it already made
on the remote: if the remote answers differently (someone changed the rows since the last
refresh), it raises :class:`StaleCacheError` and nothing is written, so a decision taken on a
cached view never overwrites a newer change. A refused transaction (that error, or any other
refusal after it read the warehouse, such as a stale triage edit) brings the tables it read up
to date in the copy before the error reaches the page, so a reload shows the current rows.

:func:`refresh` brings the copy up to date and swaps it in atomically: readers see the old
copy or the new one, never a half-written file, and one refresh of a file runs at a time,
across processes too. The first refresh (or one after a schema change, or when the last full
copy is older than ``DQ_CACHE_FULL_REFRESH_HOURS``) copies every table (``readings`` limited to
the last ``DQ_CACHE_READINGS_DAYS`` days); later ones copy the current file and apply what
changed (:mod:`core.db.cache_sync`), streamed in batches of ``DQ_CACHE_BATCH_ROWS`` rows. The
app refreshes in the background when the copy is older than ``DQ_CACHE_REFRESH_SECONDS``; the
jobs refresh it after each run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from core import config
from core.db import arrow
from core.db import cache_sync as sync
from core.db.base import Database, Params, Transaction
from core.db.duckdb import DuckDBDatabase, DuckDBTransaction
from core.errors import DQHubError, WarehouseError

log = logging.getLogger(__name__)

META = sync.META
NOT_COPIED = ("auth_sessions", "auth_failures")  # read live on the warehouse (core.auth.login.live)
REFUSAL_COOLDOWN_S = 5.0  # a burst of refused saves (a bulk save) brings a table up once
COMMIT_BATCHES = 10  # a copy being built commits every 10 x DQ_CACHE_BATCH_ROWS rows
REFUSAL_WAIT_S = 15.0  # a refused save waits this long at most for a running refresh


class StaleCacheError(DQHubError):
    """The remote warehouse changed the rows this edit was based on; reload and retry."""


def is_remote(url: str) -> bool:
    """Whether ``url`` names a networked warehouse (anything but an embedded DuckDB file)."""
    return not url.startswith("duckdb:")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def refresh(remote: Database, path: str | Path | None = None, *, full: bool = False) -> datetime:
    """Bring the cache file at ``path`` up to date with ``remote``; return the refresh time."""
    return update(remote, path, full=full).started


def update(remote: Database, path: str | Path | None = None, *, full: bool = False) -> sync.Report:
    """Bring the cache file at ``path`` up to date with ``remote``; say what was done.

    Incremental when the file allows it (see the module docstring), else (or with ``full``) a
    full copy; an incremental refresh that fails for any reason is redone as a full one. The
    new copy is written beside the file and renamed over it. One refresh of a file runs at a
    time, across processes too; a second one waits, then makes its own (it may have been asked
    for because of a write the first one missed).
    """
    path = Path(path or config.get("DQ_CACHE_PATH"))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    with sync.refresh_lock(path):
        clock = time.perf_counter()
        report = sync.Report(started=_now())
        since = report.started - timedelta(days=config.get("DQ_CACHE_READINGS_DAYS"))
        prev = None if full else state(path)
        full_every = timedelta(hours=config.get("DQ_CACHE_FULL_REFRESH_HOURS"))
        if prev is not None and (
            since < prev.readings_since or report.started - prev.full_at >= full_every
        ):
            prev = None
        if prev is not None:
            try:
                report.mode = "incremental"
                _build(remote, path, tmp, prev, since, report)
            except Exception as exc:  # noqa: BLE001 - a full copy is always possible
                log.info("cache %s: no incremental refresh (%s); copying everything", path, exc)
                prev = None
        if prev is None:
            report.mode, report.rows, report.whole = "full", {}, []
            _build(remote, path, tmp, None, since, report)
        tmp.replace(path)
        report.seconds = time.perf_counter() - clock
    log.info(
        "cache %s refreshed from the warehouse (%s, %.1f s)", path, report.mode, report.seconds
    )
    return report


@contextmanager
def _building(local: DuckDBDatabase) -> Iterator[DuckDBTransaction]:
    """A transaction on a copy no reader sees yet, committed every ``COMMIT_BATCHES`` batches.

    DuckDB would otherwise hold a whole table's new rows in memory until the end.
    """
    with local.transaction() as ltx:
        ltx.commit_rows = COMMIT_BATCHES * arrow.batch_rows()
        yield ltx


def _build(
    remote: Database,
    path: Path,
    tmp: Path,
    prev: sync.CopyState | None,
    since: datetime,
    report: sync.Report,
) -> None:
    """Fill ``tmp``: a copy of ``path`` brought up to date from ``prev``, or (None) a new copy.

    A new copy gets the warehouse schema from the same migrations (so column types match even
    for all-NULL columns), then every table's rows.
    """
    from core.db import migrations

    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        p.unlink(missing_ok=True)  # left by a refresh that died
    if prev is not None:
        DuckDBDatabase(f"duckdb:///{path}").copy_to(tmp)
    local = DuckDBDatabase(f"duckdb:///{tmp}")
    try:
        if prev is None:
            migrations.apply(local)
        with remote.transaction() as rtx:
            sync.snapshot(remote, rtx)
            schema = sync.schema(rtx)
            if prev is not None and schema != prev.schema:
                raise sync.NeedFullError(f"the warehouse schema changed to {schema}")
            with _building(local) as ltx:
                if prev is not None and sync.has_changes(rtx):
                    sync.readings_delta(ltx, rtx, prev, since, report)
                else:
                    sync.copy_whole(ltx, rtx, "readings", report, "ts >= ?", (since,))
            for table in _tables(local):
                if table == "readings":
                    continue
                with _building(local) as ltx:
                    if prev is not None and table in sync.DELTAS:
                        sync.apply_delta(ltx, rtx, table, sync.DELTAS[table], prev, report)
                    else:
                        sync.copy_whole(ltx, rtx, table, report)
            with _building(local) as ltx:
                sync.write_state(ltx, report, since, schema, prev)
    finally:
        local.close()  # the process's handle of the new file must not outlive its name


def refresh_tables(
    remote: Database, path: Path, tables: set[str], *, whole: bool, wait: float | None = None
) -> None:
    """Bring ``tables`` of the live cache file up to date in place, in one DuckDB transaction.

    ``whole`` copies each table whole; otherwise the tables of ``sync.DELTAS`` get what changed
    since the last refresh and the others are copied whole. ``readings`` only ever get their
    changed meter-days here (never whole: the window is the refresh's job).
    Readers see the whole change or none of it. Waits for a running refresh of the file (at most
    ``wait`` seconds, then :class:`core.db.cache_sync.RefreshBusyError`).
    """
    with sync.refresh_lock(path, wait):
        prev = state(path)
        report = sync.Report(started=_now(), mode="in place")
        with remote.transaction() as rtx, DuckDBDatabase(f"duckdb:///{path}").transaction() as ltx:
            sync.snapshot(remote, rtx)
            for table in sorted(tables & set(_tables(ltx))):
                if table == "readings":
                    if prev is not None and not whole and sync.has_changes(rtx):
                        sync.readings_delta(ltx, rtx, prev, prev.readings_since, report)
                elif whole or prev is None or table not in sync.DELTAS:
                    sync.copy_whole(ltx, rtx, table, report)
                else:
                    sync.apply_delta(ltx, rtx, table, sync.DELTAS[table], prev, report)
    log.info("cache %s: %s brought up to date in place (%s)", path, sorted(tables), report.rows)


def _tables(local: Database | Transaction) -> list[str]:
    """The migrated tables to copy.

    Not the migration log (the copy wrote its own), nor sign-in state, which is only ever read
    on the warehouse itself and has no business on app disks.
    """
    skip = (migrations_table(), META, *NOT_COPIED)
    rows = local.fetch_all(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        f"AND table_schema = 'main' AND table_name NOT IN ({', '.join('?' * len(skip))}) "
        "ORDER BY 1",
        skip,
    )
    return [r[0] for r in rows]


def migrations_table() -> str:
    """Name of the migration log table (kept out of the copy)."""
    from core.db import migrations

    return migrations.TABLE


def state(path: str | Path) -> sync.CopyState | None:
    """The cache file's record of its last refresh (None: no file, or one of an older format)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        row = DuckDBDatabase(f"duckdb:///{path}").fetch_one(
            f"SELECT refreshed_at, full_at, readings_since, schema_version FROM {META}"
        )
    except Exception:  # noqa: BLE001 - a copy from before this format is simply not usable
        return None
    return sync.CopyState(*row) if row else None


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
        self.reads: list[tuple[str, str, tuple, Any]] = []  # (method, sql, params, result)
        self.read_sql: list[str] = []  # every query run, on the cache or the remote
        self.stale: set[str] = set()  # tables of the reads the remote answered differently
        self.writes: list[tuple[str, Any, Any]] = []
        self._remote_tx: Transaction | None = None
        self._remote_cm: Any = None

    @property
    def began_remote(self) -> bool:
        """Whether this transaction has read or written the remote warehouse."""
        return self._remote_tx is not None

    def _begin_remote(self) -> Transaction:
        if self._remote_tx is None:
            self._remote_cm = self.remote.transaction()
            self._remote_tx = self._remote_cm.__enter__()
            for method, sql, params, seen in self.reads:
                if not sync.same_rows(seen, getattr(self._remote_tx, method)(sql, params)):
                    self.stale |= sync.tables_in(sql)
            if self.stale:
                raise StaleCacheError(
                    "The warehouse changed since this page's data was cached; nothing was "
                    "saved. Reload the page and try again."
                )
        return self._remote_tx

    def _read(self, method: str, sql: str, params: Params) -> Any:
        self.read_sql.append(sql)
        if self._remote_tx is not None:
            return getattr(self._remote_tx, method)(sql, params)
        result = getattr(self.cache, method)(sql, params)
        self.reads.append((method, sql, tuple(params), result))
        return result

    def fetch_df(self, sql: str, params: Params = ()) -> pd.DataFrame:
        """Cached rows, or the remote's once this transaction has written."""
        return self._read("fetch_df", sql, params)

    def fetch_all(self, sql: str, params: Params = ()) -> list[tuple]:
        """Cached rows as the cache's own tuples (NULL as None), or the remote's once written."""
        return self._read("fetch_all", sql, params)

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


class CachedWarehouse(Database):
    """A remote warehouse read through its local DuckDB cache (see the module docstring)."""

    def __init__(self, remote: Database, path: str | Path | None = None) -> None:
        super().__init__(remote.url)
        self.remote = remote
        self.path = Path(path or config.get("DQ_CACHE_PATH"))
        self.DIALECT = "duckdb"  # reads run on the cache
        self._refused: dict[tuple[str, bool], float] = {}  # (table, whole) -> when brought up
        if not self.path.exists():
            refresh(remote, self.path)
        self.cache = DuckDBDatabase(f"duckdb:///{self.path}")

    @contextmanager
    def transaction(self) -> Iterator[CachedTransaction]:
        """Reads on the cache; writes on the remote (committed first), then on the cache.

        A replay that fails on the cache leaves the remote's committed change in place and
        starts a refresh instead (the cache is a copy; the warehouse is the truth). A refused
        transaction brings the tables it read up to date first (:meth:`_after_refusal`).
        """
        tx: CachedTransaction | None = None
        try:
            with self.cache.transaction() as cache_tx:
                tx = CachedTransaction(cache_tx, self.remote)
                try:
                    yield tx
                except BaseException as exc:
                    tx.finish(exc)
                    raise
                tx.finish(None)
        except DQHubError as exc:
            if tx is not None:
                self._after_refusal(tx, exc)
            raise
        if not tx.writes:
            return
        try:
            with self.cache.transaction() as replay_tx:
                tx.replay(replay_tx)
        except Exception:  # noqa: BLE001 - the remote has it; refresh the copy
            log.warning("replaying a write on the cache failed; refreshing it", exc_info=True)
            threading.Thread(target=self._refresh_quietly, daemon=True).start()

    def _after_refusal(self, tx: CachedTransaction, exc: DQHubError) -> None:
        """Bring the tables a refused transaction read up to date in the copy, synchronously.

        Otherwise the page, reloaded, shows the same stale rows and the retry is refused again
        until the next refresh. A :class:`StaleCacheError` copies the tables of the reads that
        changed whole (the change may carry no stamp); any other refusal after reading the
        warehouse (a stale triage edit, a move no longer allowed) applies what changed to every
        table it read. An unreachable warehouse, or a refusal before the warehouse was read,
        changes nothing. Within ``REFUSAL_COOLDOWN_S`` a table is brought up once.
        """
        if isinstance(exc, WarehouseError):
            return
        if isinstance(exc, StaleCacheError):
            tables, whole = set(tx.stale), True
        elif tx.began_remote:
            tables, whole = set().union(*map(sync.tables_in, tx.read_sql)), False
        else:
            return
        now = time.monotonic()
        tables = {
            t for t in tables if now - self._refused.get((t, whole), -1e9) >= REFUSAL_COOLDOWN_S
        }
        if not tables:
            return
        self._refused.update(dict.fromkeys(((t, whole) for t in tables), now))
        try:
            refresh_tables(self.remote, self.path, tables, whole=whole, wait=REFUSAL_WAIT_S)
        except sync.RefreshBusyError:  # that refresh brings the change, or the next refusal does
            log.info("cache %s: a long refresh is running; not waiting after a refusal", self.path)
        except Exception:  # noqa: BLE001 - the refusal is the news; the copy catches up later
            log.warning("bringing %s up to date after a refusal failed", tables, exc_info=True)

    def refreshed_at(self) -> datetime | None:
        """When the cache was last refreshed."""
        return refreshed_at(self.path)

    def refresh_if_old(self) -> bool:
        """Start a background refresh when the cache is older than the setting; True if started."""
        at = self.refreshed_at()
        max_age = timedelta(seconds=config.get("DQ_CACHE_REFRESH_SECONDS"))
        if at is not None and _now() - at < max_age:
            return False
        if sync.is_refreshing():
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
