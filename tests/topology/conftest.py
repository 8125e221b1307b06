"""Fixtures of the topology tests: a scored PostgreSQL warehouse."""

from datetime import date

import pytest

from core import demo
from core.db import open_warehouse
from core.dq import job
from core.ingest import import_frames


@pytest.fixture
def warehouse(pg_url):
    """A PostgreSQL warehouse holding a small demo fleet with its last day scored."""
    fleet = demo.generate(seed=7, end_day=date(2026, 3, 10), days=30, n_buildings=6)
    db = open_warehouse(pg_url)
    import_frames(db, meters=fleet.meters, readings=fleet.readings)
    job.run(db, fleet.last_day)
    assert db.fetch_value("SELECT count(*) FROM dq_issues WHERE status = 'open'") >= 2
    return db
