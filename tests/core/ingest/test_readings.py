from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from core.ingest import import_files, import_frames


def readings(db):
    return db.fetch_all("SELECT meter_id, ts, value, source FROM readings ORDER BY 1, 4, 2")


def reasons(report):
    return list(report.bad_rows["reason"])


def test_csv_snaps_converts_offsets_and_lands_good_rows(db, meters_csv, write_csv):
    path = write_csv(
        "readings.csv",
        """meter_id,ts,value,source
        m1,2024-01-01T10:00:00,1.5,
        m1,2024-01-01 10:15:04,2,platform
        m1,2024-01-01T09:29:40Z,3,RAW
        m1,2024-01-01T12:45:00+02:00,4,platform
        """,
    )
    report = import_files(db, meters=meters_csv, readings=path)

    assert readings(db) == [
        ("m1", datetime(2024, 1, 1, 10, 0), 1.5, "platform"),
        ("m1", datetime(2024, 1, 1, 10, 15), 2.0, "platform"),
        ("m1", datetime(2024, 1, 1, 10, 45), 4.0, "platform"),
        ("m1", datetime(2024, 1, 1, 9, 30), 3.0, "raw"),
    ]
    file = report.file("readings")
    assert (file.rows_read, file.rows_loaded, file.bad_rows) == (4, 4, 0)
    assert file.snapped_timestamps == 2
    assert report.bad_rows.empty


def test_off_grid_and_invalid_values_are_reported_with_file_and_line(db, meters_csv, write_csv):
    path = write_csv(
        "readings.csv",
        """meter_id,ts,value
        m1,2024-01-01T10:00:00,1
        m1,2024-01-01T10:07:00,2
        m1,yesterday,3
        m1,2024-01-01T10:30:00,abc
        m1,2024-01-01T10:45:00,nan
        m9,2024-01-01T10:30:00,1
        m1,2024-01-01T11:00:00,inf
        m1,2024-01-01T11:15:00,
        m1,2024-01-01T11:30:00,1,platform
        m1,2024-01-01T11:45:00,5
        """,
    )
    report = import_files(db, meters=meters_csv, readings=path)

    assert [r[1] for r in readings(db)] == [datetime(2024, 1, 1, 10), datetime(2024, 1, 1, 11, 45)]
    assert reasons(report) == [
        "line 3: ts '2024-01-01T10:07:00' is not on the 15-minute grid "
        "(7 min 00 s off the nearest slot; snapping allows 3 min 00 s)",
        "line 4: ts 'yesterday' is not an ISO-8601 timestamp",
        "line 5: value 'abc' is not a finite number",
        "line 6: value 'nan' is not a finite number",
        "line 7: meter_id 'm9' is not a known meter (not in the warehouse nor in the meters file)",
        "line 8: value 'inf' is not a finite number",
        "line 9: value is empty",
        "line 10: malformed CSV row (Expected Number of Columns: 3 Found: 4)",
    ]
    bad = report.bad_rows
    assert set(bad["file"]) == {str(path)}
    assert list(bad["line"]) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert bad.loc[1, ["meter_id", "column", "value"]].tolist() == ["m1", "ts", "yesterday"]
    file = report.file("readings")
    assert (file.rows_read, file.rows_loaded, file.bad_rows) == (10, 2, 8)
    assert str(path) in report.summary() and "line 4: ts 'yesterday'" in report.summary()


def test_unknown_source_and_rejected_meter(db, write_csv):
    meters = write_csv(
        "meters.csv",
        """meter_id,building_id,account_id,kind,unit
        m1,b1,a1,electricity,kWh
        m3,b1,a1,electricity,gal
        """,
    )
    path = write_csv(
        "readings.csv",
        """meter_id,ts,value,source
        m1,2024-01-01T10:00:00,1,meter
        m3,2024-01-01T10:00:00,1,raw
        """,
    )
    report = import_files(db, meters=meters, readings=path)
    assert reasons(report)[-2:] == [
        "line 2: source 'meter' is not one of platform, raw",
        "line 3: meter_id 'm3' is not a known meter (its row in the meters file was rejected)",
    ]
    assert readings(db) == []


