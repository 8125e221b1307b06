import pandas as pd
import pytest

from core import triage


@pytest.fixture
def issue(fresh_db):
    fresh_db.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, meter_id, severity, first_seen_run, "
        "last_seen_run, status, status_by, status_at) VALUES "
        "('i1', 'meter', 'offline', 'm1', 'high', 'r', 'r', 'open', 'system', ?)",
        (pd.Timestamp("2026-01-01"),),
    )
    return "i1"


def test_status_change_is_audited(fresh_db, issue):
    at = triage.set_status(fresh_db, issue, "resolved", by="bob", note="meter replaced")
    row = fresh_db.fetch_df("SELECT status, status_by, status_at, status_note FROM dq_issues").iloc[
        0
    ]
    assert (row.status, row.status_by, row.status_note) == ("resolved", "bob", "meter replaced")
    assert row.status_at == at
    events = fresh_db.fetch_all(
        "SELECT issue_id, changed_by, from_status, to_status, note FROM issue_events"
    )
    assert events == [("i1", "bob", "open", "resolved", "meter replaced")]


def test_unknown_status_lists_accepted_values(fresh_db, issue):
    with pytest.raises(triage.TriageError, match="expected open, acknowledged"):
        triage.set_status(fresh_db, issue, "done", by="bob")


def test_stale_edit_is_refused(fresh_db, issue):
    loaded_at = pd.Timestamp("2026-01-01").to_pydatetime()
    triage.set_status(fresh_db, issue, "acknowledged", by="alice", expected_status_at=loaded_at)
    with pytest.raises(triage.TriageError, match="changed at .* after you loaded it"):
        triage.set_status(fresh_db, issue, "ignored", by="bob", expected_status_at=loaded_at)
    assert fresh_db.fetch_value("SELECT status FROM dq_issues") == "acknowledged"
    assert fresh_db.fetch_value("SELECT count(*) FROM issue_events") == 1


def test_unknown_issue_and_anonymous_user_are_refused(fresh_db, issue):
    with pytest.raises(triage.TriageError, match="does not exist"):
        triage.set_status(fresh_db, "nope", "resolved", by="bob")
    with pytest.raises(triage.TriageError, match="name of the person"):
        triage.set_status(fresh_db, issue, "resolved", by="system")
