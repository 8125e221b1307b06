"""EmbeddedSource on DuckDB (fast path) and on any other engine (portable SQL); the factory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import sources
from core.db.base import Database
from core.db.duckdb import DuckDBDatabase
from core.errors import ConfigError
from core.sources.base import ReadingsBlock, SourceUnavailableError
from core.sources.embedded import EmbeddedSource
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
    assert list(sources.eligible_meters(any_db).meter_id) == ["a", "b", "c"]


def test_label_redacts_the_password(duck):
    assert EmbeddedSource(_NotDuckDB(duck)).label.endswith("otherdb://reader:***@host/db")


def test_default_settings_are_one_embedded_scan(fresh_db):
    readings = sources.from_settings(fresh_db, report=print)
    [(feeds, source)] = readings.sources
    assert feeds == ("platform", "raw") and isinstance(source, EmbeddedSource)
    assert isinstance(source.db, DuckDBDatabase) and source.feeds == ("platform", "raw")


def test_settings_pick_the_sources(fresh_db, monkeypatch):
    monkeypatch.setenv("DQ_RAW_READINGS", "none")
    [(feeds, source)] = sources.from_settings(fresh_db, report=print).sources
    assert feeds == ("platform",) and source.feeds == ("platform",)

    monkeypatch.setenv("DQ_RAW_READINGS", "S3")
    monkeypatch.setenv("DQ_S3_RAW_URL", "s3://bucket/raw")
    platform, raw = sources.from_settings(fresh_db, report=print).sources
    assert platform[1].feeds == ("platform",)
    assert raw[0] == ("raw",) and raw[1].label == "s3 s3://bucket/raw"

    monkeypatch.setenv("DQ_PLATFORM_READINGS", "influxdb")
    monkeypatch.setenv("DQ_RAW_READINGS", "embedded")
    monkeypatch.setenv("DQ_INFLUX_URL", "http://u:p@influx:8086/platform")
    platform, raw = sources.from_settings(fresh_db, report=print).sources
    assert platform[1].label == "influxdb http://u:***@influx:8086/platform"
    assert raw[1].feeds == ("raw",)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "DQ_PLATFORM_READINGS",
            "kafka",
            "DQ_PLATFORM_READINGS='kafka' is not one of embedded, influxdb",
        ),
        ("DQ_RAW_READINGS", "ftp", "DQ_RAW_READINGS='ftp' is not one of embedded, s3, none"),
        ("DQ_PLATFORM_READINGS", "influxdb", "DQ_PLATFORM_READINGS=influxdb needs DQ_INFLUX_URL"),
        ("DQ_RAW_READINGS", "s3", "DQ_RAW_READINGS=s3 needs DQ_S3_RAW_URL"),
    ],
)
def test_bad_source_settings_name_the_setting(fresh_db, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        sources.from_settings(fresh_db, report=print)


class _Fake:
    def __init__(self, label, fail=False):
        self.label, self.fail, self.calls = label, fail, 0

    def load(self, meter_ids, start, end):
        self.calls += 1
        if self.fail:
            raise SourceUnavailableError(self.label, "ConnectionError after 2 attempt(s)")
        return ReadingsBlock(
            np.zeros(1, np.int32),
            np.zeros(1, np.int64),
            np.ones(1),
            np.array([self.label == "raw"]),
        )


def test_a_failed_source_is_asked_once_per_run_and_reported_once():
    platform, raw = _Fake("platform"), _Fake("raw", fail=True)
    readings = sources.Readings([(("platform",), platform), (("raw",), raw)])
    ids = np.array(["a", "b"], dtype=object)
    first, second = readings.load(ids, START, END), readings.load(ids, START, END)
    assert first.down == second.down == ("raw",)
    assert len(first.block) == 1 and (platform.calls, raw.calls) == (2, 1)
    assert readings.outages() == [
        (
            "raw",
            "raw readings unavailable: ConnectionError after 2 attempt(s); "
            "raw feed of 4 meters not scored (earlier raw results kept)",
        )
    ]


def test_platform_down_skips_the_other_sources():
    platform, raw = _Fake("platform", fail=True), _Fake("raw")
    readings = sources.Readings([(("platform",), platform), (("raw",), raw)])
    loaded = readings.load(np.array(["a"], dtype=object), START, END)
    assert loaded.down == ("platform",) and len(loaded.block) == 0 and raw.calls == 0
    assert readings.outages()[0][1].endswith("; 1 meter not scored")
