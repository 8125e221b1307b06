"""What the load benchmark runs against: a warehouse, app users, the app, the DQ worker, RSS.

- The warehouse holds the demo fleet (``core.demo``, seed 42: 295 meters in 5 accounts, 60 days
  of 15-minute readings, bills) with its last day scored by the DQ job: an embedded DuckDB copy
  of a file cached under bench/out/, or a throwaway PostgreSQL database created on the local
  server, imported through ``core.ingest.import_frames`` and dropped at the end.
- Users sign in through ``users`` mode: a users file of staff users, alternately granted
  ``GROUPS``, and a random cookie key (the demo logins offer one staff scope only).
- The app is ``streamlit run Home.py`` on a free 127.0.0.1 port; with PostgreSQL it reads its
  own DuckDB cache (``DQ_CACHE_PATH``), which the worker's job runs refresh too.
- The worker runs ``python -m jobs run dq --date latest`` over and over (a pause between runs),
  as the scheduler would, against the same warehouse and cache.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
VERSION = 1  # bump when the cached warehouse changes
SEED = 42
# Staff scopes, two demo accounts each (76 and 54 meter issues: two pages of 50 each). Session
# i signs in as a user of GROUPS[i % 2], so sessions of one group share an issue list.
GROUPS = (("acc-01", "acc-02"), ("acc-03", "acc-04"))
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _quiet_streamlit() -> None:
    """No "missing ScriptRunContext" warnings from core's caches outside a Streamlit app."""
    import logging

    for name in ("scriptrunner_utils.script_run_context", "caching.cache_data_api"):
        logging.getLogger(f"streamlit.runtime.{name}").disabled = True  # setLevel is reset


def _scored_fleet(db: Any) -> None:
    """Import the demo fleet into ``db`` and score its last day with the DQ job."""
    from core import demo
    from core.dq import job
    from core.ingest import import_frames

    fleet = demo.generate(seed=SEED)
    import_frames(db, meters=fleet.meters, readings=fleet.readings, bills=fleet.bills)
    job.run(db, fleet.last_day)


def base_file(regenerate: bool = False) -> Path:
    """The cached embedded warehouse with the scored demo fleet (built once, ~10 s)."""
    from core.db import open_warehouse

    _quiet_streamlit()
    path = OUT / f"load_v{VERSION}_seed{SEED}.duckdb"
    if path.exists() and not regenerate:
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.duckdb")
    for p in (tmp, Path(f"{tmp}.wal"), path):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    db = open_warehouse(f"duckdb:///{tmp}")
    _scored_fleet(db)
    db.close()  # let go of the file (checkpointed) before it is renamed
    tmp.rename(path)
    print(f"built {path.name} in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


@contextmanager
def warehouse(
    engine: str, workdir: Path, pg_admin_url: str = PG_ADMIN_URL, regenerate: bool = False
) -> Iterator[dict[str, str]]:
    """A fresh warehouse for one engine; yields the app's settings for it, cleans up after.

    ``duckdb``: a copy of :func:`base_file` in ``workdir``. ``postgres``: a new database
    ``dqhub_bench_<random>`` on ``pg_admin_url``'s server, dropped on exit.
    """
    from core.db import connect, open_warehouse

    if engine == "duckdb":
        url = connect(f"duckdb:///{base_file(regenerate)}").copy_to(workdir / "warehouse.duckdb")
        try:
            yield {"DQ_WAREHOUSE": url}
        finally:
            for p in workdir.glob("warehouse.duckdb*"):
                p.unlink()
        return
    import psycopg
    from psycopg import sql

    _quiet_streamlit()
    name = f"dqhub_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = pg_admin_url.rsplit("/", 1)[0] + "/" + name
        t0 = time.perf_counter()
        _scored_fleet(open_warehouse(url))
        print(
            f"imported the demo fleet into PostgreSQL {name} in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        yield {"DQ_WAREHOUSE": url, "DQ_CACHE_PATH": str(workdir / "cache.duckdb")}
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        for p in workdir.glob("cache.duckdb*"):
            p.unlink()


def add_users(count: int, users_file: Path) -> list[dict[str, Any]]:
    """Write ``count`` staff users (``load-01`` ...) to ``users_file``; return their logins."""
    from core import auth

    os.environ["DQ_USERS_FILE"] = str(users_file)  # read by core.auth at call time
    users = []
    for i in range(count):
        name, password = f"load-{i + 1:02d}", secrets.token_urlsafe(12)
        accounts = list(GROUPS[i % len(GROUPS)])
        auth.add_user(name, password, "staff", accounts)
        users.append({"user": name, "password": password, "accounts": accounts})
    return users


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (``VmRSS`` in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_ticks() -> tuple[int, int]:
    """The machine's (busy, total) CPU time so far, in clock ticks over all CPUs (/proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


class App:
    """The app under test: ``streamlit run Home.py`` on 127.0.0.1 with ``env``."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"app-{self.port}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "Home.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def _wait_healthy(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the app did not start:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.3)

    def rss_mb(self) -> float:
        """The app process's resident memory now, in MB."""
        return rss_mb(self.proc.pid)

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the app process used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Stop the app and close its log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class RssSampler(threading.Thread):
    """Samples a process's RSS every ``every`` seconds until stopped; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.samples = pid, every, 0.0, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Sample until :meth:`stop`."""
        while not self._stop_event.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
                self.samples += 1
            except OSError:
                return
            self._stop_event.wait(self.every)

    def stop(self) -> float:
        """Stop sampling; the peak RSS in MB."""
        self._stop_event.set()
        self.join()
        return self.peak


class Worker(threading.Thread):
    """Runs the daily DQ job again and again (``gap`` seconds apart) until stopped.

    Each run is ``python -m jobs run dq --date latest -q`` with the app's warehouse settings,
    recorded as ``{start, seconds, rc, line}`` (``start`` relative to the load's start).
    """

    def __init__(self, env: dict[str, str], gap: float, t0: float) -> None:
        super().__init__(daemon=True)
        self.env, self.gap, self.t0 = env, gap, t0
        self.runs: list[dict[str, Any]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Run jobs until :meth:`stop`; the one running then is waited for."""
        while not self._stop_event.is_set():
            start = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "jobs", "run", "dq", "--date", "latest", "-q"],
                cwd=ROOT,
                env={**os.environ, **self.env},
                capture_output=True,
                text=True,
                check=False,
            )
            lines = (proc.stdout + proc.stderr).strip().splitlines()
            line = ([ln for ln in lines if ln.startswith("dq ")] or lines or [""])[-1]
            self.runs.append(
                {
                    "start": round(start - self.t0, 2),
                    "seconds": round(time.monotonic() - start, 2),
                    "rc": proc.returncode,
                    "line": line[:300],
                }
            )
            self._stop_event.wait(self.gap)

    def stop(self) -> list[dict[str, Any]]:
        """Stop after the running job; every run recorded."""
        self._stop_event.set()
        self.join()
        return self.runs
