import pandas as pd

from core import runs, triage
from core.auth import User
from core.dq import store

ALICE = User("alice", "Alice", "staff", None)

METERS = pd.DataFrame(
    {"meter_id": ["m1", "m2"], "account_id": ["a", "a"], "building_id": ["b", "b"]}
)


def _events(**over):
    row = {
        "meter_id": "m1",
        "detector": "offline",
        "source": "platform",
        "start_ts": pd.Timestamp("2026-01-02 10:00"),
        "end_ts": pd.Timestamp("2026-01-03 00:00"),
        "slots": 56,
        "hours": 14.0,
        "magnitude": 14.0,
        "severity": "medium",
        "clipped_start": False,
        "status": "open",
        "status_note": None,
    }
    row.update(over)
    return pd.DataFrame([row])


def _store(db, events):
    run = runs.Run("dq", {})
    runs.start(db, run)
    with db.transaction() as tx:
        events = store.continue_clipped(tx, events)
        store.upsert_issues(tx, events, METERS, run)
        runs.finish(tx, run)
    return run


def test_issue_id_is_stable_and_distinguishes_inputs():
    t, k = pd.Timestamp("2026-01-02 10:00"), b"key"
    assert store.issue_id("m1", "offline", "platform", t, k) == store.issue_id(
        "m1", "offline", "platform", t.to_pydatetime(), k
    )
    assert store.issue_id("m1", "offline", "platform", t, k) != store.issue_id(
        "m1", "offline", "raw", t, k
    )
    assert store.issue_id("m1", "offline", "platform", t, k) != store.issue_id(
        "m2", "offline", "platform", t, k
    )


def test_rerun_updates_in_place_and_keeps_first_seen(any_db):
    first = _store(any_db, _events())
    second = _store(any_db, _events(magnitude=20.0))
    rows = any_db.fetch_df("SELECT * FROM dq_issues")
    assert len(rows) == 1
    assert rows.first_seen_run[0] == first.run_id
    assert rows.last_seen_run[0] == second.run_id
    assert rows.magnitude[0] == 20.0
    assert rows.account_id[0] == "a" and rows.status_by[0] == "system"


def test_system_status_is_stable_across_identical_reruns(any_db):
    _store(any_db, _events())
    before = any_db.fetch_df("SELECT status, status_at FROM dq_issues")
    _store(any_db, _events())
    after = any_db.fetch_df("SELECT status, status_at FROM dq_issues")
    pd.testing.assert_frame_equal(before, after)


def test_person_status_is_never_overwritten(any_db):
    _store(any_db, _events())
    issue = any_db.fetch_value("SELECT issue_id FROM dq_issues")
    triage.set_status(any_db, ALICE, issue, "acknowledged", note="calling the site")
    _store(any_db, _events(status="not_an_issue", status_note="system says so"))
    row = any_db.fetch_df("SELECT status, status_by, status_note FROM dq_issues").iloc[0]
    assert (row.status, row.status_by, row.status_note) == (
        "acknowledged",
        "alice",
        "calling the site",
    )


def test_clipped_event_continues_the_stored_issue(any_db):
    _store(any_db, _events())
    later = _events(
        start_ts=pd.Timestamp("2026-01-02 12:00"),
        end_ts=pd.Timestamp("2026-01-04 00:00"),
        clipped_start=True,
    )
    _store(any_db, later)
    rows = any_db.fetch_df("SELECT start_ts, end_ts FROM dq_issues")
    assert len(rows) == 1
    assert rows.start_ts[0] == pd.Timestamp("2026-01-02 10:00")
    assert rows.end_ts[0] == pd.Timestamp("2026-01-04 00:00")


def test_unclipped_event_with_another_start_is_a_new_issue(any_db):
    _store(any_db, _events())
    _store(any_db, _events(start_ts=pd.Timestamp("2026-01-02 12:00")))
    assert any_db.fetch_value("SELECT count(*) FROM dq_issues") == 2
