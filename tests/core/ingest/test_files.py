import gzip

import pandas as pd
import pytest

from core.errors import ImportFileError
from core.ingest import import_files, import_frames


def counts(db):
    return [db.fetch_value(f"SELECT count(*) FROM {t}") for t in ("meters", "readings", "bills")]


def test_missing_column_fails_before_anything_is_written(db, meters_csv, write_csv):
    readings = write_csv("readings.csv", "meter_id,ts\nm1,2024-01-01T10:00:00")
    with pytest.raises(ImportFileError) as err:
        import_files(db, meters=meters_csv, readings=readings)
    message = str(err.value)
    assert str(readings) in message and "missing required column(s) value" in message
    assert "needs columns meter_id, ts, value" in message
    assert err.value.file == str(readings)
    assert counts(db) == [0, 0, 0]


def test_headers_are_checked_case_insensitively_and_extra_columns_ignored(db, write_csv):
    meters = write_csv(
        "m.csv", "Meter_ID, building_id ,account_id,kind,unit,notes\nm1,b1,a1,water,gal,x"
    )
    report = import_files(db, meters=meters)
    assert report.file("meters").ignored_columns == ["notes"]
    assert counts(db) == [1, 0, 0]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.csv", None, "file not found"),
        ("readings.txt", b"meter_id,ts,value\n", "unknown file type"),
        ("empty.csv", b"", "file is empty"),
        ("broken.parquet", b"not parquet at all", "cannot read the readings data"),
        ("broken.csv.gz", b"not gzip", "cannot read the CSV header"),
        ("semicolons.csv", b"meter_id;ts;value\nm1;2024-01-01;1\n", "must be comma-separated"),
    ],
)
def test_unreadable_files_raise_import_file_error(
    db, meters_csv, tmp_path, name, content, expected
):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportFileError, match=expected) as err:
        import_files(db, meters=meters_csv, readings=path)
    assert str(path) in str(err.value)
    assert counts(db) == [0, 0, 0]


def test_corrupt_parquet_pages_fail_the_import_and_write_nothing(db, meters_csv, tmp_path):
    # The schema (footer) reads fine; the rows do not. Readings Parquet is read lazily, so the
    # error comes from the first full read, and must still name the file.
    path = tmp_path / "r.parquet"
    ts = pd.date_range("2024-01-01", periods=50_000, freq="15min")
    pd.DataFrame({"meter_id": "m1", "ts": ts, "value": 1.0}).to_parquet(path, row_group_size=5000)
    data = bytearray(path.read_bytes())
    data[4 : len(data) // 2] = bytes(len(data) // 2 - 4)
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError, match="cannot read the readings data") as err:
        import_files(db, meters=meters_csv, readings=path)
    assert str(path) in str(err.value)
    assert counts(db) == [0, 0, 0]


def test_missing_column_in_a_frame(db):
    with pytest.raises(
        ImportFileError, match=r"seed\[readings\]: missing required column\(s\) value"
    ):
        import_frames(
            db, readings=pd.DataFrame({"meter_id": ["m1"], "ts": ["2024-01-01"]}), label="seed"
        )


def test_line_numbers_account_for_rejected_lines(db, meters_csv, tmp_path):
    path = tmp_path / "r.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(
            "meter_id,ts,value\n"
            "m1,2024-01-01T10:00:00,1\n"
            "m1,2024-01-01T10:15:00,2,extra\n"
            "m1,2024-01-01T10:30:00\n"
            "m1,2024-01-01T10:45:00,x\n"
        )
    report = import_files(db, meters=meters_csv, readings=path)
    assert list(report.bad_rows["line"]) == [3, 4, 5]
    assert report.bad_rows["reason"].iloc[2] == "line 5: value 'x' is not a finite number"
    assert report.file("readings").rows_read == 4


def test_blank_lines_are_noted(db, meters_csv, write_csv, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("meter_id,ts,value\n\nm1,2024-01-01T10:00:00,1\n")
    report = import_files(db, meters=meters_csv, readings=path)
    assert report.file("readings").rows_loaded == 1
    assert "line numbers after them may be too small" in report.summary()


def test_failed_write_rolls_everything_back(db, meters_csv, write_csv, monkeypatch):
    readings = write_csv("r.csv", "meter_id,ts,value\nm1,2024-01-01T10:00:00,1")
    from core.ingest import write

    def broken(tx, item):
        if item.table == "readings":
            raise RuntimeError("disk full")
        return original(tx, item)

    original = write.replace
    monkeypatch.setattr(write, "replace", broken)
    with pytest.raises(RuntimeError):
        import_files(db, meters=meters_csv, readings=readings)
    assert counts(db) == [0, 0, 0]
