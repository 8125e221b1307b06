"""The local cache of a remote warehouse (the real local PostgreSQL server as the remote)."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from core import triage
from core.auth import User
from core.db import open_warehouse
from core.db.cache import CachedWarehouse, StaleCacheError, is_remote, refresh, refreshed_at
from core.errors import WarehouseError

LOADED_AT = pd.Timestamp("2026-01-01").to_pydatetime()
ALICE = User("alice", "Alice", "staff", None)


@pytest.fixture
def remote(pg_url):
    db = open_warehouse(pg_url)
    db.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, meter_id, severity, "
        "first_seen_run, last_seen_run, status, status_by, status_at) VALUES "
        "('i1', 'meter', 'offline', 'acc-a', 'm1', 'high', 'r', 'r', 'open', 'system', ?)",
        (LOADED_AT,),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    db.insert_df(
        "readings",
        pd.DataFrame(
            {
                "meter_id": "m1",
                "ts": [now - timedelta(days=90), now - timedelta(days=1)],
                "value": [1.0, 2.0],
                "source": "platform",
            }
        ),
    )
    return db


@pytest.fixture
def cached(remote, tmp_path):
    return CachedWarehouse(remote, tmp_path / "cache.duckdb")


def _status(db):
    return db.fetch_value("SELECT status FROM dq_issues WHERE issue_id = 'i1'")


def test_only_embedded_duckdb_is_local():
    assert not is_remote("duckdb:///data/dqhub.duckdb")
    assert is_remote("postgresql://h/db") and is_remote("redshift://h:5439/db")


def test_first_use_copies_the_warehouse_with_recent_readings_only(cached):
    assert cached.fetch_value("SELECT count(*) FROM dq_issues") == 1
    assert cached.fetch_all("SELECT value FROM readings") == [(2.0,)]
    assert cached.refreshed_at() > datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)


def test_sign_in_state_stays_on_the_warehouse(remote, tmp_path):
    from core.auth import sessions

    sessions.start(remote, "alice", "users")
    cached = CachedWarehouse(remote, tmp_path / "cache.duckdb")
    assert cached.fetch_value("SELECT count(*) FROM auth_sessions") == 0
    assert cached.fetch_value("SELECT count(*) FROM dq_issues") == 1  # the rest is copied


def test_reads_come_from_the_copy_until_a_refresh(cached, remote, monkeypatch):
    remote.execute(  # as every writer of dq_issues does, the change is stamped
        "UPDATE dq_issues SET status = 'resolved', status_at = ? WHERE issue_id = 'i1'",
        (datetime.now(UTC).replace(tzinfo=None),),
    )
    assert _status(cached) == "open"  # the copy, not the warehouse

    def down(*a, **k):
        raise WarehouseError("warehouse unreachable")

    monkeypatch.setattr(type(remote), "connect", down)
    assert _status(cached) == "open"  # reads never touch the warehouse
    monkeypatch.undo()
    refresh(remote, cached.path)
    assert _status(cached) == "resolved"


def test_empty_results_are_none_through_the_cache(remote, tmp_path):
    from tests.core.db.emptycases import add_unfinished_run, assert_empty_results

    add_unfinished_run(remote)
    assert_empty_results(CachedWarehouse(remote, tmp_path / "cache.duckdb"))


def test_triage_edit_lands_in_the_warehouse_then_the_copy(cached, remote):
    triage.set_status(
        cached, ALICE, "i1", "acknowledged", note="called the site", expected_status_at=LOADED_AT
    )
    for db in (remote, cached):
        assert _status(db) == "acknowledged"
        assert db.fetch_all("SELECT changed_by, to_status, note FROM issue_events") == [
            ("alice", "acknowledged", "called the site")
        ]


def test_write_based_on_a_stale_copy_is_refused_and_writes_nothing(cached, remote):
    # Another app instance assigned an owner since the copy was made.
    remote.execute("UPDATE dq_issues SET owner = 'bob' WHERE issue_id = 'i1'")
    with pytest.raises(StaleCacheError, match="Reload the page"):
        with cached.transaction() as tx:
            owner = tx.fetch_all("SELECT owner FROM dq_issues WHERE issue_id = 'i1'")[0][0]
            tx.execute(
                "UPDATE dq_issues SET next_step = ? WHERE issue_id = 'i1'",
                (f"ask {owner or 'nobody'}",),
            )
    assert remote.fetch_all("SELECT owner, next_step FROM dq_issues") == [("bob", None)]


def test_a_stale_refusal_brings_what_it_read_up_to_date_so_a_retry_lands(cached, remote):
    remote.execute("UPDATE dq_issues SET owner = 'bob' WHERE issue_id = 'i1'")  # no stamp

    def ask_the_owner():
        with cached.transaction() as tx:
            owner = tx.fetch_value("SELECT owner FROM dq_issues WHERE issue_id = 'i1'")
            tx.execute(
                "UPDATE dq_issues SET next_step = ? WHERE issue_id = 'i1'", (f"ask {owner}",)
            )

    with pytest.raises(StaleCacheError):
        ask_the_owner()
    assert cached.fetch_value("SELECT owner FROM dq_issues") == "bob"  # a reload shows it
    ask_the_owner()  # the retry reads the current row and lands
    assert remote.fetch_all("SELECT owner, next_step FROM dq_issues") == [("bob", "ask bob")]


def test_a_refused_stale_triage_edit_brings_the_issue_up_to_date(cached, remote):
    bob = User("bob", "Bob", "staff", None)
    triage.set_status(remote, bob, "i1", "acknowledged", note="on it")  # another app process
    with pytest.raises(triage.TriageError, match="after you loaded it"):
        triage.set_status(cached, ALICE, "i1", "resolved", expected_status_at=LOADED_AT)
    # The page, reloaded, shows Bob's change (not the copy it loaded), and the retry lands.
    status, at = cached.fetch_one("SELECT status, status_at FROM dq_issues WHERE issue_id = 'i1'")
    assert status == "acknowledged" and at > LOADED_AT
    triage.set_status(cached, ALICE, "i1", "resolved", expected_status_at=at)
    assert _status(remote) == "resolved" and _status(cached) == "resolved"


def test_triage_locks_and_reads_the_warehouse_so_a_newer_change_is_kept(cached, remote):
    remote.execute("UPDATE dq_issues SET owner = 'bob' WHERE issue_id = 'i1'")
    triage.set_status(cached, ALICE, "i1", "acknowledged")
    for db in (remote, cached):
        assert db.fetch_all("SELECT status, owner FROM dq_issues") == [("acknowledged", "bob")]


def test_failed_warehouse_write_changes_neither(cached, remote, monkeypatch):
    def fail_insert(self, table, df):
        raise WarehouseError("connection dropped")

    monkeypatch.setattr("core.db.postgres.PostgresTransaction.insert_df", fail_insert)
    with pytest.raises(WarehouseError):
        with cached.transaction() as tx:
            tx.execute("UPDATE dq_issues SET status = 'resolved' WHERE issue_id = ?", ("i1",))
            tx.insert_df("issue_events", pd.DataFrame({"issue_id": ["i1"]}))
    assert _status(remote) == "open" and _status(cached) == "open"


def test_refresh_swaps_the_file_whole(cached, remote, tmp_path):
    before = refreshed_at(cached.path)
    refresh(remote, cached.path)
    assert refreshed_at(cached.path) >= before
    assert not (tmp_path / "cache.duckdb.new").exists()


def test_old_copy_is_refreshed_in_the_background(cached, remote, monkeypatch):
    monkeypatch.setenv("DQ_CACHE_REFRESH_SECONDS", "3600")
    assert cached.refresh_if_old() is False
    remote.execute("UPDATE dq_issues SET status = 'resolved' WHERE issue_id = 'i1'")
    monkeypatch.setenv("DQ_CACHE_REFRESH_SECONDS", "1")
    cached.cache.execute("UPDATE dq_cache_meta SET refreshed_at = ?", (LOADED_AT,))
    assert cached.refresh_if_old() is True
    import time

    deadline = time.monotonic() + 20
    while _status(cached) != "resolved" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _status(cached) == "resolved"


def test_bulk_triage_reports_an_unreachable_warehouse_per_row(cached, remote, monkeypatch):
    def down(*a, **k):
        raise WarehouseError("Cannot connect to postgresql://dq:***@db/wh")

    monkeypatch.setattr(type(remote), "connect", down)
    result = triage.apply(cached, ALICE, [triage.Change("i1", "acknowledged")])
    assert result.saved == [] and result.refused[0][0] == "i1"
    assert "Cannot connect" in result.refused[0][1]
    assert _status(cached) == "open"


def test_jobs_refresh_the_copy_of_a_remote_warehouse_only(remote, tmp_path, monkeypatch, fresh_db):
    from core.db.cache import refresh_after_job

    path = tmp_path / "after.duckdb"
    monkeypatch.setenv("DQ_CACHE_PATH", str(path))
    assert refresh_after_job(fresh_db) is False and not path.exists()
    assert refresh_after_job(remote) is True
    assert refreshed_at(path) is not None
    monkeypatch.setenv("DQ_CACHE_PATH", "")
    assert refresh_after_job(remote) is False


def test_run_command_refreshes_the_app_cache_of_a_remote_warehouse(pg_url, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    open_warehouse(pg_url)
    path = tmp_path / "app-cache.duckdb"
    env = {**os.environ, "DQ_WAREHOUSE": pg_url, "DQ_CACHE_PATH": str(path)}
    out = subprocess.run(
        [sys.executable, "-m", "jobs", "run", "bills", "--date", "2026-03-01", "-q"],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "app cache" in out.stdout and refreshed_at(path) is not None
    copy = open_warehouse(f"duckdb:///{path}")
    assert copy.fetch_all("SELECT job, status FROM dq_runs") == [("bills", "ok")]


def test_app_database_reads_a_remote_warehouse_through_its_own_cache(remote, pg_url, tmp_path):
    from core.db.cache import app_database

    db = app_database(pg_url, tmp_path / "app.duckdb")
    assert isinstance(db, CachedWarehouse) and db.path == tmp_path / "app.duckdb"
    assert refreshed_at(db.path) is not None  # built on first use
    assert not isinstance(app_database(pg_url, ""), CachedWarehouse)  # empty path: live reads
    embedded = app_database(f"duckdb:///{tmp_path}/wh.duckdb", tmp_path / "unused.duckdb")
    assert not isinstance(embedded, CachedWarehouse)
    assert not (tmp_path / "unused.duckdb").exists()


def test_a_refusal_does_not_wait_long_for_a_running_refresh(cached, remote, monkeypatch):
    import threading

    from core.db import cache, cache_sync

    monkeypatch.setattr(cache, "REFUSAL_WAIT_S", 0.2)
    bob = User("bob", "Bob", "staff", None)
    triage.set_status(remote, bob, "i1", "acknowledged")
    held, release = threading.Event(), threading.Event()

    def long_refresh():  # another process's refresh holding the file
        with cache_sync.refresh_lock(cached.path):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=long_refresh)
    thread.start()
    try:
        held.wait(10)
        with pytest.raises(triage.TriageError, match="after you loaded it"):
            triage.set_status(cached, ALICE, "i1", "resolved", expected_status_at=LOADED_AT)
        assert _status(cached) == "open"  # not brought up: that refresh will, or the next refusal
    finally:
        release.set()
        thread.join()
