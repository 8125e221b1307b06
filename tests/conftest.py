"""Shared fixtures: in-memory warehouses by default, one synthetic fleet for exact assertions."""

from __future__ import annotations

import pytest

from core.db import open_warehouse


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """No test reads the developer's secrets.toml or writes the real warehouse."""
    monkeypatch.setenv("DQ_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    monkeypatch.setenv("DQ_WAREHOUSE", f"duckdb:///{tmp_path}/warehouse.duckdb")


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
