"""The DQ job reading platform readings from InfluxDB and the raw feed from S3 packets.

Same fleet, two ways: the job over influxd + moto must find what it finds over the embedded
tables, including a raw_platform_mismatch planted in the S3 packets; a source that is down
or hangs ends the run ``partial`` with the reason, and every result computed is kept.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import pytest

from core import demo
from core.db import open_warehouse
from core.dq import job
from core.ingest import import_frames
from core.sources.influx import InfluxSource
from tests.core.sources.feeds import write_influx, write_packets

DAY = dt.date(2026, 3, 10)
HISTORY_DAYS = 7  # a short window keeps the packets few; both paths use the same one
PLANTED = "m-0006"  # gets a raw/platform disagreement on DAY, 02:00-08:00 UTC
ELIGIBLE = 29  # of the fleet's 47 meters, the ones the job scores
ISSUE_KEY = ["meter_id", "detector", "source", "start_ts", "end_ts", "severity", "status"]


@pytest.fixture(scope="module")
def fleet():
    """8 days of a small synthetic fleet (47 meters, 9 with a raw feed) plus the planted case."""
    f = demo.generate(seed=3, end_day=DAY, days=HISTORY_DAYS + 1, n_buildings=6)
    readings = f.readings.copy()
    # The demo stamps its clock_drift meters' readings off the slot boundary: the importer
    # snaps them and records the offsets, the InfluxDB and S3 sources floor timestamps and
    # record none. Compare the two paths on readings stamped on the boundary.
    readings["ts"] = readings["ts"].dt.round("15min")
    raw_meters = set(readings.loc[readings.source == "raw", "meter_id"])
    injected = set(f.injected.loc[f.injected.detector == "raw_platform_mismatch", "meter_id"])
    planted = sorted(raw_meters - injected)[0]
    assert planted == PLANTED
    t = pd.Timestamp(DAY)
    hit = (
        (readings.meter_id == planted)
        & (readings.source == "raw")
        & (readings.ts >= t + pd.Timedelta(hours=2))
        & (readings.ts < t + pd.Timedelta(hours=8))
    )
    readings.loc[hit, "value"] = readings.loc[hit, "value"] * 3 + 5
    return f.meters, readings


@pytest.fixture(scope="module")
def servers(fleet, influx_server, moto_server):
    """The fleet's platform readings in influxd and raw packets (one broken) in moto, once."""
    import boto3
    from influxdb import InfluxDBClient

    _, readings = fleet
    name = f"dq_{uuid.uuid4().hex[:10]}"
    client = InfluxDBClient("127.0.0.1", int(influx_server.rsplit(":", 1)[1]), database=name)
    client.create_database(name)
    write_influx(client, readings[readings.source == "platform"])
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = f"dq-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    write_packets(s3, bucket, "raw", readings[readings.source == "raw"])
    bad_key = f"raw/date={DAY}/broken-packet.json"
    s3.put_object(Bucket=bucket, Key=bad_key, Body=b'{"meter_id": "m-0001", "readings": [{"ts": ')
    yield f"{influx_server}/{name}", bucket, f"s3://{bucket}/{bad_key}"
    client.drop_database(name)
    client.close()


