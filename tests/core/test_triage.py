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
    return db.fetch_all(
        "SELECT issue_id, changed_by, from_status, to_status, note FROM issue_events"
    )


def test_status_change_is_audited(db):
    at = triage.set_status(db, BOB, "i1", "resolved", note="meter replaced")
    row = db.fetch_df(
        "SELECT status, status_by, status_at, status_note FROM dq_issues WHERE issue_id = 'i1'"
    ).iloc[0]
    assert (row.status, row.status_by, row.status_note) == ("resolved", "bob", "meter replaced")
    assert row.status_at == at
    assert _events(db) == [("i1", "bob", "open", "resolved", "meter replaced")]


def test_unknown_status_lists_accepted_values(db):
    with pytest.raises(triage.TriageError, match="expected open, acknowledged"):
        triage.set_status(db, BOB, "i1", "done")


def test_closed_issue_can_only_be_reopened(db):
    triage.set_status(db, BOB, "i1", "ignored")
    with pytest.raises(
        triage.TriageError, match="cannot go from ignored to resolved; allowed: open"
    ):
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
    result = triage.apply(
        db,
        STAFF_A,
        [
            triage.Change("i1", "acknowledged", note="on it", owner="sam", next_step="call site"),
            triage.Change("i2", "acknowledged"),
        ],
    )
    assert result.saved == ["i1"]
    assert result.refused == [("i2", "Issue i2 does not exist")]
    row = db.fetch_df("SELECT status, owner, next_step FROM dq_issues WHERE issue_id = 'i1'").iloc[
        0
    ]
    assert (row.status, row.owner, row.next_step) == ("acknowledged", "sam", "call site")


def test_follow_up_fields_are_kept_when_not_given(db):
    triage.apply(db, ALICE, [triage.Change("i1", "acknowledged", owner="alice", next_step="visit")])
    triage.set_status(db, ALICE, "i1", "resolved", note="fixed")
    row = db.fetch_df("SELECT owner, next_step FROM dq_issues WHERE issue_id = 'i1'").iloc[0]
    assert (row.owner, row.next_step) == ("alice", "visit")


def _add_issue(db, issue):
    db.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, meter_id, severity, "
        "first_seen_run, last_seen_run, status, status_by, status_at) VALUES "
        "(?, 'meter', 'offline', 'acc-a', 'm1', 'high', 'r', 'r', 'open', 'system', ?)",
        (issue, LOADED_AT),
    )


@pytest.mark.parametrize(
    ("field", "label"), [("owner", "owner"), ("next_step", "next step"), ("note", "note")]
)
def test_an_over_long_field_is_refused_and_the_rest_of_the_batch_lands(db, field, label):
    _add_issue(db, "i3")
    limit = triage.MAX_CHARS[field]
    before = db.fetch_df("SELECT * FROM dq_issues WHERE issue_id = 'i2'")
    result = triage.apply(db, ALICE, [
        triage.Change("i1", "acknowledged", note="on it", owner="sam"),
        triage.Change("i2", "acknowledged", **{field: "x" * (limit + 1)}),
        triage.Change("i3", "ignored", note="duplicate meter", next_step="archive it"),
    ])  # fmt: skip
    assert result.saved == ["i1", "i3"]
    assert result.refused == [
        ("i2", f"Issue i2: the {label} is {limit + 1:,} characters long; the limit is "
               f"{limit:,}. Shorten it and save again.")
    ]  # fmt: skip
    pd.testing.assert_frame_equal(
        db.fetch_df("SELECT * FROM dq_issues WHERE issue_id = 'i2'"), before
    )
    assert [e[0] for e in _events(db)] == ["i1", "i3"]  # nothing logged for the refused one
    rows = db.fetch_all(
        "SELECT issue_id, status, owner, next_step FROM dq_issues ORDER BY issue_id"
    )
    assert rows == [
        ("i1", "acknowledged", "sam", None),
        ("i2", "open", None, None),
        ("i3", "ignored", None, "archive it"),
    ]


def test_text_at_the_limit_fits_the_column_on_every_engine_even_four_bytes_a_character(db):
    long = {f: "\N{SLIGHTLY SMILING FACE}" * n for f, n in triage.MAX_CHARS.items()}
    result = triage.apply(db, ALICE, [triage.Change("i1", "acknowledged", **long)])
    assert result.saved == ["i1"] and not result.refused
    row = db.fetch_all("SELECT status_note, owner, next_step FROM dq_issues WHERE issue_id = 'i1'")
    assert row == [(long["note"], long["owner"], long["next_step"])]


def test_set_status_refuses_an_over_long_note_before_writing(db):
    with pytest.raises(triage.TriageError, match="Issue i1: the note is 2,001 characters long"):
        triage.set_status(db, ALICE, "i1", "acknowledged", note="n" * 2001)
    assert db.fetch_all("SELECT status, status_note FROM dq_issues WHERE issue_id = 'i1'") == [
        ("open", None)
    ]
    assert _events(db) == []


