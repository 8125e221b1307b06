"""core.worker.lock: one worker per warehouse (a file lock, a PostgreSQL advisory lock)."""

import pytest

from core.db import open_warehouse
from core.worker import lock, service


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
