"""Fixtures for importer tests (an in-memory warehouse, a CSV writer) and the sync tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from core import demo, sources
from core.db import Database, open_warehouse
from core.dq import job
from core.ingest import import_frames
from tests.core.ingest.syncfleet import FIRST_DAYS, HISTORY_DAYS, LAST, LATE, PLANTED
from tests.core.sources.feeds import write_influx, write_packets

METERS_CSV = """meter_id,building_id,account_id,kind,unit,timezone,interval_minutes
m1,b1,a1,electricity,kWh,America/New_York,15
m2,b1,a1,water,gal,,60
"""


@pytest.fixture
def db() -> Iterator[Database]:
    warehouse = open_warehouse("duckdb:///:memory:")
    yield warehouse
    warehouse.close()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write ``text`` (dedented lines) to ``tmp_path/name`` and return the path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        lines = [line.strip() for line in text.strip().splitlines()]
        path.write_text("\n".join(lines) + "\n")
        return path

    return write


@pytest.fixture
def meters_csv(write_csv: Callable[[str, str], Path]) -> Path:
    return write_csv("meters.csv", METERS_CSV)


# ---- the sync tests (test_sync.py, test_sync_rescore.py) ---------------------------------


@pytest.fixture(scope="session")
def fleet():
    """9 days of a small demo fleet (47 meters, 9 with a raw feed) plus a planted mismatch.

    Timestamps are cut to whole seconds: what InfluxDB (epoch=s) and the packet format hold.
    """
    f = demo.generate(seed=3, end_day=LAST, days=FIRST_DAYS, n_buildings=6)
    readings = f.readings.assign(ts=f.readings["ts"].dt.floor("s"))
    raw_meters = sorted(set(readings.loc[readings.source == "raw", "meter_id"]))
    assert PLANTED in raw_meters and set(LATE) <= set(raw_meters)
    t = pd.Timestamp(LAST)
    hit = (
        (readings.meter_id == PLANTED)
        & (readings.source == "raw")
        & (readings.ts >= t + pd.Timedelta(hours=2))
        & (readings.ts < t + pd.Timedelta(hours=8))
    )
    readings.loc[hit, "value"] = readings.loc[hit, "value"] * 3 + 5
    return f.meters, readings.reset_index(drop=True)


@pytest.fixture(scope="session")
def influx_url(fleet, influx_server):
    """The fleet's platform readings in a database of the test influxd, written once."""
    from influxdb import InfluxDBClient

    _, readings = fleet
    name = f"dq_{uuid.uuid4().hex[:10]}"
    client = InfluxDBClient("127.0.0.1", int(influx_server.rsplit(":", 1)[1]), database=name)
    client.create_database(name)
    write_influx(client, readings[readings.source == "platform"])
    yield f"{influx_server}/{name}"
    client.drop_database(name)
    client.close()


@pytest.fixture(scope="session")
def imported(fleet):
    """The same fleet imported (the embedded path), its LAST day scored: (db, summary)."""
    meters, readings = fleet
    db = open_warehouse("duckdb:///:memory:")
    import_frames(db, meters=meters, readings=readings)
    summary = job.run(db, LAST, history_days=HISTORY_DAYS)
    yield db, summary
    db.close()


@pytest.fixture
def bucket(fleet, s3_bucket):
    """``(client, bucket)``: a fresh bucket holding the fleet's raw packets, one per meter-day."""
    s3, name = s3_bucket
    _, readings = fleet
    write_packets(s3, name, "raw", readings[readings.source == "raw"])
    return s3, name


@pytest.fixture
def remote(fleet, influx_url, bucket, moto_server, any_db, monkeypatch):
    """A warehouse (DuckDB, PostgreSQL) holding only the fleet's meters; settings point at the
    test influxd and moto."""
    meters, _ = fleet
    settings = {
        "DQ_PLATFORM_READINGS": "influxdb",
        "DQ_INFLUX_URL": influx_url,
        "DQ_RAW_READINGS": "s3",
        "DQ_S3_RAW_URL": f"s3://{bucket[1]}/raw",
        "DQ_S3_ENDPOINT_URL": moto_server,
        "DQ_SOURCE_TIMEOUT_SECONDS": "2",
        "DQ_SOURCE_RETRIES": "1",
        "DQ_HISTORY_DAYS": str(HISTORY_DAYS),
        "DQ_SYNC_FIRST_DAYS": str(FIRST_DAYS),
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    import_frames(any_db, meters=meters)
    return any_db


@pytest.fixture
def s3_calls(monkeypatch):
    """``[(operation, Prefix or Key), ...]`` of every S3 call the sync's raw source makes."""
    calls: list[tuple[str, str]] = []
    real = sources.raw_source

    def counting():
        src = real()
        if src is not None:

            def record(params, model, **_):
                calls.append((model.name, params.get("Prefix") or params.get("Key")))

            src.client().meta.events.register("before-parameter-build.s3", record)
        return src

    monkeypatch.setattr(sources, "raw_source", counting)
    return calls
