"""Default owners: new issues take them, people's assignments stay, scope, the owners CSV."""

import pandas as pd
import pytest

from core import owners, runs, triage
from core.auth import User, write_users
from core.dq import store

ADA = User("ada", "Ada", "admin", None)
DEE = User("dee", "Dee", "ds", frozenset({"acc-a"}))  # a ds granted one account only
USERS = {
    "ada": {"password": "x", "role": "admin", "accounts": "all"},
    "sam": {"password": "x", "role": "staff", "accounts": ["acc-a"]},
    "bo": {"password": "x", "role": "staff", "accounts": ["acc-b"]},
    "bea": {"password": "x", "role": "bse", "accounts": "all"},
}
# meter -> (building, account)
METERS = {"m1": ("b1", "acc-a"), "m2": ("b2", "acc-a"), "m3": ("b3", "acc-b")}


@pytest.fixture
def db(any_db):
    write_users(USERS)
    any_db.insert_df("meters", pd.DataFrame([{
        "meter_id": m, "building_id": b, "account_id": a, "kind": "electricity", "unit": "kWh",
        "building_name": f"Bldg {b}", "account_name": f"Name {a}", "timezone": "UTC",
        "dq_enabled": True, "account_active": True, "building_archived": False,
        "interval_minutes": 15,
    } for m, (b, a) in METERS.items()]))  # fmt: skip
    return any_db


def _found(meter, start="2026-01-02 10:00"):
    return {
        "meter_id": meter, "detector": "offline", "source": "platform",
        "start_ts": pd.Timestamp(start), "end_ts": pd.Timestamp(start) + pd.Timedelta(hours=4),
        "slots": 16, "hours": 4.0, "magnitude": 4.0, "severity": "medium",
        "clipped_start": False, "status": "open", "status_note": None,
    }  # fmt: skip


def _run_job(db, *meters, start="2026-01-02 10:00"):
    frame = pd.DataFrame([{"meter_id": m, "building_id": b, "account_id": a}
                          for m, (b, a) in METERS.items()])  # fmt: skip
    run = runs.Run("dq", {})
    runs.start(db, run)
    with db.transaction() as tx:
        store.upsert_issues(tx, pd.DataFrame([_found(m, start) for m in meters]), frame, run)
        runs.finish(tx, run)


def _assignees(db):
    rows = db.fetch_all("SELECT meter_id, assignee, assigned_by FROM dq_issues ORDER BY 1")
    return {m: (a, by) for m, a, by in rows}


def _set(db, user, *edits):
    return owners.save(db, user, [owners.Edit(*e) for e in edits])


def test_new_issues_take_the_buildings_owner_else_the_accounts(db):
    report = _set(db, ADA, ("acc-a", None, "ada"), ("acc-a", "b2", "sam"))
    assert (report.saved, report.refused) == (2, [])
    _run_job(db, "m1", "m2", "m3")
    assert _assignees(db) == {
        "m1": ("ada", "system"),  # b1 has no owner: the account's
        "m2": ("sam", "system"),  # b2's own owner wins
        "m3": (None, None),  # acc-b has no owner: unassigned
    }
    at = db.fetch_value("SELECT assigned_at FROM dq_issues WHERE meter_id = 'm1'")
    assert at is not None and not pd.isna(at)


def test_a_rerun_never_changes_an_assignee_and_only_new_issues_take_owners(db):
    _run_job(db, "m1", "m3")  # no owners yet: unassigned
    m1 = db.fetch_value("SELECT issue_id FROM dq_issues WHERE meter_id = 'm1'")
    triage.assign(db, ADA, m1, "sam")
    _set(db, ADA, ("acc-a", None, "ada"), ("acc-b", None, "bo"))
    _run_job(db, "m1", "m3")  # the same issues again
    assert _assignees(db) == {"m1": ("sam", "ada"), "m3": (None, None)}
    _run_job(db, "m3", start="2026-01-03 10:00")  # a new issue of m3
    new = db.fetch_all("SELECT assignee FROM dq_issues WHERE meter_id = 'm3' ORDER BY start_ts")
    assert new == [(None,), ("bo",)]


