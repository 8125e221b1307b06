"""A rerun that no longer finds an issue must not resolve one a person changed meanwhile.

The job picks the stale issues, then writes. A person's edit can land between the two: the
resolve takes the ``dq_issues`` lock before reading and re-checks "still open and set by the
system" in the UPDATE itself, and logs only the rows it changed (docs/decisions.md).
"""

import threading
import time

import pandas as pd
import pytest

from core import runs, triage
from core.auth import User
from core.dq import job, store

ALICE = User("alice", "Alice", "staff", None)
METERS = pd.DataFrame({"meter_id": ["m1", "m2", "m3"], "account_id": "a", "building_id": "b"})
DAY = (pd.Timestamp("2026-01-02"), pd.Timestamp("2026-01-03"))


def _event(meter_id):
    return {
        "meter_id": meter_id, "detector": "offline", "source": "platform",
        "start_ts": pd.Timestamp("2026-01-02 10:00"), "end_ts": pd.Timestamp("2026-01-03 00:00"),
        "slots": 56, "hours": 14.0, "magnitude": 14.0, "severity": "medium",
        "clipped_start": False, "status": "open", "status_note": None,
    }  # fmt: skip


def _stored(db):
    """Three open system issues (m1, m2, m3) on DAY; returns the ids by meter."""
    run = runs.Run("dq", {})
    runs.start(db, run)
    with db.transaction() as tx:
        store.upsert_issues(tx, pd.DataFrame([_event(m) for m in METERS.meter_id]), METERS, run)
        runs.finish(tx, run)
    rows = db.fetch_all("SELECT meter_id, issue_id FROM dq_issues")
    return dict(rows)


def _rows(db):
    df = db.fetch_df("SELECT meter_id, status, status_by, status_note FROM dq_issues")
    return {r.meter_id: (r.status, r.status_by, r.status_note) for r in df.itertuples()}


def _events(db):
    return sorted(
        db.fetch_all("SELECT issue_id, changed_by, from_status, to_status FROM issue_events")
    )


@pytest.mark.parametrize("status", ["acknowledged", "ignored", "resolved", "open"])
def test_resolve_keeps_a_status_a_person_set_after_the_ids_were_picked(any_db, status):
    """The job's pick is older than the row: the UPDATE re-checks, the person's edit stays."""
    ids = _stored(any_db)
    rerun = runs.Run("dq", {})
    with any_db.transaction() as tx:  # the rerun's read: every issue looks stale
        picked = sorted(tx.fetch_df("SELECT issue_id FROM dq_issues").issue_id)
    triage.set_status(any_db, ALICE, ids["m1"], status, note="site says it is fine")
    with any_db.transaction() as tx:  # the rerun's write
        resolved = store.resolve(tx, picked, rerun)
    assert resolved == 2
    note = f"no longer detected by run {rerun.run_id}"
    assert _rows(any_db) == {
        "m1": (status, "alice", "site says it is fine"),
        "m2": ("resolved", "system", note),
        "m3": ("resolved", "system", note),
    }
    assert _events(any_db) == sorted([
        (ids["m1"], "alice", "open", status),
        (ids["m2"], "system", "open", "resolved"),
        (ids["m3"], "system", "open", "resolved"),
    ])  # fmt: skip


def test_resolve_of_nothing_still_open_logs_nothing(any_db):
    ids = _stored(any_db)
    for meter in ("m1", "m2", "m3"):
        triage.set_status(any_db, ALICE, ids[meter], "acknowledged")
    with any_db.transaction() as tx:
        assert store.resolve(tx, sorted(ids.values()), runs.Run("dq", {})) == 0
    assert {r[0] for r in _rows(any_db).values()} == {"acknowledged"}
    assert {e[1] for e in _events(any_db)} == {"alice"}


def test_resolve_missing_skips_seen_and_other_meters(any_db):
    ids = _stored(any_db)
    seen = pd.DataFrame({"issue_id": [ids["m2"]]})
    with any_db.transaction() as tx:
        n = store.resolve_missing(tx, DAY, ["m1", "m2"], seen, runs.Run("dq", {}))
    assert n == 1
    assert {m: r[0] for m, r in _rows(any_db).items()} == {
        "m1": "resolved",
        "m2": "open",
        "m3": "open",
    }


# ---- the whole job, a person's edit racing it on PostgreSQL ------------------------------


def _waiting_on_a_lock(db):
    return db.fetch_value(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    )


