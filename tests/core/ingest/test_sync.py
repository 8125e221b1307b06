"""The sync job (core.ingest.sync) over a real influxd and a moto S3 server, on both warehouses.

One small synthetic fleet, two ways into the warehouse: synced from InfluxDB (platform
readings) and S3 packets (raw readings), or imported from the same rows. Both must hold the same
readings, and the DQ job must then find the same issues. Then what the sync promises: a rerun
writes nothing, S3 is listed by the partitions since the last sync and only new packets are read,
a malformed packet is set aside once, an outage keeps earlier readings and the high water mark,
``since`` re-reads, retention deletes, and late data makes the DQ job re-score the day it changed.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import pytest

from core import demo, sources, triage
from core.auth import User
from core.db import open_warehouse
from core.dq import job
from core.errors import ConfigError
from core.ingest import import_frames, sync
from core.sources.influx import InfluxSource
from tests import platformdb
from tests.core.sources.feeds import packet, write_influx, write_packets

DAY = dt.date(2026, 3, 10)
LAST = DAY + dt.timedelta(days=1)  # the fleet's last day, with every planted problem
NOW = dt.datetime(2026, 3, 12)  # the sync's clock: LAST is complete
HISTORY_DAYS = 7
FIRST_DAYS = 9  # the first sync copies the whole fleet: 2026-03-03 to LAST
PLANTED = "m-0015"  # gets a raw/platform disagreement on LAST, 02:00-08:00 UTC, in S3 only
LATE = ("m-0006", "m-0013")  # raw meters whose packets of DAY arrive late (late-data test)
ALICE = User("alice", "Alice", "staff", None)
ISSUE_KEY = ["meter_id", "detector", "source", "start_ts", "end_ts", "severity", "status"]
READINGS = "SELECT meter_id, ts, value, source FROM readings ORDER BY meter_id, source, ts"
CLOCKS = (
    "SELECT meter_id, source, day, readings, off_grid, late, early, median_offset_s, "
    "max_offset_s FROM meter_clock_days ORDER BY meter_id, source, day"
)


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
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


def _frame(db, sql, params=()):
    """A query's rows with engine-neutral types (PostgreSQL and DuckDB return different ones)."""
    df = db.fetch_df(sql, list(params))
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]) or col in ("ts", "start_ts", "end_ts"):
            df[col] = pd.to_datetime(df[col]).astype("datetime64[us]")
        elif pd.api.types.is_numeric_dtype(df[col]) and col not in ("value", "magnitude"):
            df[col] = df[col].astype("int64")
        elif col not in ("value", "magnitude"):
            df[col] = df[col].astype(object)
    return df.reset_index(drop=True)


def _issues(db):
    return _frame(
        db, f"SELECT {', '.join(ISSUE_KEY)} FROM dq_issues ORDER BY {', '.join(ISSUE_KEY)}"
    )


def _changes(db):
    return _frame(
        db,
        "SELECT meter_id, day, origin, rows_changed, rescored_run FROM reading_changes "
        "ORDER BY meter_id, day, origin, changed_at",
    )


def _gets(calls):
    return [key for op, key in calls if op == "GetObject"]


def _lists(calls):
    return sorted(prefix for op, prefix in calls if op == "ListObjectsV2")


def _partitions(first, last):
    return [f"raw/date={d:%Y-%m-%d}/" for d in pd.date_range(first, last)]


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
    pd.testing.assert_frame_equal(_frame(db, READINGS), _frame(want_db, READINGS))
    pd.testing.assert_frame_equal(_frame(db, CLOCKS), _frame(want_db, CLOCKS))
    # Every landed meter-day is a change of its origin, waiting for the DQ job.
    changes = _changes(db)
    per_day = readings.assign(day=readings.ts.dt.normalize()).groupby(["meter_id", "source"])
    assert len(changes) == per_day["day"].nunique().sum()
    assert set(changes.origin) == {"influxdb", "s3"} and changes.rescored_run.isna().all()
    assert changes.rows_changed.sum() == len(readings)
    assert sync.high_water(db, "influxdb") == sync.high_water(db, "s3") == NOW

    scored = job.run(db, LAST, history_days=HISTORY_DAYS)

    assert (scored.status, scored.units_total) == ("ok", want_summary.units_total)
    got = _issues(db)
    pd.testing.assert_frame_equal(got, _issues(want_db))
    planted = got[(got.meter_id == PLANTED) & (got.detector == "raw_platform_mismatch")]
    assert len(planted) == 1 and planted.iloc[0].source == "raw"
    days = (
        "SELECT meter_id, source, expected_points, present_points, flagged_points "
        "FROM dq_meter_days ORDER BY meter_id, source"
    )
    pd.testing.assert_frame_equal(_frame(db, days), _frame(want_db, days))
    assert scored.rescored == ()  # nothing was scored before: nothing to score again


