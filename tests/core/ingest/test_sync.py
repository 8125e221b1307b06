"""The sync job (core.ingest.sync) over a real influxd and a moto S3 server, on both warehouses.

The fleet synced from InfluxDB and S3 lands what importing its rows lands, and the DQ job then
finds the same issues. Then what the sync promises: a rerun writes nothing, S3 is listed by the
partitions since the last sync and only new packets are read, a malformed packet is set aside
once, and an outage of one source keeps earlier readings and its high water mark while the other
steps run. Late data, ``since``, retention and the platform's switch: test_sync_rescore.py.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from core.dq import job
from core.errors import ConfigError
from core.ingest import sync
from core.sources.influx import InfluxSource
from tests import platformdb
from tests.core.ingest.syncfleet import (
    CLOCKS,
    DAY,
    HISTORY_DAYS,
    LAST,
    NOW,
    PLANTED,
    READINGS,
    change_rows,
    frame,
    gets,
    issue_rows,
    lists,
    partitions,
)
from tests.core.sources.feeds import packet

# ---- the sync lands what an import lands --------------------------------------------------


def test_sync_lands_what_an_import_lands_and_the_dq_job_agrees(fleet, remote, imported):
    db = remote
    _, readings = fleet
    want_db, want_summary = imported

    summary = sync.run(db, now=NOW)

    assert summary.status == "ok", summary.failures
    assert summary.readings_changed == len(readings)
    assert summary.lines[0].startswith(
        f"influxdb: {(readings.source == 'platform').sum()} readings read from "
        "2026-03-03 00:00 to 2026-03-12 00:00"
    )
    pd.testing.assert_frame_equal(frame(db, READINGS), frame(want_db, READINGS))
    pd.testing.assert_frame_equal(frame(db, CLOCKS), frame(want_db, CLOCKS))
    # Every landed meter-day is a change of its origin, waiting for the DQ job.
    changes = change_rows(db)
    per_day = readings.assign(day=readings.ts.dt.normalize()).groupby(["meter_id", "source"])
    assert len(changes) == per_day["day"].nunique().sum()
    assert set(changes.origin) == {"influxdb", "s3"} and changes.rescored_run.isna().all()
    assert changes.rows_changed.sum() == len(readings)
    assert sync.high_water(db, "influxdb") == sync.high_water(db, "s3") == NOW

    scored = job.run(db, LAST, history_days=HISTORY_DAYS)

    assert (scored.status, scored.units_total) == ("ok", want_summary.units_total)
    got = issue_rows(db)
    pd.testing.assert_frame_equal(got, issue_rows(want_db))
    planted = got[(got.meter_id == PLANTED) & (got.detector == "raw_platform_mismatch")]
    assert len(planted) == 1 and planted.iloc[0].source == "raw"
    days = (
        "SELECT meter_id, source, expected_points, present_points, flagged_points "
        "FROM dq_meter_days ORDER BY meter_id, source"
    )
    pd.testing.assert_frame_equal(frame(db, days), frame(want_db, days))
    assert scored.rescored == ()  # nothing was scored before: nothing to score again


def test_a_rerun_changes_nothing_and_reads_no_packet_again(remote, bucket, s3_calls):
    db = remote
    at = dt.datetime(2026, 3, 12, 13, 0)  # the worker's clock: syncs start at any time of day
    first = sync.run(db, now=at)
    assert first.status == "ok"
    # The first sync lists each day partition from FIRST_DAYS before now, and reads every packet.
    assert lists(s3_calls) == partitions("2026-03-03", "2026-03-12")
    assert len(gets(s3_calls)) == db.fetch_value("SELECT count(*) FROM sync_objects") == 81
    before, changes, clocks = frame(db, READINGS), change_rows(db), frame(db, CLOCKS)
    s3_calls.clear()

    again = sync.run(db, now=at + dt.timedelta(hours=1))

    assert (again.status, again.readings_changed) == ("ok", 0)
    pd.testing.assert_frame_equal(frame(db, READINGS), before)
    pd.testing.assert_frame_equal(change_rows(db), changes)  # no reading_changes rows added
    # The mark minus DQ_SYNC_LOOKBACK_HOURS (48 h) is 2026-03-10 13:00: the re-read starts at
    # that day's midnight, so each day's clock statistics still count the whole day.
    assert again.lines[0].startswith("influxdb: ") and "from 2026-03-10 00:00" in again.lines[0]
    pd.testing.assert_frame_equal(frame(db, CLOCKS), clocks)
    # S3: only the partitions from that day on are listed, and no packet is read again.
    assert lists(s3_calls) == partitions("2026-03-10", "2026-03-12")
    assert gets(s3_calls) == []
    assert "s3: 0 new packets over 3 day partitions" in "\n".join(again.lines)
    assert sync.high_water(db, "influxdb") == sync.high_water(db, "s3")
    assert sync.high_water(db, "s3") == at + dt.timedelta(hours=1)

    # A new packet (a correction of LAST for one meter) is the only object read next time.
    s3, name = bucket
    key = f"raw/date={LAST}/{PLANTED}-{LAST}-fix.json"
    ts = pd.date_range(pd.Timestamp(LAST) + pd.Timedelta(hours=2), periods=4, freq="15min")
    s3.put_object(Bucket=name, Key=key, Body=packet(PLANTED, ts, [0.0, 0.0, 0.0, 0.0]))
    s3_calls.clear()

    third = sync.run(db, now=at + dt.timedelta(hours=2))

    assert gets(s3_calls) == [key]
    assert third.readings_changed == 4
    added = change_rows(db).merge(changes, how="left", indicator=True)
    added = added[added._merge == "left_only"]
    assert added[["meter_id", "day", "origin", "rows_changed"]].values.tolist() == [
        [PLANTED, pd.Timestamp(LAST), "s3", 4]
    ]


def test_no_lookback_re_reads_from_the_day_of_the_mark(remote, s3_calls, monkeypatch):
    db = remote
    monkeypatch.setenv("DQ_SYNC_LOOKBACK_HOURS", "0")
    assert sync.run(db, now=NOW).status == "ok"
    s3_calls.clear()
    again = sync.run(db, now=NOW + dt.timedelta(hours=5))
    assert (again.status, again.readings_changed) == ("ok", 0)
    assert lists(s3_calls) == partitions("2026-03-12", "2026-03-12")
    assert "from 2026-03-12 00:00 to 2026-03-12 05:00" in again.lines[0]


def test_a_malformed_packet_is_set_aside_once(fleet, remote, bucket, s3_calls):
    db = remote
    _, readings = fleet
    s3, name = bucket
    bad_key = f"raw/date={DAY}/broken-packet.json"
    s3.put_object(Bucket=name, Key=bad_key, Body=b'{"meter_id": "m-0001", "readings": [{"ts": ')

    first = sync.run(db, now=NOW)

    assert first.status == "partial"
    assert [unit for unit, _ in first.failures] == [f"s3://{name}/{bad_key}"]
    assert first.failures[0][1].startswith("malformed raw packet set aside: not JSON")
    error = db.fetch_value("SELECT error FROM dq_runs WHERE run_id = ?", [first.run_id])
    assert bad_key in error
    objects = frame(db, "SELECT object_key, status, readings, error FROM sync_objects")
    row = objects.set_index("object_key").loc[bad_key]
    assert (row.status, row.readings) == ("malformed", 0) and row.error.startswith("not JSON")
    assert set(objects.status) == {"ok", "malformed"} and len(objects) == 82
    raw = (readings.source == "raw").sum()
    assert objects.readings.sum() == raw  # per packet, as landed
    assert db.fetch_value("SELECT count(*) FROM readings WHERE source = 'raw'") == raw
    s3_calls.clear()

    again = sync.run(db, now=NOW)

    assert (again.status, again.failures) == ("ok", [])
    assert bad_key not in gets(s3_calls) and gets(s3_calls) == []

    # Rewritten (a new etag), the packet is read again.
    ts = pd.date_range(pd.Timestamp(DAY), periods=2, freq="15min")
    s3.put_object(Bucket=name, Key=bad_key, Body=packet("m-0001", ts, [7.0, 8.0]))
    s3_calls.clear()
    third = sync.run(db, now=NOW)
    assert third.status == "ok" and gets(s3_calls) == [bad_key]
    row = frame(db, "SELECT status, readings FROM sync_objects WHERE object_key = ?", [bad_key])
    assert row.iloc[0].tolist() == ["ok", 2]


# ---- outages ------------------------------------------------------------------------------


def test_influxdb_down_keeps_readings_and_mark_and_the_other_steps_run(
    remote, bucket, platform_url, closed_port, monkeypatch
):
    db = remote
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", platform_url)
    first = sync.run(db, now=NOW)
    assert first.status == "ok", first.failures
    platform_before = frame(db, READINGS.replace("ORDER", "WHERE source = 'platform' ORDER"))
    s3, name = bucket
    key = f"raw/date={LAST}/late-{PLANTED}.json"
    s3.put_object(Bucket=name, Key=key, Body=packet(PLANTED, [pd.Timestamp(LAST)], [123.0]))
    platformdb.execute(platform_url, "UPDATE meters SET dq_enabled = false WHERE id = 701")
    monkeypatch.setenv("DQ_INFLUX_URL", f"http://reader:pa55@127.0.0.1:{closed_port}/platform")
    monkeypatch.setenv("DQ_READINGS_RETENTION_DAYS", "30")

    summary = sync.run(db, now=NOW + dt.timedelta(days=1))

    assert summary.status == "partial"
    [(unit, reason)] = summary.failures
    assert unit == "influxdb"
    assert "ConnectionError after 2 attempt(s)" in reason and "not synced" in reason
    label = f"influxdb http://reader:***@127.0.0.1:{closed_port}/platform"
    assert label in reason
    error = db.fetch_value("SELECT error FROM dq_runs WHERE run_id = ?", [summary.run_id])
    assert label in error and "pa55" not in error
    assert sync.high_water(db, "influxdb") == NOW  # not advanced: the next sync re-reads
    pd.testing.assert_frame_equal(
        frame(db, READINGS.replace("ORDER", "WHERE source = 'platform' ORDER")), platform_before
    )
    # The platform step, the S3 step and retention still ran.
    assert db.fetch_value("SELECT dq_enabled FROM meters WHERE meter_id = 'm-hq-water'") == False  # noqa: E712
    assert sync.high_water(db, "s3") == NOW + dt.timedelta(days=1)
    stored = db.fetch_value(
        "SELECT value FROM readings WHERE meter_id = ? AND source = 'raw' AND ts = ?",
        [PLANTED, pd.Timestamp(LAST).to_pydatetime()],
    )
    assert stored == 123.0
    assert any(line.startswith("retention: 0 readings before") for line in summary.lines)


def test_influxdb_hanging_mid_sync_keeps_the_chunks_landed(
    fleet, remote, silent_server, monkeypatch
):
    db = remote
    monkeypatch.setenv("DQ_SOURCE_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("DQ_CHUNK_METERS", "10")
    real_rows = InfluxSource.rows
    calls = []

    def rows_then_hang(self, meter_ids, start, end):
        calls.append(list(meter_ids))
        if len(calls) == 2:  # influxd stops answering after the first chunk
            host, port = silent_server.split(":")
            self._connect.update(host=host, port=int(port))
            self._client = None
        return real_rows(self, meter_ids, start, end)

    monkeypatch.setattr(InfluxSource, "rows", rows_then_hang)

    summary = sync.run(db, now=NOW)

    assert [len(c) for c in calls] == [10, 10]  # the third chunk is not tried
    assert summary.status == "partial"
    reason = dict(summary.failures)["influxdb"]
    assert "ReadTimeout after 2 attempt(s) (timeout 0.3s each)" in reason
    assert f"meters from {calls[1][0]} on not synced" in reason
    landed = frame(db, "SELECT DISTINCT meter_id FROM readings WHERE source = 'platform'")
    assert sorted(landed.meter_id) == sorted(calls[0])  # the first chunk's readings are stored
    assert sync.high_water(db, "influxdb") is None  # the next sync starts over
    assert sync.high_water(db, "s3") == NOW  # the raw packets landed all the same
    raw = (fleet[1].source == "raw").sum()
    assert db.fetch_value("SELECT count(*) FROM readings WHERE source = 'raw'") == raw


def test_s3_hanging_keeps_nothing_half_done(remote, silent_server, monkeypatch):
    db = remote
    monkeypatch.setenv("DQ_S3_ENDPOINT_URL", f"http://{silent_server}")
    monkeypatch.setenv("DQ_SOURCE_TIMEOUT_SECONDS", "0.3")

    summary = sync.run(db, now=NOW)

    assert summary.status == "partial"
    [(unit, reason)] = summary.failures
    assert unit == "s3" and "Timeout" in reason and f"at http://{silent_server}" in reason
    assert db.fetch_value("SELECT count(*) FROM sync_objects") == 0
    assert sync.high_water(db, "s3") is None
    assert sync.high_water(db, "influxdb") == NOW  # the platform readings landed
    assert db.fetch_value("SELECT count(*) FROM readings WHERE source = 'raw'") == 0


def test_platform_down_is_one_failed_step(remote, monkeypatch):
    db = remote
    monkeypatch.setenv("DQ_CONNECT_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", "postgresql://bills:hunter2@127.0.0.1:1/platform")

    summary = sync.run(db, now=NOW)

    assert summary.status == "partial"
    [(unit, reason)] = summary.failures
    assert unit == "platform" and "127.0.0.1:1/platform" in reason and "hunter2" not in reason
    assert sync.high_water(db, "influxdb") == sync.high_water(db, "s3") == NOW


def test_a_bad_setting_fails_the_sync(remote, monkeypatch):
    monkeypatch.setenv("DQ_RAW_READINGS", "ftp")
    with pytest.raises(ConfigError, match="DQ_RAW_READINGS='ftp'"):
        sync.run(remote, now=NOW)
    assert remote.fetch_value("SELECT status FROM dq_runs WHERE job = 'sync'") == "failed"