def _finding_nothing(monkeypatch):
    """The rerun's detectors find nothing (the data was fixed): every open issue looks stale."""
    original = job._detect
    monkeypatch.setattr(job, "_detect", lambda *args, **kw: original(*args, **kw).iloc[0:0])


def _open_issue_of_the_day(db, day):
    start = pd.Timestamp(day)
    return db.fetch_value(
        "SELECT issue_id FROM dq_issues WHERE status = 'open' AND status_by = 'system' "
        "AND start_ts < ? AND end_ts > ? ORDER BY issue_id LIMIT 1",
        (start + pd.Timedelta(days=1), start),
    )


def _in_thread(fn, *args):
    out: dict = {}

    def target():
        try:
            out["value"] = fn(*args)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            out["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    return t, out


@pytest.mark.parametrize("any_url", ["postgres"], indirect=True)
def test_rerun_finding_nothing_keeps_an_edit_committed_after_its_read(fleet_db, monkeypatch):
    """A person's edit is in flight when the rerun starts; it commits after the rerun would
    have read the stale issues and before it writes. The rerun must wait for it and keep it."""
    db, day = fleet_db
    job.run(db, day)
    issue = _open_issue_of_the_day(db, day)
    assert issue is not None
    original_check = triage._check
    read, go = threading.Event(), threading.Event()

    def check_then_hold(tx, user, change):
        out = original_check(tx, user, change)
        read.set()  # the person's transaction has read the issue and holds its lock
        assert go.wait(60)
        return out

    monkeypatch.setattr(triage, "_check", check_then_hold)
    person, person_out = _in_thread(
        triage.set_status, db, ALICE, issue, "acknowledged", "battery swapped, watching it"
    )
    assert read.wait(60)
    _finding_nothing(monkeypatch)
    rerun, rerun_out = _in_thread(job.run, db, day)
    deadline = time.monotonic() + 120
    while not _waiting_on_a_lock(db):  # the rerun is now blocked behind the person
        assert rerun.is_alive(), rerun_out
        assert time.monotonic() < deadline
        time.sleep(0.05)
    go.set()
    person.join(60)
    rerun.join(120)
    assert "error" not in person_out and "error" not in rerun_out, (person_out, rerun_out)
    assert rerun_out["value"].status == "ok"
    assert db.fetch_all(
        "SELECT status, status_by, status_note FROM dq_issues WHERE issue_id = ?", (issue,)
    ) == [("acknowledged", "alice", "battery swapped, watching it")]
    assert db.fetch_all(
        "SELECT changed_by, from_status, to_status FROM issue_events WHERE issue_id = ?", (issue,)
    ) == [("alice", "open", "acknowledged")]
    # The rerun did resolve the other issues it no longer found.
    assert (
        db.fetch_value(
            "SELECT count(*) FROM issue_events WHERE changed_by = 'system' AND to_status = 'resolved'"
        )
        > 0
    )


@pytest.mark.parametrize("any_url", ["postgres"], indirect=True)
def test_edit_started_after_the_reruns_read_waits_and_is_refused_clearly(fleet_db, monkeypatch):
    """The same gap the upsert test uses: the person's edit starts right after the rerun read the
    stale issues. It must wait for the rerun (lock) and then be refused as a move from
    ``resolved``, never land in between and be overwritten."""
    db, day = fleet_db
    job.run(db, day)
    issue = _open_issue_of_the_day(db, day)
    _finding_nothing(monkeypatch)
    original = store._in_batches
    editor: list = []

    def read_then_let_a_person_edit(tx, sql, ids, prefix=None):
        rows = original(tx, sql, ids, prefix)
        if "status_by = ?" in sql and not editor:  # the rerun just read the stale issues
            editor.append(_in_thread(triage.set_status, db, ALICE, issue, "acknowledged", "mine"))
            editor[0][0].join(timeout=1.0)  # without the lock the edit commits here
        return rows

    monkeypatch.setattr(store, "_in_batches", read_then_let_a_person_edit)
    summary = job.run(db, day)
    assert summary.status == "ok"
    thread, out = editor[0]
    thread.join(30)
    assert isinstance(out.get("error"), triage.TriageError), out
    assert "cannot go from resolved to acknowledged" in str(out["error"])
    assert db.fetch_all(
        "SELECT status, status_by, status_note FROM dq_issues WHERE issue_id = ?", (issue,)
    ) == [("resolved", "system", f"no longer detected by run {summary.run_id}")]
    assert db.fetch_all(
        "SELECT changed_by, from_status, to_status FROM issue_events WHERE issue_id = ?", (issue,)
    ) == [("system", "open", "resolved")]
