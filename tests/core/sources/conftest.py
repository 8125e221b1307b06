"""Real local servers for the source tests: influxd (Debian's influxdb 1.x) and a moto S3 server.

Each starts on 127.0.0.1 on a free port, once per session, and is stopped after. A missing
server binary or package skips its tests, or fails them when DQ_TEST_REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid

import pytest
import requests

INFLUXD = os.environ.get("DQ_TEST_INFLUXD", "influxd")
_START_TIMEOUT_S = 20


def _missing(message: str):
    if os.environ.get("DQ_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@pytest.fixture(scope="session")
def influx_server(tmp_path_factory):
    """Base URL of a throwaway influxd (1.x) on 127.0.0.1, reporting off, data in a temp dir."""
    binary = shutil.which(INFLUXD)
    if binary is None:
        _missing(
            f"{INFLUXD} not found: install InfluxDB 1.x (apt-get install influxdb, as .ci/run "
            "does) or set DQ_TEST_INFLUXD to the influxd binary"
        )
    home = tmp_path_factory.mktemp("influxd")
    port = free_port()
    conf = home / "influxdb.conf"
    conf.write_text(_INFLUX_CONF.format(dir=home, rpc_port=free_port(), http_port=port))
    log = open(home / "influxd.log", "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [binary, "run", "-config", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"influxd exited with {proc.returncode}: {(home / 'influxd.log').read_text()[-2000:]}"
                )
            try:
                if requests.get(f"{url}/ping", timeout=1).status_code == 204:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"influxd did not answer /ping on {url} within {_START_TIMEOUT_S}s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def influx_db(influx_server):
    """``(client, url)``: a fresh database on the test server, dropped after the test."""
    from influxdb import InfluxDBClient

    name = f"dq_{uuid.uuid4().hex[:10]}"
    port = int(influx_server.rsplit(":", 1)[1])
    client = InfluxDBClient("127.0.0.1", port, database=name, timeout=10)
    client.create_database(name)
    yield client, f"{influx_server}/{name}"
    client.drop_database(name)
    client.close()


@pytest.fixture(scope="session")
def moto_server():
    """Endpoint URL of a moto S3 server (ThreadedMotoServer) on 127.0.0.1."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        _missing(f"moto[server] is not installed ({exc}); pip install -r requirements.txt")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Dummy credentials for moto; the developer's ~/.aws is never read."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def s3_bucket(moto_server, aws_env):
    """``(client, bucket)``: a fresh bucket on the moto server."""
    import boto3

    client = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    bucket = f"dq-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    return client, bucket


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 nothing listens on: connections are refused."""
    return free_port()


@pytest.fixture
def silent_server():
    """``host:port`` of a server that accepts connections and never answers (a hung source)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for con in held:
        con.close()
    sock.close()
