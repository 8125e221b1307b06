"""EmbeddedSource on DuckDB (fast path) and on any other engine (portable SQL); the factories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import sources
from core.db.base import Database
from core.errors import ConfigError
from core.sources.embedded import EmbeddedSource
from core.sources.influx import InfluxSource
from core.sources.s3_raw import S3RawSource
from tests.core.sources.feeds import rows

START = pd.Timestamp("2026-03-01")
END = pd.Timestamp("2026-03-03")
METERS = pd.DataFrame(
    {
        "meter_id": ["a", "b", "c", "d"],
        "building_id": "b1",
        "account_id": "acc",
        "kind": "electricity",
        "unit": "kWh",
        "building_name": None,
        "account_name": None,
        "timezone": "UTC",
        "dq_enabled": [True, True, True, False],
        "account_active": True,
        "building_archived": False,
        "interval_minutes": [15, 15, 60, 15],
    }
)


def _readings():
    ts = pd.date_range(START - pd.Timedelta(hours=3), END + pd.Timedelta(hours=3), freq="15min")
    out = []
    for i, meter in enumerate(["a", "b", "c", "d", "a0"]):
        v = np.arange(len(ts), dtype=float) + 1000 * i
        out.append(pd.DataFrame({"meter_id": meter, "ts": ts, "value": v, "source": "platform"}))
    out.append(
        pd.DataFrame(
            {"meter_id": "b", "ts": ts, "value": -np.arange(len(ts), dtype=float), "source": "raw"}
        )
    )
    return pd.concat(out, ignore_index=True)


class _NotDuckDB(Database):
    """Another engine, as far as EmbeddedSource can tell: only the Database interface."""

    def __init__(self, inner: Database) -> None:
        super().__init__("otherdb://reader:secret@host/db")
        self.inner = inner

    def transaction(self):
        return self.inner.transaction()


@pytest.fixture
def duck(fresh_db):
    fresh_db.insert_df("meters", METERS)
    fresh_db.insert_df("readings", _readings())
    return fresh_db


@pytest.mark.parametrize("feeds", [("platform", "raw"), ("platform",), ("raw",)])
def test_portable_sql_matches_the_duckdb_fast_path(duck, feeds):
    ids = np.array(["a", "b", "c"], dtype=object)
    fast = EmbeddedSource(duck, feeds).load(ids, START, END)
    portable = EmbeddedSource(_NotDuckDB(duck), feeds).load(ids, START, END)
    assert len(fast) > 0
    pd.testing.assert_frame_equal(rows(portable), rows(fast))
    assert set(np.where(fast.raw, "raw", "platform")) == set(feeds) & {"platform", "raw"}


def test_embedded_reads_every_warehouse_engine(any_db, duck):
    any_db.insert_df("meters", METERS)
    any_db.insert_df("readings", _readings())
    ids = np.array(["a", "b", "c"], dtype=object)
    got = EmbeddedSource(any_db).load(ids, START, END)
    pd.testing.assert_frame_equal(rows(got), rows(EmbeddedSource(duck).load(ids, START, END)))
    assert list(EmbeddedSource(any_db).eligible_meters().meter_id) == ["a", "b", "c"]


def test_label_redacts_the_password(duck):
    assert EmbeddedSource(_NotDuckDB(duck)).label.endswith("otherdb://reader:***@host/db")


def test_eligibility_follows_the_three_flags(any_db):
    meters = METERS.assign(
        meter_id=["on", "off", "inactive", "archived"],
        dq_enabled=[True, False, True, True],
        account_active=[True, True, False, True],
        building_archived=[False, False, False, True],
    )
    any_db.insert_df("meters", meters)
    assert list(EmbeddedSource(any_db).eligible_meters().meter_id) == ["on"]


def test_unknown_feeds_are_refused(duck):
    with pytest.raises(ValueError, match="Unknown feeds"):
        EmbeddedSource(duck, ("platform", "s3"))
    with pytest.raises(ValueError, match="Unknown feeds"):
        EmbeddedSource(duck, ())


def test_default_settings_sync_nothing():
    """Readings imported into the warehouse (the embedded default): no source to sync."""
    assert sources.platform_source() is None
    assert sources.raw_source() is None


def test_settings_pick_the_sources(monkeypatch):
    monkeypatch.setenv("DQ_RAW_READINGS", "none")
    assert sources.raw_source() is None

    monkeypatch.setenv("DQ_RAW_READINGS", " S3 ")  # case and spaces do not matter
    monkeypatch.setenv("DQ_S3_RAW_URL", "s3://bucket/raw")
    monkeypatch.setenv("DQ_S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("DQ_SOURCE_TIMEOUT_SECONDS", "4.5")
    monkeypatch.setenv("DQ_SOURCE_RETRIES", "2")
    raw = sources.raw_source()
    assert isinstance(raw, S3RawSource)
    assert raw.label == "s3 s3://bucket/raw at http://minio:9000"
    assert (raw.bucket, raw.prefix, raw.timeout, raw.retries) == ("bucket", "raw", 4.5, 2)
    assert sources.platform_source() is None

    monkeypatch.setenv("DQ_PLATFORM_READINGS", "InfluxDB")
    monkeypatch.setenv("DQ_INFLUX_URL", "http://u:p@influx:8086/platform")
    monkeypatch.setenv("DQ_INFLUX_MEASUREMENT", "energy")
    platform = sources.platform_source()
    assert isinstance(platform, InfluxSource)
    assert platform.label == "influxdb http://u:***@influx:8086/platform"
    assert (platform.database, platform.measurement, platform.timeout) == (
        "platform",
        "energy",
        4.5,
    )
    assert platform.retries == 2


@pytest.mark.parametrize(
    ("name", "value", "make", "message"),
    [
        (
            "DQ_PLATFORM_READINGS",
            "kafka",
            sources.platform_source,
            "DQ_PLATFORM_READINGS='kafka' is not one of embedded, influxdb",
        ),
        (
            "DQ_RAW_READINGS",
            "ftp",
            sources.raw_source,
            "DQ_RAW_READINGS='ftp' is not one of embedded, s3, none",
        ),
        (
            "DQ_PLATFORM_READINGS",
            "influxdb",
            sources.platform_source,
            "DQ_PLATFORM_READINGS=influxdb needs DQ_INFLUX_URL",
        ),
        ("DQ_RAW_READINGS", "s3", sources.raw_source, "DQ_RAW_READINGS=s3 needs DQ_S3_RAW_URL"),
    ],
)
def test_bad_source_settings_name_the_setting(monkeypatch, name, value, make, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        make()


@pytest.mark.parametrize(
    ("name", "value", "make", "message"),
    [
        ("DQ_INFLUX_URL", "influx:8086", sources.platform_source, "DQ_INFLUX_URL='influx:8086'"),
        ("DQ_S3_RAW_URL", "bucket/raw", sources.raw_source, "DQ_S3_RAW_URL='bucket/raw'"),
    ],
)
def test_a_malformed_source_url_names_its_setting(monkeypatch, name, value, make, message):
    monkeypatch.setenv("DQ_PLATFORM_READINGS", "influxdb")
    monkeypatch.setenv("DQ_RAW_READINGS", "s3")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        make()