def test_a_rerun_changes_nothing_and_reads_no_packet_again(remote, bucket, s3_calls):
    db = remote
    at = dt.datetime(2026, 3, 12, 13, 0)  # the worker's clock: syncs start at any time of day
    first = sync.run(db, now=at)
    assert first.status == "ok"
    # The first sync lists each day partition from FIRST_DAYS before now, and reads every packet.
    assert _lists(s3_calls) == _partitions("2026-03-03", "2026-03-12")
    assert len(_gets(s3_calls)) == db.fetch_value("SELECT count(*) FROM sync_objects") == 81
    before, changes, clocks = _frame(db, READINGS), _changes(db), _frame(db, CLOCKS)
    s3_calls.clear()

    again = sync.run(db, now=at + dt.timedelta(hours=1))

    assert (again.status, again.readings_changed) == ("ok", 0)
    pd.testing.assert_frame_equal(_frame(db, READINGS), before)
    pd.testing.assert_frame_equal(_changes(db), changes)  # no reading_changes rows added
    # The mark minus DQ_SYNC_LOOKBACK_HOURS (48 h) is 2026-03-10 13:00: the re-read starts at
    # that day's midnight, so each day's clock statistics still count the whole day.
    assert again.lines[0].startswith("influxdb: ") and "from 2026-03-10 00:00" in again.lines[0]
    pd.testing.assert_frame_equal(_frame(db, CLOCKS), clocks)
    # S3: only the partitions from that day on are listed, and no packet is read again.
    assert _lists(s3_calls) == _partitions("2026-03-10", "2026-03-12")
    assert _gets(s3_calls) == []
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

    assert _gets(s3_calls) == [key]
    assert third.readings_changed == 4
    added = _changes(db).merge(changes, how="left", indicator=True)
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
    assert _lists(s3_calls) == _partitions("2026-03-12", "2026-03-12")
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
    objects = _frame(db, "SELECT object_key, status, readings, error FROM sync_objects")
    row = objects.set_index("object_key").loc[bad_key]
    assert (row.status, row.readings) == ("malformed", 0) and row.error.startswith("not JSON")
    assert set(objects.status) == {"ok", "malformed"} and len(objects) == 82
    raw = (readings.source == "raw").sum()
    assert objects.readings.sum() == raw  # per packet, as landed
    assert db.fetch_value("SELECT count(*) FROM readings WHERE source = 'raw'") == raw
    s3_calls.clear()

    again = sync.run(db, now=NOW)

    assert (again.status, again.failures) == ("ok", [])
    assert bad_key not in _gets(s3_calls) and _gets(s3_calls) == []

    # Rewritten (a new etag), the packet is read again.
    ts = pd.date_range(pd.Timestamp(DAY), periods=2, freq="15min")
    s3.put_object(Bucket=name, Key=bad_key, Body=packet("m-0001", ts, [7.0, 8.0]))
    s3_calls.clear()
    third = sync.run(db, now=NOW)
    assert third.status == "ok" and _gets(s3_calls) == [bad_key]
    row = _frame(db, "SELECT status, readings FROM sync_objects WHERE object_key = ?", [bad_key])
    assert row.iloc[0].tolist() == ["ok", 2]


# ---- outages ------------------------------------------------------------------------------


def test_influxdb_down_keeps_readings_and_mark_and_the_other_steps_run(
    remote, bucket, platform_url, closed_port, monkeypatch
):
    db = remote
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", platform_url)
    first = sync.run(db, now=NOW)
    assert first.status == "ok", first.failures
    platform_before = _frame(db, READINGS.replace("ORDER", "WHERE source = 'platform' ORDER"))
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
        _frame(db, READINGS.replace("ORDER", "WHERE source = 'platform' ORDER")), platform_before
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
    landed = _frame(db, "SELECT DISTINCT meter_id FROM readings WHERE source = 'platform'")
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


# ---- since, retention ---------------------------------------------------------------------


