"""Timestamps off the slot boundary: the snap tolerance, per-meter reporting, clock statistics."""

from datetime import date, datetime

import pandas as pd
import pytest

from core.errors import ConfigError
from core.ingest import import_files, import_frames


def kept(db):
    return db.fetch_all("SELECT ts, value FROM readings ORDER BY ts")


def clock(db):
    return db.fetch_df(
        "SELECT meter_id, source, day, readings, off_grid, late, early, median_offset_s, "
        "max_offset_s FROM meter_clock_days ORDER BY meter_id, source, day"
    )


def test_default_tolerance_is_a_fifth_of_the_interval(db, meters_csv, write_csv):
    path = write_csv(
        "r.csv",
        """meter_id,ts,value
        m1,2024-01-01T10:02:50,1
        m1,2024-01-01T10:27:10,2
        m1,2024-01-01T10:49:00,3
        m2,2024-01-01T10:11:00,4
        m2,2024-01-01T11:13:00,5
        """,
    )
    report = import_files(db, meters=meters_csv, readings=path)
    # 15-minute m1: 2 min 50 s late and early snap, 4 min does not (3 min tolerance).
    # Hourly m2: 11 min snaps (12 min tolerance), 13 min does not.
    assert db.fetch_all("SELECT meter_id, ts FROM readings ORDER BY 1, 2") == [
        ("m1", datetime(2024, 1, 1, 10, 0)),
        ("m1", datetime(2024, 1, 1, 10, 30)),
        ("m2", datetime(2024, 1, 1, 10, 0)),
    ]
    file = report.file("readings")
    assert (file.snapped_timestamps, file.off_grid_readings, file.bad_rows) == (3, 2, 2)


def test_off_grid_readings_are_reported_once_per_meter_and_file_with_their_count(
    db, meters_csv, write_csv
):
    rows = ["meter_id,ts,value"]
    rows += [f"m1,2024-01-01T{h:02d}:05:00,{h}" for h in range(10, 16)]  # 5 min late: skipped
    rows += ["m1,2024-01-01T16:00:00,1", "m2,2024-01-01T10:30:00,1"]
    path = write_csv("late.csv", "\n".join(rows))
    report = import_files(db, meters=meters_csv, readings=path)

    bad = report.bad_rows
    assert list(bad["meter_id"]) == ["m1", "m2"]
    assert list(bad["line"]) == [2, 9]
    assert bad["reason"].iloc[0] == (
        "line 2: 6 readings of meter 'm1' are not on the 15-minute grid (5 min 00 s to 5 min 00 s "
        "off the nearest slot; snapping allows 3 min 00 s), lines 2 to 7, first ts "
        "'2024-01-01T10:05:00'"
    )
    assert "30 min 00 s off the nearest slot; snapping allows 12 min 00 s" in bad["reason"].iloc[1]
    file = report.file("readings")
    assert (file.bad_rows, file.off_grid_readings, file.rows_loaded) == (7, 7, 1)
    assert "7 off the slot grid (skipped)" in report.summary()


def test_two_readings_on_one_slot_keep_the_one_closest_to_the_boundary(db, meters_csv, write_csv):
    path = write_csv(
        "dup.csv",
        """meter_id,ts,value
        m1,2024-01-01T10:14:10,7
        m1,2024-01-01T10:00:40,1
        m1,2024-01-01T10:15:20,8
        m1,2024-01-01T09:59:50,2
        """,
    )
    report = import_files(db, meters=meters_csv, readings=path)
    # 10:00: 09:59:50 (10 s early) beats 10:00:40 (40 s late) even though it comes later;
    # 10:15: 10:15:20 (20 s) beats 10:14:10 (50 s) though it comes first... and is the last line.
    assert kept(db) == [(datetime(2024, 1, 1, 10, 0), 2.0), (datetime(2024, 1, 1, 10, 15), 8.0)]
    conflicts = report.conflicts.set_index("ts")
    assert conflicts.loc[pd.Timestamp("2024-01-01 10:00"), "kept_line"] == 5
    assert "closest to the slot boundary" in report.summary()


def test_the_closest_reading_wins_even_before_a_later_line(db, meters_csv, write_csv):
    path = write_csv(
        "dup.csv", "meter_id,ts,value\nm1,2024-01-01T10:00:05,1\nm1,2024-01-01T10:01:30,2\n"
    )
    import_files(db, meters=meters_csv, readings=path)
    assert kept(db) == [(datetime(2024, 1, 1, 10, 0), 1.0)]


