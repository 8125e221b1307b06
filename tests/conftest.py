"""Shared fixtures: in-memory warehouses by default, one synthetic fleet for exact assertions."""

from __future__ import annotations

import os
import uuid

import pytest

from core.db import connect, open_warehouse


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


PG_ADMIN_URL = os.environ.get(
    "DQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _pg_admin():
    """An autocommit connection to the test server, or skip (fail when services are required)."""
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        message = (
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} (start it with "
            f"scripts/start-services.sh, or set DQ_TEST_POSTGRES_URL): {exc}"
        )
        if os.environ.get("DQ_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def pg_server_db():
    """One throwaway database on the local PostgreSQL server for the session; dropped after."""
    from psycopg import sql

    admin = _pg_admin()
    name = f"dqhub_test_{uuid.uuid4().hex[:12]}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()


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