def test_since_re_reads_what_the_marks_say_is_done(fleet, remote, imported):
    db = remote
    assert sync.run(db, now=NOW).status == "ok"
    lost = pd.Timestamp("2026-03-05").to_pydatetime()
    db.execute(
        "DELETE FROM readings WHERE ts >= ? AND ts < ?", [lost, lost + dt.timedelta(days=1)]
    )  # a day lost in the warehouse (a bad manual fix, a restore)

    again = sync.run(db, now=NOW)  # from the marks: the lost day is before the lookback
    assert again.readings_changed == 0
    assert db.fetch_value("SELECT count(*) FROM readings WHERE ts >= ? AND ts < ?",
                          [lost, lost + dt.timedelta(days=1)]) == 0  # fmt: skip

    backfill = sync.run(db, since=lost.date(), now=NOW)

    _, readings = fleet
    on_day = readings[readings.ts.dt.normalize() == pd.Timestamp(lost)]
    assert backfill.status == "ok"
    assert backfill.readings_changed == len(on_day)  # both feeds, only what was missing
    assert set(on_day.source) == {"platform", "raw"}
    want_db, _ = imported
    pd.testing.assert_frame_equal(_frame(db, READINGS), _frame(want_db, READINGS))
    restored = _changes(db)
    assert set(restored[restored.day == pd.Timestamp(lost)].origin) == {"influxdb", "s3"}


def test_retention_deletes_old_readings_without_re_scoring(remote, monkeypatch):
    db = remote
    assert sync.run(db, now=NOW).status == "ok"
    job.run(db, dt.date(2026, 3, 5), history_days=2)  # a day that retention will delete
    monkeypatch.setenv("DQ_READINGS_RETENTION_DAYS", "3")

    summary = sync.run(db, now=NOW)

    cutoff = pd.Timestamp("2026-03-09")
    old = db.fetch_value("SELECT count(*) FROM readings WHERE ts < ?", [cutoff.to_pydatetime()])
    kept = db.fetch_value("SELECT min(ts) FROM readings")
    assert old == 0 and pd.Timestamp(kept) == cutoff
    line = next(line for line in summary.lines if line.startswith("retention:"))
    assert line.endswith("readings before 2026-03-09 deleted") and not line.startswith(
        "retention: 0 "
    )
    # Deleted days are not changed data: the DQ job does not score them again.
    assert job.run(db, LAST, history_days=HISTORY_DAYS).rescored == ()


# ---- late data: the DQ job re-scores the day it changed ---------------------------------


def test_a_late_packet_re_scores_its_day(fleet, remote, bucket):
    db = remote
    s3, name = bucket
    late = {f"raw/date={DAY}/{m}-{DAY}.json" for m in LATE}
    bodies = {k: s3.get_object(Bucket=name, Key=k)["Body"].read() for k in sorted(late)}
    for key in late:
        s3.delete_object(Bucket=name, Key=key)  # not there yet at the first sync
    assert sync.run(db, now=NOW).status == "ok"

    first = job.run(db, DAY, history_days=HISTORY_DAYS)

    def offline(meter):
        rows = _frame(
            db,
            "SELECT issue_id, status, status_by, status_note, last_seen_run FROM dq_issues "
            "WHERE meter_id = ? AND detector = 'offline' AND source = 'raw'",
            [meter],
        )
        assert len(rows) == 1, rows
        return rows.iloc[0]

    fixed, kept = (offline(m) for m in LATE)
    assert fixed.status == kept.status == "open"
    triage.set_status(db, ALICE, kept.issue_id, "acknowledged", note="gateway replaced")
    for key, body in bodies.items():
        s3.put_object(Bucket=name, Key=key, Body=body)  # the packets arrive late

    synced = sync.run(db, now=NOW)

    assert synced.readings_changed == 2 * 96
    changes = _changes(db)
    pending = changes[changes.rescored_run.isna() & (changes.day == pd.Timestamp(DAY))]
    assert pending[["meter_id", "origin", "rows_changed"]].values.tolist() == [
        [LATE[0], "s3", 96],
        [LATE[1], "s3", 96],
    ]

    later = job.run(db, LAST, history_days=HISTORY_DAYS)

    [rescored] = later.rescored
    assert rescored.status == "ok" and rescored.units_total == 2
    params = db.fetch_value("SELECT params FROM dq_runs WHERE run_id = ?", [rescored.run_id])
    assert str(DAY) in params and "192 readings of 2 meters changed (s3)" in params
    now_fixed = offline(LATE[0])
    assert (now_fixed.status, now_fixed.status_by) == ("resolved", "system")
    assert "re-scored" in now_fixed.status_note and rescored.run_id in now_fixed.status_note
    assert "192 readings of 2 meters changed (s3)" in now_fixed.status_note
    now_kept = offline(LATE[1])  # a person's status is never changed by a re-score
    assert (now_kept.status, now_kept.status_by) == ("acknowledged", "alice")
    assert now_kept.status_note == "gateway replaced"
    event = _frame(
        db,
        "SELECT changed_by, from_status, to_status FROM issue_events WHERE issue_id = ?",
        [fixed.issue_id],
    )
    assert event.values.tolist() == [["system", "open", "resolved"]]
    # The re-score scored only the changed meters of that day, with the late readings.
    day = _frame(
        db,
        "SELECT meter_id, source, present_points, run_id FROM dq_meter_days WHERE day = ? "
        "ORDER BY meter_id, source",
        [DAY],
    )
    assert set(day[day.run_id == rescored.run_id].meter_id) == set(LATE)
    late_raw = day[day.meter_id.isin(LATE) & (day.source == "raw")]
    assert (late_raw.present_points == 96).all()
    assert (day[~day.meter_id.isin(LATE)].run_id == first.run_id).all()
    # The re-score opened nothing on that day; the next run has nothing left to re-score.
    on_day = _issues(db)
    on_day = on_day[on_day.meter_id.isin(LATE) & (on_day.start_ts.dt.date == DAY)]
    assert on_day[["meter_id", "detector", "status"]].values.tolist() == [
        [LATE[0], "offline", "resolved"],
        [LATE[1], "offline", "acknowledged"],
    ]
    changes = _changes(db)
    on_day = changes[changes.day == pd.Timestamp(DAY)]
    assert set(on_day[on_day.meter_id.isin(LATE) & (on_day.origin == "s3")].rescored_run) == {
        rescored.run_id
    }
    assert on_day.rescored_run.notna().all()
    assert job.run(db, LAST, history_days=HISTORY_DAYS).rescored == ()


