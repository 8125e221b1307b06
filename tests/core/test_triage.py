import pandas as pd
import pytest

from core import triage
from core.auth import User

LOADED_AT = pd.Timestamp("2026-01-01").to_pydatetime()
ALICE = User("alice", "Alice", "staff", None)
BOB = User("bob", "Bob", "staff", None)
STAFF_A = User("sam", "Sam", "staff", frozenset({"acc-a"}))
BSE = User("bea", "Bea", "bse", None)


@pytest.fixture
def db(any_db):
    for issue, account in (("i1", "acc-a"), ("i2", "acc-b")):
        any_db.execute(
            "INSERT INTO dq_issues (issue_id, kind, detector, account_id, meter_id, severity, "
            "first_seen_run, last_seen_run, status, status_by, status_at) VALUES "
            "(?, 'meter', 'offline', ?, 'm1', 'high', 'r', 'r', 'open', 'system', ?)",
            (issue, account, LOADED_AT),
        )
    return any_db


def _events(db):
    return db.fetch_all("SELECT issue_id, changed_by, from_status, to_status, note FROM issue_events")


def test_status_change_is_audited(db):
    at = triage.set_status(db, BOB, "i1", "resolved", note="meter replaced")
    row = db.fetch_df("SELECT status, status_by, status_at, status_note FROM dq_issues WHERE issue_id = 'i1'").iloc[0]
    assert (row.status, row.status_by, row.status_note) == ("resolved", "bob", "meter replaced")
    assert row.status_at == at
    assert _events(db) == [("i1", "bob", "open", "resolved", "meter replaced")]


def test_unknown_status_lists_accepted_values(db):
    with pytest.raises(triage.TriageError, match="expected open, acknowledged"):
        triage.set_status(db, BOB, "i1", "done")


def test_closed_issue_can_only_be_reopened(db):
    triage.set_status(db, BOB, "i1", "ignored")
    with pytest.raises(triage.TriageError, match="cannot go from ignored to resolved; allowed: open"):
        triage.set_status(db, BOB, "i1", "resolved")
    triage.set_status(db, BOB, "i1", "open", note="back again")
    assert db.fetch_value("SELECT status FROM dq_issues WHERE issue_id = 'i1'") == "open"


def test_stale_edit_is_refused(db):
    triage.set_status(db, ALICE, "i1", "acknowledged", expected_status_at=LOADED_AT)
    with pytest.raises(triage.TriageError, match="changed at .* after you loaded it"):
        triage.set_status(db, BOB, "i1", "ignored", expected_status_at=LOADED_AT)
    assert db.fetch_value("SELECT status_by FROM dq_issues WHERE issue_id = 'i1'") == "alice"
    assert len(_events(db)) == 1


def test_scoped_user_cannot_change_other_accounts_issue(db):
    with pytest.raises(triage.TriageError, match="Issue i2 does not exist"):
        triage.set_status(db, STAFF_A, "i2", "resolved")
    assert db.fetch_value("SELECT status FROM dq_issues WHERE issue_id = 'i2'") == "open"
    triage.set_status(db, STAFF_A, "i1", "resolved")
    assert _events(db) == [("i1", "sam", "open", "resolved", None)]


def test_read_only_role_is_refused(db):
    with pytest.raises(triage.TriageError, match="role 'bse' cannot change issues"):
        triage.set_status(db, BSE, "i1", "resolved")


def test_unknown_issue_is_refused(db):
    with pytest.raises(triage.TriageError, match="does not exist"):
        triage.set_status(db, BOB, "nope", "resolved")


def test_bulk_applies_each_change_and_reports_refusals(db):
    result = triage.apply(db, STAFF_A, [
        triage.Change("i1", "acknowledged", note="on it", owner="sam", next_step="call site"),
        triage.Change("i2", "acknowledged"),
    ])
    assert result.saved == ["i1"]
    assert result.refused == [("i2", "Issue i2 does not exist")]
    row = db.fetch_df("SELECT status, owner, next_step FROM dq_issues WHERE issue_id = 'i1'").iloc[0]
    assert (row.status, row.owner, row.next_step) == ("acknowledged", "sam", "call site")


def test_follow_up_fields_are_kept_when_not_given(db):
    triage.apply(db, ALICE, [triage.Change("i1", "acknowledged", owner="alice", next_step="visit")])
    triage.set_status(db, ALICE, "i1", "resolved", note="fixed")
    row = db.fetch_df("SELECT owner, next_step FROM dq_issues WHERE issue_id = 'i1'").iloc[0]
    assert (row.owner, row.next_step) == ("alice", "visit")
