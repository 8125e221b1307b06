"""InfluxSource against a real influxd 1.x: round trip, injection-safe queries, outages."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from core.db import open_warehouse
from core.errors import ConfigError
from core.sources.base import SourceError, SourceUnavailableError
from core.sources.embedded import EmbeddedSource
from core.sources.influx import InfluxSource, meters_regex, quote_ident
from tests.core.sources.feeds import rows, write_influx

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


def test_round_trip_matches_the_embedded_source(influx_db):
    client, url = influx_db
    readings = _readings()
    write_influx(client, readings)
    ids = np.array(sorted(ODD_IDS[:4] + ["not-in-influx"]), dtype=object)

    got = _source(url).load(ids, START, END)

    db = open_warehouse("duckdb:///:memory:")
    db.insert_df("readings", readings.assign(source="platform"))
    want = EmbeddedSource(db).load(ids, START, END)
    db.close()
    assert len(got) == len(want) > 0
    pd.testing.assert_frame_equal(rows(got), rows(want))
    assert not got.raw.any()
    assert set(got.meter_index) == {i for i, m in enumerate(ids) if m in ODD_IDS}


def test_a_meter_id_cannot_widen_the_query(influx_db):
    client, url = influx_db
    write_influx(client, _readings())
    for probe in ["m-2|.*", ".*", "m", 'm-2" OR 1=1', "m-2/"]:
        assert len(_source(url).load(np.array([probe], dtype=object), START, END)) == 0


def test_regex_and_identifier_quoting():
    assert meters_regex(np.array(["a_1", "b-2", "c d"])) == r"^(?:a_1|b\x{2D}2|c\x{20}d)$"
    assert quote_ident('we"ird\\') == '"we\\"ird\\\\"'


def test_url_needs_a_database_and_the_password_is_redacted():
    src = _source("http://reader:s3cret@127.0.0.1:8086/platform")
    assert src.label == "influxdb http://reader:***@127.0.0.1:8086/platform"
    assert src.database == "platform"
    with pytest.raises(ConfigError, match="DQ_INFLUX_URL"):
        _source("http://127.0.0.1:8086")


def test_unknown_database_is_refused_without_retries(influx_server):
    src = _source(f"{influx_server}/no_such_db", retries=3)
    started = time.monotonic()
    with pytest.raises(SourceError, match="database not found") as info:
        src.load(np.array(["m-2"], dtype=object), START, END)
    assert not isinstance(info.value, SourceUnavailableError)
    assert time.monotonic() - started < 2


def test_closed_port_is_unavailable_after_bounded_retries(closed_port):
    src = _source(f"http://u:pw@127.0.0.1:{closed_port}/dq", timeout=1, retries=2)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError) as info:
        src.load(np.array(["m-2"], dtype=object), START, END)
    assert "after 3 attempt(s)" in info.value.reason
    assert info.value.source == f"influxdb http://u:***@127.0.0.1:{closed_port}/dq"
    assert "pw" not in str(info.value)
    assert time.monotonic() - started < 5  # 0.5 s + 1 s backoff


def test_a_hung_server_times_out(silent_server):
    src = _source(f"http://{silent_server}/dq", timeout=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="Timeout") as info:
        src.load(np.array(["m-2"], dtype=object), START, END)
    assert "after 2 attempt(s) (timeout 0.3s each)" in info.value.reason
    assert time.monotonic() - started < 3


def test_two_points_in_one_slot_keep_the_later(influx_db):
    client, url = influx_db
    t = int(START.timestamp())
    client.write_points(
        [
            f"readings,meter_id=m-2,device=a value=1 {t}",
            f"readings,meter_id=m-2,device=b value=2 {t + 300}",
            f"readings,meter_id=m-2,device=a value=3 {t + 900}",
        ],
        time_precision="s",
        protocol="line",
    )
    block = _source(url).load(np.array(["m-2"], dtype=object), START, END)
    assert list(block.slot15) == [0, 1] and list(block.value) == [2, 3]
