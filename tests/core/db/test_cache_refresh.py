"""The app cache's refresh: full first, then incremental (readings by meter-day, tables by
changed rows), streamed in bounded batches, swapped in whole (PostgreSQL as the warehouse)."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from core.db import cache_sync, open_warehouse
from core.db.cache import CachedWarehouse, update
from core.db.duckdb import DuckDBTransaction

TODAY = datetime.now(UTC).replace(tzinfo=None).replace(hour=0, minute=0, second=0, microsecond=0)
DAYS = [TODAY - timedelta(days=d) for d in (3, 2, 1)]  # every reading is inside the window
HOURS = (0, 6, 12, 18)


def _now():
    return datetime.now(UTC).replace(tzinfo=None)


def _readings(meter, day, value):
    ts = [day + timedelta(hours=h) for h in HOURS]
    return pd.DataFrame({"meter_id": meter, "ts": ts, "value": value, "source": "platform"})


def _changed(db, meter, day, origin="import"):
    """What the sync or the import records with each change of a meter-day's readings."""
    db.insert_df(
        "reading_changes",
        pd.DataFrame(
            {
                "meter_id": [meter],
                "day": [day.date()],
                "origin": [origin],
                "rows_changed": [len(HOURS)],
                "changed_at": [_now()],
            }
        ),
    )


def _replace_day(db, meter, day, value, record=True):
    db.execute(
        "DELETE FROM readings WHERE meter_id = ? AND ts >= ? AND ts < ?",
        (meter, day, day + timedelta(days=1)),
    )
    if value is not None:
        db.insert_df("readings", _readings(meter, day, value))
    if record:
        _changed(db, meter, day)


def _issue(issue_id, status_at):
    return {
        "issue_id": issue_id, "kind": "meter", "detector": "offline", "account_id": "acc-a",
        "meter_id": "m1", "severity": "high", "first_seen_run": "r", "last_seen_run": "r",
        "status": "open", "status_by": "system", "status_at": status_at,
    }  # fmt: skip


@pytest.fixture
def remote(pg_url):
    db = open_warehouse(pg_url)
    for meter in ("m1", "m2"):
        for day in DAYS:
            db.insert_df("readings", _readings(meter, day, 1.0))
    old = _now() - timedelta(days=3)
    db.insert_df("dq_issues", pd.DataFrame([_issue("i1", old), _issue("i2", old)]))
    return db


@pytest.fixture
def path(tmp_path):
    return tmp_path / "cache.duckdb"


def _copy(path):
    return open_warehouse(f"duckdb:///{path}")


def _values(db, meter, day):
    return db.fetch_all(
        "SELECT value FROM readings WHERE meter_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
        (meter, day, day + timedelta(days=1)),
    )


def test_first_refresh_is_full_then_incremental(remote, path):
    first = update(remote, path)
    assert first.mode == "full" and first.rows["readings"] == 2 * 3 * len(HOURS)
    second = update(remote, path)
    assert second.mode == "incremental"
    # The warehouse records no reading changes: readings are copied whole, as before.
    assert second.rows["readings"] == 2 * 3 * len(HOURS) and "readings" in second.whole
    assert "dq_issues" not in second.whole and second.rows["dq_issues"] == 0  # nothing changed


def test_only_the_changed_meter_days_are_copied_again(remote, path):
    _changed(remote, "m2", DAYS[0])  # the warehouse records changes
    update(remote, path)
    _replace_day(remote, "m1", DAYS[1], 5.0)  # a re-import of one meter-day, recorded
    _replace_day(remote, "m2", DAYS[1], 9.0, record=False)  # not recorded: not seen
    report = update(remote, path)
    assert report.mode == "incremental" and report.rows["readings"] == len(HOURS)
    copy = _copy(path)
    assert _values(copy, "m1", DAYS[1]) == [(5.0,)] * len(HOURS)
    assert _values(copy, "m2", DAYS[1]) == [(1.0,)] * len(HOURS)
    assert _values(copy, "m1", DAYS[0]) == [(1.0,)] * len(HOURS)
    assert copy.fetch_value("SELECT count(*) FROM reading_changes") == 2