def test_snap_tolerance_is_read_at_call_time(db, meters_csv, write_csv, monkeypatch):
    path = write_csv("r.csv", "meter_id,ts,value\nm1,2024-01-01T10:00:45,1")
    monkeypatch.setenv("DQ_SNAP_SECONDS", "60")
    report = import_files(db, meters=meters_csv, readings=path)
    assert report.file("readings").snapped_timestamps == 1
    assert readings(db)[0][1] == datetime(2024, 1, 1, 10, 0)


def test_hourly_meter_uses_a_60_minute_grid(db, meters_csv, write_csv):
    path = write_csv(
        "r.csv",
        """meter_id,ts,value
        m2,2024-01-01T10:00:10,1
        m2,2024-01-01T10:15:00,2
        """,
    )
    report = import_files(db, meters=meters_csv, readings=path)
    assert readings(db) == [("m2", datetime(2024, 1, 1, 10), 1.0, "platform")]
    assert "not on the 60-minute grid" in reasons(report)[0]


def test_hourly_grid_follows_a_half_hour_time_zone(db, write_csv):
    meters = write_csv(
        "m.csv",
        """meter_id,building_id,account_id,kind,unit,timezone,interval_minutes
        k1,b1,a1,electricity,kWh,Asia/Kolkata,60
        """,
    )
    path = write_csv(
        "r.csv", "meter_id,ts,value\nk1,2024-01-01T10:00:00+05:30,1\nk1,2024-01-01T05:00:00Z,2"
    )
    report = import_files(db, meters=meters, readings=path)
    assert readings(db) == [("k1", datetime(2024, 1, 1, 4, 30), 1.0, "platform")]
    assert "not on the 60-minute grid" in reasons(report)[0]


def test_exact_duplicates_dropped_and_conflicts_keep_the_last_line(db, meters_csv, write_csv):
    path = write_csv(
        "readings.csv",
        """meter_id,ts,value
        m1,2024-01-01T10:00:00,1
        m1,2024-01-01T10:00:00,1
        m1,2024-01-01T10:15:00,5
        m1,2024-01-01T10:15:02,6
        m1,2024-01-01T10:15:00,5
        m1,2024-01-01T10:30:00,7
        """,
    )
    report = import_files(db, meters=meters_csv, readings=path)
    assert [r[2] for r in readings(db)] == [1.0, 5.0, 7.0]
    file = report.file("readings")
    assert (file.rows_loaded, file.exact_duplicates, file.conflicting_duplicates) == (3, 2, 1)
    conflict = report.conflicts.iloc[0]
    assert (conflict["meter_id"], conflict["ts"], conflict["kept_line"]) == (
        "m1",
        pd.Timestamp("2024-01-01 10:15"),
        6,
    )
    assert (conflict["rows"], conflict["distinct_values"], conflict["kept_value"]) == (3, 2, 5.0)
    assert "1 conflicting duplicates" in report.summary()


def test_reimport_replaces_overlapping_rows(db, meters_csv, write_csv):
    first = write_csv(
        "a.csv", "meter_id,ts,value\nm1,2024-01-01T10:00:00,1\nm1,2024-01-01T10:15:00,2"
    )
    second = write_csv(
        "b.csv", "meter_id,ts,value\nm1,2024-01-01T10:15:00,20\nm1,2024-01-01T10:30:00,30"
    )
    import_files(db, meters=meters_csv, readings=first)
    import_files(db, readings=second)
    import_files(db, readings=second)
    assert [(r[1].minute, r[2]) for r in readings(db)] == [(0, 1.0), (15, 20.0), (30, 30.0)]