def test_owner_longer_than_its_column_is_a_refusal_not_a_database_error_mid_batch(db):
    """PostgreSQL's owner column takes 256 characters: before the check, a 300-character owner
    raised a driver error out of ``apply`` after the first change had committed."""
    _add_issue(db, "i3")
    result = triage.apply(db, ALICE, [
        triage.Change("i1", "acknowledged"),
        triage.Change("i2", "acknowledged", owner="o" * 300),
        triage.Change("i3", "acknowledged"),
    ])  # fmt: skip
    assert result.saved == ["i1", "i3"]
    assert [i for i, _ in result.refused] == ["i2"]
    assert "the owner is 300 characters long; the limit is 64" in result.refused[0][1]
    assert db.fetch_all("SELECT status, owner FROM dq_issues WHERE issue_id = 'i2'") == [
        ("open", None)
    ]


# ---- assignment (issue 16): a DQ Hub user in the issue's account, audited like a status ----

PEOPLE = {
    "alice": {"password": "x", "role": "staff", "accounts": "all"},
    "sam": {"password": "x", "role": "staff", "accounts": ["acc-a"]},
    "bea": {"password": "x", "role": "bse", "accounts": "all"},
}


@pytest.fixture
def people_db(db):
    from core.auth import write_users

    write_users(PEOPLE)  # users mode: the users file is the directory
    return db


def _assigned(db, issue):
    return db.fetch_all(
        "SELECT assignee, assigned_by, status, status_by, status_at FROM dq_issues "
        "WHERE issue_id = ?",
        (issue,),
    )[0]


def _assign_events(db):
    return db.fetch_all(
        "SELECT issue_id, changed_by, from_status, to_status, note, from_assignee, to_assignee "
        "FROM issue_events ORDER BY changed_at"
    )


def test_reassigning_is_audited_and_leaves_the_status_alone(people_db):
    db = people_db
    triage.assign(db, BOB, "i1", "sam", expected="")
    triage.assign(db, ALICE, "i1", "alice", expected="sam")
    triage.assign(db, ALICE, "i1", "", expected="alice")
    assert _assigned(db, "i1") == (None, "alice", "open", "system", LOADED_AT)
    assert _assign_events(db) == [
        ("i1", "bob", "open", "open", None, None, "sam"),
        ("i1", "alice", "open", "open", None, "sam", "alice"),
        ("i1", "alice", "open", "open", None, "alice", None),
    ]


def test_a_status_change_with_a_reassignment_is_one_event(people_db):
    result = triage.apply(people_db, BOB, [
        triage.Change("i1", "acknowledged", "calling the site", assignee="sam"),
        triage.Change("i1", "acknowledged", "calling the site", assignee="sam"),  # no change
        triage.Change("i1", None, assignee="sam"),  # assigned already: nothing to log
    ])  # fmt: skip
    assert result.saved == ["i1"] * 3 and not result.refused
    assert [e[1:] for e in _assign_events(people_db)] == [
        ("bob", "open", "acknowledged", "calling the site", None, "sam"),
        ("bob", "acknowledged", "acknowledged", "calling the site", None, None),
    ]


def test_an_assignee_outside_the_issues_account_is_refused(people_db):
    db = people_db
    result = triage.apply(db, ALICE, [
        triage.Change("i2", None, assignee="sam"),  # sam is granted acc-a only; i2 is acc-b
        triage.Change("i2", None, assignee="bea"),  # a bse cannot change issues
        triage.Change("i2", None, assignee="zed"),  # nobody of that name
        triage.Change("i1", "resolved", assignee="zed"),  # refused whole: status unchanged too
    ])  # fmt: skip
    assert result.saved == []
    assert [why for _, why in result.refused] == [
        "Issue i2: sam is not granted this account",
        "Issue i2: bea (bse) cannot change issues",
        "Issue i2: 'zed' is not a DQ Hub user",
        "Issue i1: 'zed' is not a DQ Hub user",
    ]
    assert [_assigned(db, i)[:3] for i in ("i1", "i2")] == [(None, None, "open")] * 2
    assert _assign_events(db) == []


def test_a_user_cannot_assign_an_issue_of_another_account(people_db):
    with pytest.raises(triage.TriageError, match="Issue i2 does not exist"):
        triage.assign(people_db, STAFF_A, "i2", "sam")


def test_a_stale_reassignment_is_refused(people_db):
    triage.assign(people_db, ALICE, "i1", "alice", expected="")
    with pytest.raises(triage.TriageError, match="reassigned to alice after you loaded it"):
        triage.assign(people_db, BOB, "i1", "sam", expected="")
    assert _assigned(people_db, "i1")[0] == "alice"


def test_a_role_without_assign_is_refused(people_db, monkeypatch):
    from core.pages import ACTIONS

    monkeypatch.setitem(ACTIONS, "assign", ("admin",))
    with pytest.raises(triage.TriageError, match="role 'staff' cannot assign issues"):
        triage.assign(people_db, BOB, "i1", "sam")


def test_an_assigned_issue_is_still_resolved_by_the_job_when_its_problem_goes(people_db):
    """A reassignment is no verdict: status_by stays system, so a rerun may resolve it."""
    from core import runs
    from core.dq import store

    triage.assign(people_db, ALICE, "i1", "sam")
    run = runs.Run("dq", {})
    with people_db.transaction() as tx:
        assert store.resolve(tx, ["i1"], run) == 1
    assert _assigned(people_db, "i1")[:3] == ("sam", "alice", "resolved")