def test_clock_statistics_per_meter_day_and_source(db, meters_csv, write_csv):
    path = write_csv(
        "r.csv",
        """meter_id,ts,value,source
        m1,2024-01-01T10:00:30,1,
        m1,2024-01-01T10:15:40,1,
        m1,2024-01-01T10:30:50,1,
        m1,2024-01-01T10:44:40,1,
        m1,2024-01-01T11:05:00,1,
        m1,2024-01-02T10:00:00,1,
        m1,2024-01-01T10:00:00,1,raw
        """,
    )
    import_files(db, meters=meters_csv, readings=path)
    stats = clock(db).set_index(["source", "day"])
    day1 = stats.loc[("platform", pd.Timestamp("2024-01-01"))]
    # offsets +30, +40, +50, -20 s and one 5 min (off the grid): median of all five = +40 s
    assert (day1.readings, day1.off_grid, day1.late, day1.early) == (4, 1, 4, 1)
    assert day1.median_offset_s == pytest.approx(40.0)
    assert day1.max_offset_s == pytest.approx(300.0)
    day2 = stats.loc[("platform", pd.Timestamp("2024-01-02"))]
    assert (day2.readings, day2.late, day2.early, day2.median_offset_s) == (1, 0, 0, 0.0)
    raw = stats.loc[("raw", pd.Timestamp("2024-01-01"))]
    assert (raw.readings, raw.late, raw.median_offset_s) == (1, 0, 0.0)


def test_a_reimport_replaces_the_meter_days_statistics(db, meters_csv, write_csv):
    late = write_csv(
        "a.csv", "meter_id,ts,value\nm1,2024-01-01T10:01:00,1\nm1,2024-01-01T10:16:00,1"
    )
    fixed = write_csv(
        "b.csv", "meter_id,ts,value\nm1,2024-01-01T10:00:00,1\nm1,2024-01-01T10:15:00,1"
    )
    import_files(db, meters=meters_csv, readings=late)
    assert clock(db)["median_offset_s"].tolist() == [60.0]
    import_files(db, readings=fixed)
    stats = clock(db)
    assert len(stats) == 1 and stats["median_offset_s"].tolist() == [0.0]
    assert stats["late"].tolist() == [0]


def test_snap_settings_are_read_at_call_time_and_checked(db, meters_csv, write_csv, monkeypatch):
    path = write_csv("r.csv", "meter_id,ts,value\nm1,2024-01-01T10:00:45,1")
    monkeypatch.setenv("DQ_SNAP_FRACTION", "0.01")  # 9 s on 15-minute data
    report = import_files(db, meters=meters_csv, readings=path)
    assert report.file("readings").off_grid_readings == 1 and kept(db) == []
    monkeypatch.setenv("DQ_SNAP_SECONDS", "60")  # an absolute tolerance wins over the fraction
    report = import_files(db, meters=meters_csv, readings=path)
    assert report.file("readings").snapped_timestamps == 1
    monkeypatch.setenv("DQ_SNAP_FRACTION", "0.6")
    with pytest.raises(ConfigError, match="DQ_SNAP_FRACTION=0.6 must be at most 0.5"):
        import_files(db, meters=meters_csv, readings=path)


def test_bidirectional_is_an_optional_meters_column(db, write_csv):
    meters = write_csv(
        "m.csv",
        """meter_id,building_id,account_id,kind,unit,bidirectional
        s1,b1,a1,electricity,kWh,true
        s2,b1,a1,electricity,kWh,
        s3,b1,a1,electricity,kWh,sometimes
        """,
    )
    report = import_files(db, meters=meters)
    assert db.fetch_all("SELECT meter_id, bidirectional FROM meter_options ORDER BY 1") == [
        ("s1", True),
        ("s2", False),
    ]
    assert "bidirectional 'sometimes' is not a boolean" in report.bad_rows["reason"].iloc[0]
    frame = pd.DataFrame(
        [
            {
                "meter_id": "s1",
                "building_id": "b1",
                "account_id": "a1",
                "kind": "electricity",
                "unit": "kWh",
            }
        ]
    )
    import_frames(db, meters=frame)  # a file without the column resets it to the default
    assert db.fetch_all("SELECT bidirectional FROM meter_options WHERE meter_id = 's1'") == [
        (False,)
    ]


def test_clock_day_column_is_a_date(db, meters_csv, write_csv):
    path = write_csv("r.csv", "meter_id,ts,value\nm1,2024-03-05T23:59:30,1")
    import_files(db, meters=meters_csv, readings=path)
    # 23:59:30 snaps to the next day's 00:00 slot: the statistics follow the slot
    assert clock(db)["day"].dt.date.tolist() == [date(2024, 3, 6)]