@pytest.fixture
def remote(fleet, servers, moto_server, aws_env, monkeypatch, tmp_path):
    """A warehouse holding only meters, the settings pointing at influxd and moto."""
    meters, _ = fleet
    influx_url, bucket, bad_key = servers
    settings = {
        "DQ_PLATFORM_READINGS": "influxdb",
        "DQ_INFLUX_URL": influx_url,
        "DQ_RAW_READINGS": "s3",
        "DQ_S3_RAW_URL": f"s3://{bucket}/raw",
        "DQ_S3_ENDPOINT_URL": moto_server,
        "DQ_SOURCE_TIMEOUT_SECONDS": "2",
        "DQ_SOURCE_RETRIES": "1",
        "DQ_HISTORY_DAYS": str(HISTORY_DAYS),
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    db = open_warehouse(f"duckdb:///{tmp_path}/remote.duckdb")
    import_frames(db, meters=meters)
    yield db, bad_key
    db.close()


def _issues(db):
    df = db.fetch_df(f"SELECT {', '.join(ISSUE_KEY)}, last_seen_run FROM dq_issues")
    return df.sort_values(ISSUE_KEY).reset_index(drop=True)


def _run_row(db, run_id):
    return db.fetch_df("SELECT * FROM dq_runs WHERE run_id = ?", [run_id]).iloc[0]


def test_job_over_influx_and_s3_matches_the_embedded_tables(fleet, remote, monkeypatch, tmp_path):
    db, bad_key = remote
    summary = job.run(db, DAY)

    assert summary.units_total == ELIGIBLE
    assert summary.status == "partial"
    assert summary.failures == [(bad_key, summary.failures[0][1])]
    assert "malformed raw packet skipped" in _run_row(db, summary.run_id)["error"]
    got = _issues(db)
    planted = got[(got.meter_id == PLANTED) & (got.detector == "raw_platform_mismatch")]
    assert len(planted) == 1 and planted.iloc[0].source == "raw"
    assert planted.iloc[0].start_ts == pd.Timestamp(DAY) + pd.Timedelta(hours=2)

    monkeypatch.setenv("DQ_PLATFORM_READINGS", "embedded")
    monkeypatch.setenv("DQ_RAW_READINGS", "embedded")
    meters, readings = fleet
    local = open_warehouse(f"duckdb:///{tmp_path}/embedded.duckdb")
    import_frames(local, meters=meters, readings=readings)
    assert job.run(local, DAY).status == "ok"
    want = _issues(local)
    pd.testing.assert_frame_equal(got[ISSUE_KEY], want[ISSUE_KEY])
    days = (
        "SELECT meter_id, source, present_points, flagged_points FROM dq_meter_days ORDER BY 1, 2"
    )
    pd.testing.assert_frame_equal(db.fetch_df(days), local.fetch_df(days))
    local.close()


def test_platform_down_scores_nothing_and_keeps_earlier_results(remote, closed_port, monkeypatch):
    db, _ = remote
    first = job.run(db, DAY)
    before_issues = _issues(db)
    before_days = db.fetch_df("SELECT * FROM dq_meter_days ORDER BY meter_id, source")

    monkeypatch.setenv("DQ_INFLUX_URL", f"http://reader:pa55@127.0.0.1:{closed_port}/platform")
    summary = job.run(db, DAY)

    assert summary.status == "partial" and summary.issues_found == 0
    label = f"influxdb http://reader:***@127.0.0.1:{closed_port}/platform"
    reason = dict(summary.failures)[label]
    assert "platform readings unavailable: ConnectionError after 2 attempt(s)" in reason
    assert f"{ELIGIBLE} meters not scored" in reason
    error = _run_row(db, summary.run_id)["error"]
    assert label in error and "pa55" not in error
    pd.testing.assert_frame_equal(_issues(db), before_issues)  # nothing resolved or rewritten
    pd.testing.assert_frame_equal(
        db.fetch_df("SELECT * FROM dq_meter_days ORDER BY meter_id, source"), before_days
    )
    assert first.run_id != summary.run_id


def test_raw_timing_out_keeps_platform_results_and_earlier_raw_ones(
    remote, silent_server, monkeypatch
):
    db, _ = remote
    first = job.run(db, DAY)
    raw_before = db.fetch_df("SELECT * FROM dq_meter_days WHERE source = 'raw' ORDER BY meter_id")
    monkeypatch.setenv("DQ_S3_ENDPOINT_URL", f"http://{silent_server}")
    monkeypatch.setenv("DQ_SOURCE_TIMEOUT_SECONDS", "0.3")

    summary = job.run(db, DAY)

    assert summary.status == "partial"
    [(label, reason)] = summary.failures
    assert label.startswith("s3 s3://") and f"at http://{silent_server}" in label
    assert "raw readings unavailable" in reason and "Timeout" in reason
    assert f"raw feed of {ELIGIBLE} meters not scored (earlier raw results kept)" in reason
    issues = _issues(db)
    platform = issues[issues.source == "platform"]
    raw = issues[issues.source == "raw"]
    assert len(platform) and (platform.last_seen_run == summary.run_id).all()
    assert len(raw) and (raw.last_seen_run == first.run_id).all()
    assert (raw.status == "open").all()  # the outage resolved nothing
    pd.testing.assert_frame_equal(
        db.fetch_df("SELECT * FROM dq_meter_days WHERE source = 'raw' ORDER BY meter_id"),
        raw_before,
    )


def test_platform_timing_out_mid_run_keeps_the_chunks_already_scored(
    remote, silent_server, monkeypatch
):
    db, _ = remote
    monkeypatch.setenv("DQ_SOURCE_TIMEOUT_SECONDS", "0.3")
    real_load = InfluxSource.load
    calls = []

    def load_then_hang(self, meter_ids, start, end):
        calls.append(len(meter_ids))
        if len(calls) == 2:  # influxd stops answering after the first chunk
            host, port = silent_server.split(":")
            self._connect.update(host=host, port=int(port))
            self._client = None
        return real_load(self, meter_ids, start, end)

    monkeypatch.setattr(InfluxSource, "load", load_then_hang)
    summary = job.run(db, DAY, chunk_meters=10)

    assert calls == [10, 10]  # the third chunk is not tried: the source is down for this run
    assert summary.status == "partial"
    reason = next(r for u, r in summary.failures if u.startswith("influxdb "))
    assert "ReadTimeout after 2 attempt(s) (timeout 0.3s each)" in reason
    assert f"{ELIGIBLE - 10} meters not scored" in reason
    scored = db.fetch_df(
        "SELECT DISTINCT meter_id FROM dq_meter_days WHERE run_id = ?", [summary.run_id]
    )
    assert len(scored) == 10  # the first chunk's results are stored
    stored = db.fetch_df("SELECT DISTINCT meter_id FROM dq_issues")
    assert set(stored.meter_id) <= set(scored.meter_id) and len(stored)
