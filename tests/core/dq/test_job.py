import pandas as pd
import pytest

from core import triage
from core.auth import User
from core.db import connect
from core.detectors import REGISTRY
from core.dq import job

ALICE = User("alice", "Alice", "staff", None)


def _snapshot(db):
    return db.fetch_df(
        "SELECT issue_id, detector, meter_id, source, start_ts, end_ts, severity, magnitude, status "
        "FROM dq_issues ORDER BY issue_id"
    )


def test_scored_run_is_ok_and_writes_all_three_tables(scored_demo):
    url, day, summary = scored_demo
    db = connect(url)
    assert summary.status == "ok" and summary.units_failed == 0
    run = db.fetch_df("SELECT * FROM dq_runs WHERE run_id = ?", (summary.run_id,)).iloc[0]
    assert run.status == "ok" and run.units_total == summary.units_total > 200
    assert run.issues_found == summary.issues_found > 0
    days = db.fetch_df("SELECT * FROM dq_meter_days")
    assert set(days.day.astype(str)) == {str(day)}
    assert days.score.between(0, 1).all()
    assert len(days[days.source == "platform"]) == summary.units_total


def test_rerun_is_idempotent_and_keeps_people_statuses(demo_warehouse_file):
    url, day = demo_warehouse_file
    db = connect(url)
    before = _snapshot(db)
    days_before = db.fetch_value("SELECT count(*) FROM dq_meter_days")
    picked = before.issue_id[before.status == "open"].iloc[0]  # ids are keyed: any order
    triage.set_status(db, ALICE, picked, "ignored", note="known construction work")
    job.run(db, day)
    after = _snapshot(db)
    assert after.issue_id.is_unique
    assert list(after.issue_id) == list(before.issue_id)
    assert after.set_index("issue_id").loc[picked, "status"] == "ignored"
    unchanged = after[after.issue_id != picked].reset_index(drop=True)
    expected = before[before.issue_id != picked].reset_index(drop=True)
    pd.testing.assert_frame_equal(unchanged, expected)
    assert db.fetch_value("SELECT count(*) FROM dq_meter_days") == days_before


def test_one_bad_meter_is_recorded_and_the_rest_stored(demo_warehouse_file, monkeypatch):
    url, day = demo_warehouse_file
    db = connect(url)
    victim = db.fetch_value("SELECT min(meter_id) FROM dq_meter_days")
    module = REGISTRY["spike_positive"]
    real = module.detect

    def breaks_on_victim(grid, params):
        if victim in set(grid.meter_ids):
            raise ValueError("corrupt register")
        return real(grid, params)

    monkeypatch.setattr(module, "detect", breaks_on_victim)
    summary = job.run(db, day)
    assert summary.status == "partial"
    assert summary.units_failed == 1
    assert summary.failures[0][0] == victim
    assert (
        "spike_positive" in summary.failures[0][1] and "corrupt register" in summary.failures[0][1]
    )
    run = db.fetch_df(
        "SELECT status, units_failed, error FROM dq_runs WHERE run_id = ?", (summary.run_id,)
    )
    assert run.status[0] == "partial" and run.units_failed[0] == 1 and victim in run.error[0]
    scored = db.fetch_df(
        "SELECT DISTINCT meter_id FROM dq_meter_days WHERE run_id = ?", (summary.run_id,)
    )
    assert victim not in set(scored.meter_id)
    assert len(scored) == summary.units_total - 1


def test_unknown_timezone_fails_only_that_meter(demo_warehouse_file):
    url, day = demo_warehouse_file
    db = connect(url)
    victim = db.fetch_value("SELECT min(meter_id) FROM dq_meter_days")
    db.execute("UPDATE meters SET timezone = 'Mars/Olympus' WHERE meter_id = ?", (victim,))
    summary = job.run(db, day)
    assert summary.status == "partial"
    assert summary.failures == [(victim, "unknown timezone 'Mars/Olympus'")]


def test_infinite_reading_fails_only_that_meter(demo_warehouse_file):
    url, day = demo_warehouse_file
    db = connect(url)
    victim = db.fetch_value("SELECT min(meter_id) FROM dq_meter_days")
    db.execute(
        "UPDATE readings SET value = 'inf'::DOUBLE WHERE meter_id = ? AND ts = ?",
        (victim, pd.Timestamp(day) + pd.Timedelta(hours=3)),
    )
    summary = job.run(db, day)
    assert [u for u, _ in summary.failures] == [victim]
    assert "non-finite" in summary.failures[0][1]


