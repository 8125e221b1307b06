"""Shared fixtures: in-memory warehouses by default, one synthetic fleet for exact assertions."""

from __future__ import annotations

import pytest

from core.db import open_warehouse


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """No test reads the developer's secrets.toml or writes the real warehouse."""
    monkeypatch.setenv("DQ_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    monkeypatch.setenv("DQ_WAREHOUSE", f"duckdb:///{tmp_path}/warehouse.duckdb")
    monkeypatch.setenv("DQ_USERS_FILE", str(tmp_path / "users.yaml"))
    monkeypatch.setenv("DQ_LOGIN_SLEEP_SECONDS", "0")


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
    import_frames(db, meters=demo_fleet.meters, readings=demo_fleet.readings, bills=demo_fleet.bills)
    auth.mark_demo(db, 7)
    summary = job.run(db, demo_fleet.last_day)
    return url, demo_fleet.last_day, summary


@pytest.fixture
def demo_warehouse_file(scored_demo, tmp_path):
    """A private copy of the scored demo warehouse file: (url, day)."""
    import shutil

    url, day, _ = scored_demo
    src = url.removeprefix("duckdb:///")
    dst = tmp_path / "copy.duckdb"
    shutil.copy(src, dst)
    return f"duckdb:///{dst}", day
