"""Fixtures shared by the core tests: the platform's PostgreSQL database (tests/platformdb.py)."""

from __future__ import annotations

import pytest

from tests import platformdb


@pytest.fixture
def platform_url(pg_server_db):
    """URL of a fake platform database (its own schema) holding ``platformdb.PLATFORM_ROWS``."""
    with platformdb.create(pg_server_db) as url:
        yield url
