"""Shared fixtures: in-memory warehouses by default, one synthetic fleet for exact assertions."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest

from core.db import connect, open_warehouse
from tests import servers


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """No test reads the developer's secrets.toml or writes the real warehouse."""
    monkeypatch.setenv("DQ_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    monkeypatch.setenv("DQ_WAREHOUSE", f"duckdb:///{tmp_path}/warehouse.duckdb")
    monkeypatch.setenv("DQ_USERS_FILE", str(tmp_path / "users.yaml"))


def pytest_collection_modifyitems(items):
    """Browser tests run one at a time on one xdist worker (`make test` runs two workers).

    Two browsers plus two app servers at once on a 2-core machine starve each other into
    timeouts; the other worker runs everything else meanwhile.
    """
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture
def fresh_db():
    """A migrated in-memory warehouse, closed after the test."""
    db = open_warehouse("duckdb:///:memory:")
    yield db
    db.close()


@pytest.fixture
def db_path(tmp_path):
    """URL of a migrated warehouse file in the test's own folder."""
    url = f"duckdb:///{tmp_path}/dq.duckdb"
    open_warehouse(url)
    return url


@pytest.fixture(scope="session")
def demo_fleet():
    """A synthetic fleet with another seed than the demo's, built by the demo's own code."""
    from datetime import date

    from core import demo

    return demo.generate(seed=7, end_day=date(2026, 3, 10))


@pytest.fixture(scope="session")
def scored_demo(demo_fleet, tmp_path_factory):
    """A warehouse file holding ``demo_fleet`` with its last day scored once: (url, day, summary)."""
    from core import auth
    from core.dq import job
    from core.ingest import import_frames

    url = f"duckdb:///{tmp_path_factory.mktemp('scored')}/demo.duckdb"
    db = open_warehouse(url)
    import_frames(
        db, meters=demo_fleet.meters, readings=demo_fleet.readings, bills=demo_fleet.bills
    )
    auth.mark_demo(db, 7)
    summary = job.run(db, demo_fleet.last_day)
    return url, demo_fleet.last_day, summary


@pytest.fixture
def demo_warehouse_file(scored_demo, tmp_path):
    """A private copy of the scored demo warehouse file: (url, day)."""
    url, day, _ = scored_demo
    return connect(url).copy_to(tmp_path / "copy.duckdb"), day


PG_ADMIN_URL = os.environ.get("DQ_TEST_POSTGRES_URL", servers.PG_ADMIN_URL)


def _missing(message: str):
    """Skip for want of a local server, or fail when services are required (CI)."""
    if os.environ.get("DQ_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _pg_admin():
    """An autocommit connection to the test server, or skip (fail when services are required)."""
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _missing(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} (start it with "
            f"scripts/start-services.sh, or set DQ_TEST_POSTGRES_URL): {exc}"
        )


@pytest.fixture(scope="session")
def pg_server_db():
    """One throwaway database on the local PostgreSQL server for the session; dropped after."""
    _pg_admin().close()  # skip (or fail) here when the server is down
    with servers.pg_database(PG_ADMIN_URL) as url:
        yield url


@pytest.fixture
def pg_database():
    """``new(prefix) -> URL``: databases of their own on the test server, dropped after the test."""
    from contextlib import ExitStack

    _pg_admin().close()  # skip (or fail) here when the server is down
    with ExitStack() as stack:
        yield lambda prefix="dqhub_test": stack.enter_context(
            servers.pg_database(PG_ADMIN_URL, prefix)
        )


@pytest.fixture
def pg_url(pg_server_db):
    """URL of an empty schema of its own (search_path) in the session's test database."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_db, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{pg_server_db}?options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_server_db, autocommit=True) as con:
        con.execute(f'DROP SCHEMA "{schema}" CASCADE')


BACKENDS = ("duckdb", "postgres")


@pytest.fixture(params=BACKENDS)
def any_url(request, tmp_path):
    """A migrated warehouse URL on each backend: a DuckDB file, and a PostgreSQL schema."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path}/dq.duckdb"
    else:
        url = request.getfixturevalue("pg_url")
    open_warehouse(url)
    return url


@pytest.fixture
def any_db(any_url):
    """A migrated warehouse on each backend (the results-store suite runs on both)."""
    db = open_warehouse(any_url)
    yield db
    db.close()


# ---- InfluxDB and S3 (real local servers, tests/servers.py) ----------------------------------

INFLUXD = os.environ.get("DQ_TEST_INFLUXD", "influxd")


@pytest.fixture(scope="session")
def influx_server(tmp_path_factory):
    """Base URL of a throwaway influxd (1.x) on 127.0.0.1, reporting off, data in a temp dir."""
    if shutil.which(INFLUXD) is None:
        _missing(
            f"{INFLUXD} not found: install InfluxDB 1.x (apt-get install influxdb, as .ci/run "
            "does) or set DQ_TEST_INFLUXD to the influxd binary"
        )
    with servers.influxd(tmp_path_factory.mktemp("influxd"), INFLUXD) as url:
        yield url  # a server that does not start raises ServerError with its log


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
        import moto.server  # noqa: F401
    except ImportError as exc:
        _missing(f"moto[server] is not installed ({exc}); pip install -r requirements.txt")
    with servers.moto_s3() as url:
        yield url


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Dummy credentials for moto; the developer's ~/.aws is never read."""
    for name, value in servers.AWS_TEST_ENV.items():
        monkeypatch.setenv(name, value)
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
