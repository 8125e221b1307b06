"""InfluxSource against a real influxd 1.x: round trip, injection-safe queries, outages."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from core.ingest import import_frames
from core.sources.base import SourceError, SourceUnavailableError
from core.sources.influx import InfluxSource, meters_regex, quote_ident
from tests.core.sources.feeds import write_influx

START = pd.Timestamp("2026-03-01")
END = pd.Timestamp("2026-03-04")
ODD_IDS = ["m 1,x=y", 'we\'ird "id"/|*', "m-2", "ü-3", "m.4"]


def _readings():
    """Readings of five awkward meter ids: 15-minute, one hourly, a gap, one off-grid stamp."""
    rng = np.random.default_rng(1)
    frames = []
    for i, meter in enumerate(ODD_IDS):
        step = "60min" if i == 2 else "15min"
        ts = pd.date_range(
            START - pd.Timedelta(hours=2), END + pd.Timedelta(hours=2), freq=step, inclusive="left"
        )
        ts = ts[(ts.hour != 5) | (i != 1)]  # meter 1 misses 05:00-06:00 every day
        frames.append(
            pd.DataFrame({"meter_id": meter, "ts": ts, "value": rng.gamma(2, 1, len(ts)).round(3)})
        )
    df = pd.concat(frames, ignore_index=True)
    late = df.index[df["ts"] == START + pd.Timedelta(hours=1)][0]
    df.loc[late, "ts"] += pd.Timedelta(seconds=20)  # a reading stamped a little late
    return df


def _source(url, timeout=5, retries=1, measurement="readings"):
    return InfluxSource(url, measurement, "meter_id", "value", timeout=timeout, retries=retries)


def _ids(*ids):
    return np.array(list(ids), dtype=object)


def _sorted(df):
    return df.sort_values(["meter_id", "ts"]).reset_index(drop=True)


def test_rows_are_the_points_of_the_chunk_and_window_as_stored(influx_db):
    client, url = influx_db
    readings = _readings()
    write_influx(client, readings)
    ids = _ids(*sorted(ODD_IDS[:4] + ["not-in-influx"]))

    got = _source(url).rows(ids, START, END)

    assert list(got.columns) == ["meter_id", "ts", "value"]
    assert got["ts"].dt.tz is None  # naive UTC, like the warehouse
    inside = readings[
        readings.meter_id.isin(ids) & (readings.ts >= START) & (readings.ts < END)
    ].astype({"ts": "datetime64[s]"})
    assert len(got) == len(inside) > 0
    # Each point keeps its own timestamp (the late one too): the import snaps and records it.
    pd.testing.assert_frame_equal(_sorted(got), _sorted(inside), check_dtype=False)
    assert (got.ts == START + pd.Timedelta(hours=1, seconds=20)).sum() == 1


def test_no_meters_is_no_query(closed_port):
    got = _source(f"http://127.0.0.1:{closed_port}/dq").rows(_ids(), START, END)
    assert got.empty and list(got.columns) == ["meter_id", "ts", "value"]


def test_rows_import_like_the_same_readings_from_a_file(influx_db, fresh_db):
    """Landing the rows gives the warehouse what importing the written readings gives it."""
    client, url = influx_db
    readings = _readings()
    write_influx(client, readings)
    meters = pd.DataFrame(
        {
            "meter_id": ODD_IDS,
            "building_id": "b1",
            "account_id": "a1",
            "kind": "electricity",
            "unit": "kWh",
            "interval_minutes": [15, 15, 60, 15, 15],
        }
    )
    import_frames(fresh_db, meters=meters)
    rows = _source(url).rows(_ids(*ODD_IDS), START, END)
    synced = import_frames(fresh_db, readings=rows.assign(source="platform"), origin="influxdb")
    stored = fresh_db.fetch_df("SELECT meter_id, ts, value FROM readings ORDER BY meter_id, ts")
    clocks = fresh_db.fetch_df("SELECT * EXCLUDE (imported_at) FROM meter_clock_days ORDER BY ALL")

    from core.db import open_warehouse

    other = open_warehouse("duckdb:///:memory:")
    import_frames(other, meters=meters)
    inside = readings[(readings.ts >= START) & (readings.ts < END)]
    imported = import_frames(other, readings=inside)
    pd.testing.assert_frame_equal(
        stored,
        other.fetch_df("SELECT meter_id, ts, value FROM readings ORDER BY meter_id, ts"),
    )
    pd.testing.assert_frame_equal(
        clocks,
        other.fetch_df("SELECT * EXCLUDE (imported_at) FROM meter_clock_days ORDER BY ALL"),
    )
    assert synced.readings_changed == imported.readings_changed == len(inside)
    assert synced.file("readings").snapped_timestamps == 1
    other.close()


def test_a_meter_id_cannot_widen_the_query(influx_db):
    client, url = influx_db
    write_influx(client, _readings())
    assert len(_source(url).rows(_ids("m-2"), START, END)) > 0  # the probes' target exists
    for probe in ["m-2|.*", ".*", "m", 'm-2" OR 1=1', "m-2/", "m-2$|^m.4"]:
        assert _source(url).rows(_ids(probe), START, END).empty, probe


def test_regex_and_identifier_quoting():
    assert meters_regex(_ids("a_1", "b-2", "c d")) == r"^(?:a_1|b\x{2D}2|c\x{20}d)$"
    assert quote_ident('we"ird\\') == '"we\\"ird\\\\"'


def test_url_needs_a_database_and_the_password_is_redacted():
    src = _source("http://reader:s3cret@127.0.0.1:8086/platform")
    assert src.label == "influxdb http://reader:***@127.0.0.1:8086/platform"
    assert src.database == "platform"
    with pytest.raises(ConfigError, match="DQ_INFLUX_URL") as info:
        _source("http://reader:s3cret@127.0.0.1:8086")
    assert "s3cret" not in str(info.value)


def test_unknown_database_is_refused_without_retries(influx_server):
    src = _source(f"{influx_server}/no_such_db", retries=3)
    started = time.monotonic()
    with pytest.raises(SourceError, match="database not found") as info:
        src.rows(_ids("m-2"), START, END)
    assert not isinstance(info.value, SourceUnavailableError)
    assert time.monotonic() - started < 2  # no backoff: a refusal is not retried


def test_closed_port_is_unavailable_after_bounded_retries(closed_port):
    src = _source(f"http://u:pw@127.0.0.1:{closed_port}/dq", timeout=1, retries=2)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError) as info:
        src.rows(_ids("m-2"), START, END)
    assert "after 3 attempt(s)" in info.value.reason
    assert info.value.source == f"influxdb http://u:***@127.0.0.1:{closed_port}/dq"
    assert "pw" not in str(info.value)
    assert time.monotonic() - started < 5  # 0.5 s + 1 s backoff


def test_a_hung_server_times_out(silent_server):
    src = _source(f"http://{silent_server}/dq", timeout=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="Timeout") as info:
        src.rows(_ids("m-2"), START, END)
    assert "after 2 attempt(s) (timeout 0.3s each)" in info.value.reason
    assert time.monotonic() - started < 3


def test_a_non_numeric_field_is_refused_naming_the_meter(influx_db):
    client, url = influx_db
    t = int(START.timestamp())
    client.write_points([f'readings,meter_id=m-2 value="n/a" {t}'], "s", protocol="line")
    with pytest.raises(SourceError, match="not numeric for meter 'm-2'"):
        _source(url).rows(_ids("m-2"), START, END)


def test_two_points_in_one_slot_land_as_the_import_keeps_them(influx_db, fresh_db):
    """Two devices report one slot: both points come back; the import keeps the one closest to
    the slot boundary (the last line on a tie), as for any imported file."""
    client, url = influx_db
    t = int(START.timestamp())
    client.write_points(
        [
            f"readings,meter_id=m-2,device=a value=1 {t + 60}",
            f"readings,meter_id=m-2,device=b value=2 {t}",
            f"readings,meter_id=m-2,device=a value=3 {t + 900}",
        ],
        time_precision="s",
        protocol="line",
    )
    rows = _source(url).rows(_ids("m-2"), START, END)
    assert list(rows.value) == [2, 1, 3]  # by time, both devices
    meter = {"building_id": "b", "account_id": "a", "kind": "electricity", "unit": "kWh"}
    import_frames(fresh_db, meters=pd.DataFrame([{"meter_id": "m-2", **meter}]))
    report = import_frames(fresh_db, readings=rows.assign(source="platform"), origin="influxdb")
    stored = fresh_db.fetch_df("SELECT ts, value FROM readings ORDER BY ts")
    assert list(stored.value) == [2, 3]
    assert list(stored.ts) == [START, START + pd.Timedelta(minutes=15)]
    assert report.file("readings").conflicting_duplicates == 1
