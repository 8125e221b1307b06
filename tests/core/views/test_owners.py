"""Owners page service: rows with problems, the editor's table, edits to owner edits."""

import pandas as pd
import pytest

from core import owners as rules
from core.auth import User
from core.views import owners

ADA = User("ada", "Ada", "admin", None)
PEOPLE = {
    "ada": ADA,
    "sam": User("sam", "Sam", "staff", frozenset({"acc-a"})),
    "bo": User("bo", "Bo", "staff", frozenset({"acc-b"})),
}


@pytest.fixture
def db(fresh_db):
    fresh_db.insert_df("meters", pd.DataFrame([{
        "meter_id": m, "building_id": b, "account_id": a, "kind": "electricity", "unit": "kWh",
        "building_name": f"Bldg {b}", "account_name": f"Name {a}", "timezone": "UTC",
        "dq_enabled": True, "account_active": True, "building_archived": False,
        "interval_minutes": 15,
    } for m, b, a in (("m1", "b1", "acc-a"), ("m2", "b2", "acc-a"), ("m3", "b3", "acc-b"))]))  # fmt: skip
    return fresh_db


def test_rows_table_and_edits_round_trip(db):
    rules.save(db, ADA, [rules.Edit("acc-a", None, "sam")], PEOPLE)
    found = owners.rows(db, ADA, PEOPLE)
    table = owners.table(found)
    assert table[["account", "building", "owner"]].values.tolist() == [
        ["Name acc-a", owners.WHOLE_ACCOUNT, "sam"],
        ["Name acc-a", "Bldg b1", None],
        ["Name acc-a", "Bldg b2", None],
        ["Name acc-b", owners.WHOLE_ACCOUNT, None],
        ["Name acc-b", "Bldg b3", None],
    ]
    assert table["set_by"].tolist() == ["ada", "", "", "", ""]
    edits = owners.edits(found, {0: {"owner": None}, 1: {"owner": "sam"}, 3: {"owner": None},
                                 "4": {"owner": "bo"}, 9: {"owner": "x"}})  # fmt: skip
    assert edits == [
        rules.Edit("acc-a", None, ""),  # cleared: remove the default
        rules.Edit("acc-a", "b1", "sam"),
        rules.Edit("acc-b", "b3", "bo"),  # row 3 had no owner and still has none: left out
    ]


def test_an_owner_who_no_longer_fits_is_a_problem(db):
    rules.save(db, ADA, [rules.Edit("acc-a", None, "sam")], PEOPLE)
    moved = {**PEOPLE, "sam": User("sam", "Sam", "staff", frozenset({"acc-b"}))}
    found = owners.rows(db, ADA, moved)
    assert found["problem"].tolist()[0] == "sam is not granted this account"
    gone = owners.rows(db, ADA, {"ada": ADA})
    assert gone["problem"].tolist()[0] == "'sam' is not a DQ Hub user"


def test_choices_and_messages():
    assert owners.choices(PEOPLE, PEOPLE["sam"]) == ["ada", "sam"]
    report = rules.Report(saved=2, removed=1, refused=[("line 4", "no account_id")])
    assert owners.messages(report) == [
        ("success", "2 owner(s) set, 1 removed."),
        ("warning", "Not saved, line 4: no account_id"),
    ]
    assert owners.messages(rules.Report())[0][0] == "info"
