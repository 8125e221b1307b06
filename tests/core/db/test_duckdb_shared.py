"""Many sessions of one process, and a second process, on one embedded warehouse file."""

import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.db import connect, duckdb_file
from core.errors import WarehouseError

ROOT = Path(__file__).resolve().parents[3]


def _hammer(db, worker: int, rounds: int) -> list[str]:
    errors = []
    for i in range(rounds):
        try:
            if i % 3 == 0:
                db.execute("INSERT INTO t VALUES (?, ?)", (worker, i))
            else:
                db.fetch_df("SELECT * FROM t LIMIT 5")
        except Exception as exc:  # collected: the assertion shows every failure
            errors.append(f"{type(exc).__name__}: {exc}")
    return errors


def test_many_threads_share_the_file_without_a_handle_conflict(db_path):
    """Sessions of one app process open the file at once (each with its own Database object)."""
    connect(db_path).execute("CREATE TABLE t (w INTEGER, i INTEGER)")
    threads, rounds = 4, 300  # the shape that lost edits: a few sessions, many short calls
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda w: _hammer(connect(db_path), w, rounds), range(threads)))
    errors = [e for r in results for e in r]
    assert errors == []
    writes = sum(1 for i in range(rounds) if i % 3 == 0)
    assert connect(db_path).fetch_value("SELECT count(*) FROM t") == threads * writes


def _writer_process(path: str, seconds: float) -> subprocess.Popen:
    code = textwrap.dedent(
        f"""
        import time
        from core.db import connect
        db = connect({"duckdb:///" + path!r})
        print("ready", flush=True)
        end, n = time.monotonic() + {seconds}, 0
        while time.monotonic() < end:
            with db.transaction() as tx:
                tx.execute("INSERT INTO t VALUES (-1, ?)", ({"n"},))
            n += 1
        print(n, flush=True)
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_two_processes_and_many_threads_all_land(db_path):
    """A worker process writes continuously while 8 app threads read and write: nobody fails."""
    db = connect(db_path)
    db.execute("CREATE TABLE t (w INTEGER, i INTEGER)")
    other = _writer_process(db.path, 2.5)
    assert other.stdout.readline().strip() == "ready"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda w: _hammer(connect(db_path), w, 30), range(8)))
    written = int(other.stdout.readline())
    assert other.wait(30) == 0
    assert [e for r in results for e in r] == []
    assert written > 0  # the other process got the file between this one's uses
    counts = dict(db.fetch_all("SELECT w = -1, count(*) FROM t GROUP BY 1"))
    assert counts == {True: written, False: 8 * 10}


def test_the_file_is_let_go_when_idle(db_path):
    """Between the app's uses another process can open the file outright (no retry needed)."""
    db = connect(db_path)
    db.execute("CREATE TABLE t (w INTEGER, i INTEGER)")
    time.sleep(duckdb_file.IDLE_SECONDS * 2 + 0.2)
    code = f"import duckdb; duckdb.connect({db.path!r}).execute('INSERT INTO t VALUES (1, 1)')"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
    assert db.fetch_value("SELECT count(*) FROM t") == 1


def test_a_busy_process_takes_turns_with_a_waiting_one(db_path, monkeypatch):
    """Threads that never leave the file idle still let a waiting process in (a lease)."""
    monkeypatch.setenv("DQ_LOCK_TIMEOUT_SECONDS", "20")
    db = connect(db_path)
    db.execute("CREATE TABLE t (w INTEGER, i INTEGER)")
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            db.fetch_value("SELECT count(*) FROM t")

    threads = [threading.Thread(target=busy) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        code = (
            "from core.db import connect; "
            f"connect({('duckdb:///' + db.path)!r}).execute('INSERT INTO t VALUES (2, 2)')"
        )
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
        waited = time.monotonic() - started
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert db.fetch_value("SELECT count(*) FROM t WHERE w = 2") == 1
    assert waited < 15


def test_a_replaced_file_is_reopened(tmp_path):
    """The app cache is swapped by rename; the next use reads the new file, not the old inode."""
    path = tmp_path / "cache.duckdb"
    db = connect(f"duckdb:///{path}")
    db.execute("CREATE TABLE t AS SELECT 1 AS v")
    new = connect(f"duckdb:///{tmp_path / 'new.duckdb'}")
    new.execute("CREATE TABLE t AS SELECT 2 AS v")
    new.close()
    (tmp_path / "new.duckdb").replace(path)
    assert db.fetch_value("SELECT v FROM t") == 2


def test_an_unreadable_file_is_a_clear_error_naming_it(tmp_path):
    path = tmp_path / "not-a-db.duckdb"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(WarehouseError, match=f"Cannot open warehouse {path}"):
        connect(f"duckdb:///{path}").fetch_value("SELECT 1")
