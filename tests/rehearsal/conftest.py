"""Fixtures of the production rehearsal: the platform's systems and a PostgreSQL warehouse."""

import pytest

from core.db import open_warehouse
from tests.rehearsal import fleet
from tests.rehearsal.week import Platform


@pytest.fixture
def platform(pg_database, influx_db, s3_bucket, moto_server):
    """The platform: its own PostgreSQL database (tables and rows of ``fleet``), an InfluxDB
    database and an S3 bucket, both still empty (readings arrive during the week)."""
    client, influx_url = influx_db
    s3, bucket = s3_bucket
    url = pg_database("dqhub_platform")
    fleet.create_platform(url, fleet.readings())
    return Platform(url, client, influx_url, s3, moto_server, bucket)


@pytest.fixture
def warehouse(pg_database, platform, monkeypatch):
    """An empty, migrated PostgreSQL warehouse database; the settings point at it and the platform."""
    url = pg_database("dqhub_warehouse")
    for name, value in {**platform.settings(), "DQ_WAREHOUSE": url, "DQ_CACHE_PATH": ""}.items():
        monkeypatch.setenv(name, value)
    db = open_warehouse(url)
    yield db
    db.close()