def test_job_failure_marks_the_run_failed(any_db, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("source down")

    monkeypatch.setattr("core.sources.embedded.EmbeddedSource.eligible_meters", boom)
    with pytest.raises(RuntimeError):
        job.run(any_db, pd.Timestamp("2026-01-01").date())
    row = any_db.fetch_all("SELECT status, error FROM dq_runs")
    assert row == [("failed", "RuntimeError: source down")]


def test_empty_warehouse_runs_ok(any_db):
    summary = job.run(any_db, pd.Timestamp("2026-01-01").date())
    assert (summary.status, summary.units_total, summary.issues_found) == ("ok", 0, 0)


def test_rerun_after_a_data_fix_resolves_the_stale_issue(demo_warehouse_file):
    url, day = demo_warehouse_file
    db = connect(url)
    neg = db.fetch_df(
        "SELECT issue_id, meter_id, start_ts, end_ts FROM dq_issues "
        "WHERE detector = 'negative_value' AND status = 'open' LIMIT 1"
    ).iloc[0]
    db.execute(  # the fix: the negative readings are re-imported as their absolute values
        "UPDATE readings SET value = abs(value) WHERE meter_id = ? AND ts >= ? AND ts < ?",
        (neg.meter_id, neg.start_ts, neg.end_ts),
    )
    summary = job.run(db, day)
    row = db.fetch_df(
        "SELECT status, status_by, status_note FROM dq_issues WHERE issue_id = ?", (neg.issue_id,)
    ).iloc[0]
    assert (row.status, row.status_by) == ("resolved", "system")
    assert summary.run_id in row.status_note
    events = db.fetch_all(
        "SELECT changed_by, from_status, to_status FROM issue_events WHERE issue_id = ?",
        (neg.issue_id,),
    )
    assert events == [("system", "open", "resolved")]
    still_open = db.fetch_value(
        "SELECT count(*) FROM dq_issues WHERE status = 'open' AND detector = 'negative_value'"
    )
    assert still_open >= 9  # the other meters' findings are untouched


def test_failed_meter_keeps_its_stored_results(demo_warehouse_file):
    url, day = demo_warehouse_file
    db = connect(url)
    victim = db.fetch_value(
        "SELECT meter_id FROM dq_issues WHERE status = 'open' ORDER BY meter_id LIMIT 1"
    )
    before = db.fetch_df("SELECT * FROM dq_meter_days WHERE meter_id = ?", (victim,))
    issues_before = db.fetch_df(
        "SELECT issue_id, status FROM dq_issues WHERE meter_id = ?", (victim,)
    )
    db.execute("UPDATE meters SET timezone = 'Nowhere/Land' WHERE meter_id = ?", (victim,))
    assert job.run(db, day).status == "partial"
    pd.testing.assert_frame_equal(
        db.fetch_df("SELECT * FROM dq_meter_days WHERE meter_id = ?", (victim,)), before
    )
    pd.testing.assert_frame_equal(
        db.fetch_df("SELECT issue_id, status FROM dq_issues WHERE meter_id = ?", (victim,)),
        issues_before,
    )


def test_rerun_gives_the_same_rows_on_every_backend(fleet_db):
    db, day = fleet_db
    cols = (
        "issue_id, detector, source, start_ts, end_ts, severity, magnitude, status, "
        "status_by, status_at, first_seen_run"
    )
    job.run(db, day)
    issues = db.fetch_df(f"SELECT {cols} FROM dq_issues ORDER BY issue_id")
    days = db.fetch_df("SELECT * FROM dq_meter_days ORDER BY meter_id, day, source")
    assert len(issues) > 0
    again = job.run(db, day)
    assert again.status == "ok"
    pd.testing.assert_frame_equal(
        db.fetch_df(f"SELECT {cols} FROM dq_issues ORDER BY issue_id"), issues
    )
    after = db.fetch_df("SELECT * FROM dq_meter_days ORDER BY meter_id, day, source")
    pd.testing.assert_frame_equal(after.drop(columns="run_id"), days.drop(columns="run_id"))
