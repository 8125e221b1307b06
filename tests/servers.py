"""Local servers for tests and scripts: throwaway PostgreSQL databases, influxd and moto S3.

Everything binds to 127.0.0.1 and is removed when its context ends. The pytest fixtures in
tests/conftest.py wrap these; scripts/screenshots_production.py uses them directly.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
INFLUXD_START_TIMEOUT_S = 20


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def pg_database(admin_url: str = PG_ADMIN_URL, prefix: str = "dqhub_test") -> Iterator[str]:
    """A new database on the server of ``admin_url``; yields its URL, dropped (forced) after."""
    import psycopg
    from psycopg import sql

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


_INFLUX_CONF = """\
reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{dir}/meta"
  logging-enabled = false
[data]
  dir = "{dir}/data"
  wal-dir = "{dir}/wal"
  index-version = "inmem"
  query-log-enabled = false
[coordinator]
  log-queries-after = "0s"
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
  pprof-enabled = false
[subscriber]
  enabled = false
[retention]
  enabled = false
[continuous_queries]
  enabled = false
[shard-precreation]
  enabled = false
"""


class ServerError(RuntimeError):
    """A local server could not be started; the message has the end of its log."""


@contextmanager
def influxd(home: Path, binary: str = "influxd") -> Iterator[str]:
    """A throwaway influxd (1.x) with its config and data under ``home``; yields its base URL.

    Raises
    ------
    FileNotFoundError
        If ``binary`` is not installed.
    ServerError
        If it exits or does not answer ``/ping`` in time.
    """
    path = shutil.which(binary)
    if path is None:
        raise FileNotFoundError(binary)
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = home / "influxdb.conf"
    conf.write_text(_INFLUX_CONF.format(dir=home, rpc_port=free_port(), http_port=port))
    log_path = home / "influxd.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [path, "run", "-config", str(conf)], stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + INFLUXD_START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    raise ServerError(
                        f"influxd exited with {proc.returncode}: {log_path.read_text()[-2000:]}"
                    )
                try:
                    if requests.get(f"{url}/ping", timeout=1).status_code == 204:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"influxd did not answer /ping on {url} within {INFLUXD_START_TIMEOUT_S}s"
                    )
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def moto_s3() -> Iterator[str]:
    """A moto S3 server (ThreadedMotoServer) on 127.0.0.1; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