# ---- the platform's switch ----------------------------------------------------------------


def test_a_meter_switched_off_on_the_platform_is_closed_by_the_next_dq_run(
    any_db, platform_url, monkeypatch
):
    db = any_db
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", platform_url)
    first = sync.run(db, now=NOW)
    assert first.status == "ok" and first.lines[0].startswith("platform: 3 meters")
    ts = pd.date_range(pd.Timestamp(DAY) - pd.Timedelta(days=HISTORY_DAYS), NOW, freq="15min",
                       inclusive="left")  # fmt: skip
    value = pd.Series(0.5 + 0.1 * (ts.hour >= 8), index=ts)
    for at in ("03:00", "15:00"):  # two separate negative readings on DAY
        value[pd.Timestamp(f"{DAY} {at}")] = -4.0
    import_frames(
        db,
        readings=pd.DataFrame({"meter_id": "m-hq-main", "ts": ts, "value": value.to_numpy()}),
    )
    job.run(db, DAY, history_days=HISTORY_DAYS)
    negative = _frame(
        db,
        "SELECT issue_id FROM dq_issues WHERE meter_id = 'm-hq-main' "
        "AND detector = 'negative_value' ORDER BY start_ts",
    )
    assert len(negative) == 2
    triage.set_status(db, ALICE, negative.issue_id[1], "acknowledged", note="CT reversed")
    platformdb.execute(platform_url, "UPDATE meters SET dq_enabled = false WHERE id = 700")

    assert sync.run(db, now=NOW).status == "ok"
    assert db.fetch_value("SELECT dq_enabled FROM meters WHERE meter_id = 'm-hq-main'") == False  # noqa: E712
    summary = job.run(db, LAST, history_days=HISTORY_DAYS)

    rows = _frame(
        db,
        "SELECT issue_id, status, status_by, status_note, last_seen_run FROM dq_issues "
        "WHERE meter_id = 'm-hq-main' ORDER BY start_ts",
    )
    assert summary.run_id not in set(rows.last_seen_run)  # no new issue, none seen again
    by_id = rows.set_index("issue_id")
    closed = by_id.loc[negative.issue_id[0]]
    assert (closed.status, closed.status_by) == ("resolved", "system")
    assert closed.status_note.startswith("meter no longer checked (DQ switched off")
    assert summary.run_id in closed.status_note
    kept = by_id.loc[negative.issue_id[1]]
    assert (kept.status, kept.status_by, kept.status_note) == (
        "acknowledged",
        "alice",
        "CT reversed",
    )
    others = rows[~rows.issue_id.isin(negative.issue_id)]
    assert (others.status != "open").all()