def test_removed_readings_leave_and_so_do_days_before_the_window(remote, path, monkeypatch):
    _changed(remote, "m2", DAYS[0])
    update(remote, path)
    _replace_day(remote, "m1", DAYS[2], None)  # removed (retention, a bad import undone)
    monkeypatch.setenv("DQ_CACHE_READINGS_DAYS", "2")  # the window moves past DAYS[0]
    report = update(remote, path)
    assert report.mode == "incremental"
    since = report.started - timedelta(days=2)
    copy = _copy(path)
    assert copy.fetch_all("SELECT meter_id, ts, value FROM readings ORDER BY 1, 2") == (
        remote.fetch_all(
            "SELECT meter_id, ts, value FROM readings WHERE ts >= ? ORDER BY 1, 2", (since,)
        )
    )
    assert _values(copy, "m1", DAYS[2]) == [] and _values(copy, "m2", DAYS[2])


def test_result_tables_get_their_changed_rows_and_small_ones_are_copied_whole(remote, path):
    update(remote, path)
    now = _now()
    remote.execute(
        "UPDATE dq_issues SET status = 'acknowledged', status_at = ? WHERE issue_id = 'i1'", (now,)
    )
    remote.execute("UPDATE dq_issues SET severity = 'low' WHERE issue_id = 'i2'")  # no stamp
    remote.execute(
        "INSERT INTO issue_events (issue_id, changed_at, changed_by, to_status) "
        "VALUES ('i1', ?, 'bob', 'acknowledged')",
        (now,),
    )
    remote.execute(
        "INSERT INTO meters (meter_id, building_id, account_id, kind, unit, timezone, "
        "dq_enabled, account_active, building_archived, interval_minutes) "
        "VALUES ('m3', 'b', 'acc-a', 'water', 'gal', 'UTC', true, true, false, 15)"
    )
    remote.execute(
        "INSERT INTO dq_comments (comment_id, thread_kind, thread_id, account_id, author, "
        "created_at, body) VALUES ('c1', 'issue', 'i1', 'acc-a', 'bob', ?, 'on site at 9')",
        (now,),
    )
    report = update(remote, path)
    assert report.rows["dq_issues"] == 1 and report.rows["issue_events"] == 1
    assert report.rows["dq_comments"] == 1 and "dq_comments" not in report.whole
    assert "dq_issues" not in report.whole and "meters" in report.whole
    copy = _copy(path)
    assert copy.fetch_all("SELECT issue_id, status, severity FROM dq_issues ORDER BY 1") == [
        ("i1", "acknowledged", "high"),
        ("i2", "open", "high"),  # an unstamped change waits for the next full copy
    ]
    assert copy.fetch_value("SELECT changed_by FROM issue_events") == "bob"
    assert copy.fetch_value("SELECT count(*) FROM meters") == 1


def test_a_table_that_lost_rows_is_copied_whole(remote, path):
    update(remote, path)
    remote.execute("DELETE FROM dq_issues WHERE issue_id = 'i2'")
    report = update(remote, path)
    assert "dq_issues" in report.whole
    assert _copy(path).fetch_all("SELECT issue_id FROM dq_issues") == [("i1",)]


def test_everything_is_copied_again_when_the_last_full_copy_is_old(remote, path, monkeypatch):
    update(remote, path)
    remote.execute("UPDATE dq_issues SET severity = 'low' WHERE issue_id = 'i2'")  # no stamp
    assert update(remote, path).mode == "incremental"
    monkeypatch.setenv("DQ_CACHE_FULL_REFRESH_HOURS", "0")
    assert update(remote, path).mode == "full"
    assert _copy(path).fetch_value("SELECT severity FROM dq_issues WHERE issue_id = 'i2'") == "low"