def test_an_owner_must_be_a_user_who_changes_issues_in_that_account(db):
    report = _set(
        db, ADA,
        ("acc-a", None, "bo"),  # bo is granted acc-b only
        ("acc-a", None, "bea"),  # a bse cannot change issues
        ("acc-a", None, "zed"),  # no such user
        ("acc-a", "b3", "sam"),  # b3 is acc-b's building
        ("acc-z", None, "ada"),  # no such account
        ("acc-b", None, "bo"),
    )  # fmt: skip
    assert report.saved == 1
    assert [why for _, why in report.refused] == [
        "bo is not granted this account",
        "bea (bse) cannot change issues",
        "'zed' is not a DQ Hub user",
        "building b3 is not a building of account acc-a",
        "account acc-z is not one of your accounts",
    ]
    assert db.fetch_all("SELECT account_id, owner, set_by FROM dq_owners") == [
        ("acc-b", "bo", "ada")
    ]


def test_a_user_sees_and_sets_only_the_owners_of_their_accounts(db):
    _set(db, ADA, ("acc-b", None, "bo"), ("acc-b", "b3", "bo"))
    listing = owners.listing(db, DEE)
    assert set(listing["account_id"]) == {"acc-a"}
    assert "bo" not in set(listing["owner"].dropna())
    assert listing["building_id"].fillna("").tolist() == ["", "b1", "b2"]  # the account first
    report = _set(db, DEE, ("acc-b", None, "ada"), ("acc-a", "b1", "sam"))
    assert report.refused == [("account acc-b", "account acc-b is not one of your accounts")]
    assert db.fetch_value("SELECT owner FROM dq_owners WHERE building_id = 'b3'") == "bo"
    with pytest.raises(owners.OwnersError, match="cannot set default owners"):
        _set(db, User("sid", "Sid", "staff", None), ("acc-a", None, "sam"))


def test_an_empty_owner_removes_the_default(db):
    _set(db, ADA, ("acc-a", None, "sam"))
    report = _set(db, ADA, ("acc-a", None, ""))
    assert (report.saved, report.removed) == (0, 1)
    assert db.fetch_value("SELECT count(*) FROM dq_owners") == 0


def test_csv_import_names_bad_rows_by_line_and_keeps_the_good_ones(db):
    data = (
        b"account_id,building_id,owner\n"
        b"acc-a,,sam\n"
        b"acc-a,b2,ada\n"
        b"acc-b,,sam\n"  # line 4: sam is not granted acc-b
        b"acc-a,,ada\n"  # line 5: acc-a again
        b"\n"
        b"acc-a,b9,ada\n"  # line 7: no such building
        b"acc-b,b3,bo,extra\n"  # line 8: a cell too many
        b"'-acc,,ada\n"  # line 9: our own CSV quoting is taken off: account -acc
    )
    report = owners.import_csv(db, data, "owners.csv")
    assert report.saved == 2
    assert report.refused == [
        ("line 4", "sam is not granted this account"),
        ("line 5", "account acc-a is also on line 2"),
        ("line 7", "building b9 is not a building of account acc-a"),
        ("line 8", "4 cells; the header has 3"),
        ("line 9", "account -acc is not one of your accounts"),
    ]
    assert sorted(db.fetch_all("SELECT building_id, owner, set_by FROM dq_owners"), key=str) == [
        ("b2", "ada", "system"),
        (None, "sam", "system"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"account,owner\nacc-a,sam\n", "no account_id column"),
        (b"\xff\xfe\x00", "not UTF-8 text"),
    ],
)
def test_an_unreadable_owners_file_fails_whole(db, data, message):
    with pytest.raises(owners.OwnersError, match=message):
        owners.import_csv(db, data, "owners.csv")
    assert db.fetch_value("SELECT count(*) FROM dq_owners") == 0


def test_the_export_reimports_to_the_same_owners(db):
    _set(db, ADA, ("acc-a", None, "sam"), ("acc-b", "b3", "bo"))
    exported = owners.export_csv(db, ADA)
    db.execute("DELETE FROM dq_owners")
    report = owners.import_csv(db, exported, "export.csv", ADA)
    assert (report.saved, report.refused) == (2, [])
    rows = db.fetch_all("SELECT account_id, building_id, owner FROM dq_owners ORDER BY 1")
    assert rows == [("acc-a", None, "sam"), ("acc-b", "b3", "bo")]