def test_later_file_of_one_call_wins(db, meters_csv, write_csv):
    first = write_csv(
        "a.csv", "meter_id,ts,value\nm1,2024-01-01T10:00:00,1\nm1,2024-01-01T10:15:00,2"
    )
    second = write_csv("b.csv", "meter_id,ts,value\nm1,2024-01-01T10:15:00,20")
    report = import_files(db, meters=meters_csv, readings=[first, second])
    assert [r[2] for r in readings(db)] == [1.0, 20.0]
    assert [(f.rows_loaded, f.superseded) for f in report.files[1:]] == [(1, 1), (1, 0)]


def test_parquet_and_gzip(db, meters_csv, tmp_path):
    frame = pd.DataFrame(
        {
            "meter_id": ["m1", "m1", "m1"],
            "ts": ["2024-01-01T10:00:00", "2024-01-01T10:15:00", "bad"],
            "value": [1.0, 2.0, 3.0],
        }
    )
    frame.to_parquet(tmp_path / "r.parquet")
    report = import_files(db, meters=meters_csv, readings=tmp_path / "r.parquet")
    assert reasons(report) == ["row 3: ts 'bad' is not an ISO-8601 timestamp"]
    frame.iloc[:2].assign(value=[10.0, 20.0]).to_csv(tmp_path / "r.csv.gz", index=False)
    import_files(db, readings=tmp_path / "r.csv.gz")
    assert [r[2] for r in readings(db)] == [10.0, 20.0]


def test_frames_with_typed_columns(db):
    meters = pd.DataFrame(
        {
            "meter_id": ["m1"],
            "building_id": ["b1"],
            "account_id": ["a1"],
            "kind": ["electricity"],
            "unit": ["kWh"],
        }
    )
    ts = pd.to_datetime(
        ["2024-01-01T11:00:00", "2024-01-01T11:15:00", "2024-01-01T11:30:00"]
    ).tz_localize("Europe/Paris")
    frame = pd.DataFrame({"meter_id": "m1", "ts": ts, "value": [1.0, np.nan, 3.0]})
    report = import_frames(db, meters=meters, readings=frame, label="seed")
    assert readings(db) == [
        ("m1", datetime(2024, 1, 1, 10, 0), 1.0, "platform"),
        ("m1", datetime(2024, 1, 1, 10, 30), 3.0, "platform"),
    ]
    assert reasons(report) == ["row 2: value is empty"]
    assert report.bad_rows["file"].tolist() == ["seed[readings]"]
    naive = pd.DataFrame(
        {"meter_id": ["m1"], "ts": [pd.Timestamp("2024-01-01 10:00")], "value": [9]}
    )
    import_frames(db, readings=naive)
    assert readings(db)[0][2] == 9.0


@pytest.mark.parametrize("rows", [300_000])
def test_big_frame_reimport_does_not_double(db, rows):
    meters = pd.DataFrame(
        {
            "meter_id": ["m1", "m2"],
            "building_id": "b1",
            "account_id": "a1",
            "kind": "electricity",
            "unit": "kWh",
        }
    )
    ts = np.datetime64("2024-01-01", "us") + np.arange(rows // 2).astype("timedelta64[m]") * 15
    frame = pd.DataFrame(
        {"meter_id": np.repeat(["m1", "m2"], rows // 2), "ts": np.tile(ts, 2), "value": 1.0}
    )
    import_frames(db, meters=meters, readings=frame)
    report = import_frames(db, readings=frame.assign(value=2.0))
    assert report.rows_loaded == rows
    assert db.fetch_all("SELECT count(*), min(value), max(value) FROM readings") == [
        (rows, 2.0, 2.0)
    ]


def test_frame_with_odd_column_types(db, meters_csv):
    import_files(db, meters=meters_csv)
    frame = pd.DataFrame(
        {
            "meter_id": pd.Categorical(["m1", "m1"]),
            "ts": ["2024-01-01T10:00:00", "2024-01-01T10:15:00"],
            "value": ["1.5", "2"],
            "source": [1, 2],
        }
    )
    report = import_frames(db, readings=frame)
    assert reasons(report) == [
        "row 1: source '1' is not one of platform, raw",
        "row 2: source '2' is not one of platform, raw",
    ]