def test_a_schema_change_or_a_failed_increment_means_a_full_copy(remote, path, monkeypatch):
    update(remote, path)
    remote.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'later', ?)",
        (_now(),),
    )
    assert update(remote, path).mode == "full"

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cache_sync, "apply_delta", broken)
    report = update(remote, path)
    assert report.mode == "full" and report.rows["dq_issues"] == 2
    assert not path.with_name(path.name + ".new").exists()


def test_readers_see_the_old_copy_until_the_new_one_is_swapped_in(remote, path, monkeypatch):
    cached = CachedWarehouse(remote, path)
    remote.execute(
        "UPDATE dq_issues SET status = 'resolved', status_at = ? WHERE issue_id = 'i1'", (_now(),)
    )
    seen = []
    write_state = cache_sync.write_state

    def spy(ltx, *args):  # the new copy is complete but not yet in place
        seen.append(cached.fetch_value("SELECT status FROM dq_issues WHERE issue_id = 'i1'"))
        write_state(ltx, *args)

    monkeypatch.setattr(cache_sync, "write_state", spy)
    assert update(remote, path).mode == "incremental"
    assert seen == ["open"]
    assert cached.fetch_value("SELECT status FROM dq_issues WHERE issue_id = 'i1'") == "resolved"


def test_memory_is_bounded_by_the_batch_setting(remote, path, monkeypatch):
    monkeypatch.setenv("DQ_CACHE_BATCH_ROWS", "5")
    largest = []
    insert = DuckDBTransaction.insert_arrow

    def spy(self, table, batches):
        def watched():
            for batch in batches:
                largest.append(batch.num_rows)
                yield batch

        return insert(self, table, watched())

    monkeypatch.setattr(DuckDBTransaction, "insert_arrow", spy)
    report = update(remote, path)
    assert report.rows["readings"] == 24 and max(largest) == 5


def test_a_meter_day_changed_again_is_copied_again_and_its_log_is_not_recopied(
    remote, path, monkeypatch
):
    monkeypatch.setattr(cache_sync, "OVERLAP", timedelta(0))  # the first change is long seen
    _changed(remote, "m2", DAYS[0])
    update(remote, path)
    _replace_day(remote, "m1", DAYS[1], 5.0)
    update(remote, path)
    _replace_day(remote, "m1", DAYS[1], 6.0)  # the sync appends a second row for the day
    report = update(remote, path)
    assert report.rows["readings"] == len(HOURS) and "reading_changes" not in report.whole
    copy = _copy(path)
    assert _values(copy, "m1", DAYS[1]) == [(6.0,)] * len(HOURS)
    assert copy.fetch_value("SELECT count(*) FROM reading_changes") == 3


def test_consecutive_whole_days_are_read_as_one_range():
    from core.db.cache_sync import MANY_METERS, _pieces

    many = [f"m{i}" for i in range(MANY_METERS + 1)]
    d0, d1, d2, d3 = (day.date() for day in (*DAYS, TODAY))
    since = DAYS[0] + timedelta(hours=6)
    assert _pieces([(d0, many), (d1, many), (d2, ["m1"]), (d3, many)], since) == [
        (since, DAYS[2], []),  # the first two days, from where the window starts
        (DAYS[2], TODAY, ["m1"]),
        (TODAY, TODAY + timedelta(days=1), []),
    ]


def test_a_reimport_reaches_the_copy_through_the_changes_the_importer_records(pg_url, path):
    from core.ingest import import_frames

    db = open_warehouse(pg_url)
    meters = pd.DataFrame(
        {"meter_id": ["m1", "m2"], "building_id": "b1", "account_id": "acc-a",
         "kind": "electricity", "unit": "kWh"}
    )  # fmt: skip
    days = [_readings(m, day, 1.0) for m in ("m1", "m2") for day in DAYS]
    import_frames(db, meters=meters, readings=pd.concat(days))
    assert update(db, path).mode == "full"
    import_frames(db, readings=_readings("m2", DAYS[2], 7.0))  # a corrected day, re-imported
    report = update(db, path)
    assert report.mode == "incremental" and report.rows["readings"] == len(HOURS)
    assert _values(_copy(path), "m2", DAYS[2]) == [(7.0,)] * len(HOURS)
