"""Sync and the DQ job together: late data re-scored, ``since``, retention, switched-off meters.

Over the same test influxd and moto S3 fleet as test_sync.py, on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from core import triage
from core.dq import job
from core.ingest import import_frames, sync
from tests import platformdb
from tests.core.ingest.syncfleet import (
    ALICE,
    DAY,
    HISTORY_DAYS,
    LAST,
    LATE,
    NOW,
    READINGS,
    change_rows,
    frame,
    issue_rows,
)

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
    pd.testing.assert_frame_equal(frame(db, READINGS), frame(want_db, READINGS))
    restored = change_rows(db)
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
        rows = frame(
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
    changes = change_rows(db)
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
    event = frame(
        db,
        "SELECT changed_by, from_status, to_status FROM issue_events WHERE issue_id = ?",
        [fixed.issue_id],
    )
    assert event.values.tolist() == [["system", "open", "resolved"]]
    # The re-score scored only the changed meters of that day, with the late readings.
    day = frame(
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
    on_day = issue_rows(db)
    on_day = on_day[on_day.meter_id.isin(LATE) & (on_day.start_ts.dt.date == DAY)]
    assert on_day[["meter_id", "detector", "status"]].values.tolist() == [
        [LATE[0], "offline", "resolved"],
        [LATE[1], "offline", "acknowledged"],
    ]
    changes = change_rows(db)
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
    negative = frame(
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

    rows = frame(
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
