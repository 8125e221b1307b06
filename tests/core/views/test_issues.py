"""Issue list: filters, order, paging, scope, SQL parameters, validation and edits to changes."""

from datetime import date, datetime

import pandas as pd
import pytest

from core import masking, triage
from core.auth import User
from core.errors import DQHubError
from core.views import issues
from core.views.issues import Filters

ADMIN = User("ada", "Ada", "admin", None)
STAFF_A = User("sam", "Sam", "staff", frozenset({"acc-a"}))
QUOTED = 'o\'brien "x"; DROP TABLE dq_issues; --'  # an account id no SQL text may contain
T = pd.Timestamp


def _meter(db, meter_id, building, account, kind="electricity", account_name=None):
    db.execute(
        "INSERT INTO meters (meter_id, building_id, account_id, kind, unit, building_name, "
        "account_name, timezone, dq_enabled, account_active, building_archived, "
        "interval_minutes) VALUES (?, ?, ?, ?, ?, ?, ?, 'UTC', TRUE, TRUE, FALSE, 15)",
        (
            meter_id,
            building,
            account,
            kind,
            "kWh" if kind == "electricity" else "gal",
            f"Bldg {building}",
            account_name or f"Name {account}",
        ),
    )


def _issue(
    db,
    issue_id,
    meter_id,
    account,
    building,
    *,
    detector="offline",
    severity="medium",
    status="open",
    start="2026-03-10 00:00",
    hours=1.0,
    source="platform",
    magnitude=1.0,
):
    start_ts = T(start)
    db.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, building_id, meter_id, "
        "source, start_ts, end_ts, severity, magnitude, first_seen_run, last_seen_run, status, "
        "status_by, status_at) VALUES (?, 'meter', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'r', 'r', ?, "
        "'system', ?)",
        (
            issue_id,
            detector,
            account,
            building,
            meter_id,
            source,
            start_ts.to_pydatetime(),
            (start_ts + pd.Timedelta(hours=hours)).to_pydatetime(),
            severity,
            magnitude,
            status,
            datetime(2026, 3, 11),
        ),
    )


@pytest.fixture
def db(fresh_db):
    _meter(fresh_db, "m1", "b1", "acc-a")
    _meter(fresh_db, "m2", "b2", "acc-a", kind="water")
    _meter(fresh_db, "m3", "b3", "acc-b")
    _meter(fresh_db, "m4", "b4", QUOTED, account_name="O'Brien Holdings")
    _issue(fresh_db, "low-old", "m1", "acc-a", "b1", severity="low", start="2026-03-01 00:00")
    _issue(
        fresh_db,
        "high-new",
        "m1",
        "acc-a",
        "b1",
        severity="high",
        start="2026-03-09 12:00",
        detector="spike_positive",
        magnitude=12.5,
    )
    _issue(
        fresh_db,
        "high-old",
        "m2",
        "acc-a",
        "b2",
        severity="high",
        start="2026-03-02 00:00",
        hours=30,
    )
    _issue(
        fresh_db,
        "med",
        "m2",
        "acc-a",
        "b2",
        start="2026-03-05 06:00",
        status="resolved",
        detector="flatline",
        hours=6,
    )
    _issue(
        fresh_db,
        "raw",
        "m1",
        "acc-a",
        "b1",
        detector="raw_platform_mismatch",
        source="raw",
        start="2026-03-10 00:00",
        hours=2,
    )
    _issue(fresh_db, "b-only", "m3", "acc-b", "b3", severity="high", start="2026-03-01 00:00")
    _issue(fresh_db, "quoted", "m4", QUOTED, "b4", start="2026-03-03 00:00")
    fresh_db.execute(  # a bill issue: never on this page
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, severity, first_seen_run, "
        "last_seen_run, status, status_by, status_at) VALUES ('bill1', 'bill', 'cost_jump', "
        "'acc-a', 'high', 'r', 'r', 'open', 'system', ?)",
        (datetime(2026, 3, 11),),
    )
    return fresh_db


def _ids(db, user=ADMIN, page=1, size=50, **filters):
    df, _ = issues.list_issues(db, user, Filters(**filters), page, size)
    return list(df["issue_id"])


def test_sorted_by_severity_then_oldest_start(db):
    assert _ids(db) == ["b-only", "high-old", "high-new", "quoted", "med", "raw", "low-old"]


def test_rows_carry_names_duration_and_magnitude_unit(db):
    df, total = issues.list_issues(db, ADMIN, Filters(accounts=("acc-a",)))
    assert total == 5 and list(df.columns) == issues.COLUMNS
    row = df.set_index("issue_id").loc["high-old"]
    assert (row.account_name, row.building_name, row.meter_kind) == (
        "Name acc-a",
        "Bldg b2",
        "water",
    )
    assert row.duration_h == 30.0 and row.magnitude_unit == "h"
    spike = df.set_index("issue_id").loc["high-new"]
    assert spike.magnitude_unit == "kWh excess"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"detectors": ("spike_positive", "flatline")}, {"high-new", "med"}),
        ({"severities": ("low",)}, {"low-old"}),
        ({"statuses": ("resolved",)}, {"med"}),
        (
            {"statuses": ["open", "acknowledged"], "accounts": ["acc-a"]},
            {"low-old", "high-new", "high-old", "raw"},
        ),
        ({"buildings": ("b2",)}, {"high-old", "med"}),
        ({"meter_kinds": ("water",)}, {"high-old", "med"}),
        ({"sources": ("raw",)}, {"raw"}),
        ({"min_hours": 6}, {"high-old", "med"}),
        ({"min_hours": 0}, {"low-old", "high-new", "high-old", "med", "raw", "b-only", "quoted"}),
    ],
)
def test_each_filter(db, filters, expected):
    assert set(_ids(db, **filters)) == expected


def test_date_range_is_inclusive_and_matches_overlap(db):
    # high-old runs 2026-03-02 00:00 .. 03-03 06:00, so it overlaps 03-03 but not 03-04.
    assert set(_ids(db, start=date(2026, 3, 3), end=date(2026, 3, 3))) == {"high-old", "quoted"}
    assert set(_ids(db, start=date(2026, 3, 4), end=date(2026, 3, 5))) == {"med"}
    # The end day is inclusive: an issue starting at 03-10 00:00 is in a range ending 03-10.
    assert set(_ids(db, start=date(2026, 3, 10), end=date(2026, 3, 10))) == {"raw"}
    assert set(_ids(db, end=date(2026, 3, 1))) == {"low-old", "b-only"}


def test_paging_in_sql_with_total(db):
    df1, total = issues.list_issues(db, ADMIN, Filters(), page=1, page_size=3)
    df3, total3 = issues.list_issues(db, ADMIN, Filters(), page=3, page_size=3)
    assert total == total3 == 7
    assert list(df1["issue_id"]) == ["b-only", "high-old", "high-new"]
    assert list(df3["issue_id"]) == ["low-old"]
    past, total = issues.list_issues(db, ADMIN, Filters(), page=9, page_size=3)
    assert past.empty and total == 7
    with pytest.raises(issues.FilterError, match="must be 1 or more"):
        issues.list_issues(db, ADMIN, Filters(), page=0)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 6, 7])
def test_pages_tile_the_sorted_list_front_and_back(db, size):
    # Back pages are cut from the reversed order: they must still tile the list exactly.
    everything = _ids(db)
    pages = [_ids(db, page=n, size=size) for n in range(1, -(-len(everything) // size) + 1)]
    assert [i for page in pages for i in page] == everything
    assert all(len(page) == size for page in pages[:-1])


def test_scope_holds_even_when_filters_name_another_account(db):
    assert set(_ids(db, STAFF_A)) == {"low-old", "high-new", "high-old", "med", "raw"}
    df, total = issues.list_issues(db, STAFF_A, Filters(accounts=("acc-b",)))
    assert df.empty and total == 0
    assert _ids(db, STAFF_A, buildings=("b3",)) == []
    nobody = User("nn", "No one", "staff", frozenset())
    assert _ids(db, nobody) == []


def test_filter_values_are_parameters(db):
    assert _ids(db, accounts=(QUOTED,)) == ["quoted"]
    assert _ids(db, detectors=("x') OR TRUE --",)) == []
    assert db.fetch_value("SELECT count(*) FROM dq_issues") == 8  # nothing dropped


def test_filter_options_are_scoped(db):
    opts = issues.filter_options(db, STAFF_A)
    assert opts["accounts"] == {"acc-a": "Name acc-a"}
    assert opts["buildings"] == {"b1": ("Bldg b1", "acc-a"), "b2": ("Bldg b2", "acc-a")}
    assert opts["detectors"] == ["offline", "flatline", "spike_positive", "raw_platform_mismatch"]
    assert opts["sources"] == ["platform", "raw"]
    assert opts["meter_kinds"] == ["electricity", "water"]
    assert opts["issues"] == 5
    every = issues.filter_options(db, ADMIN)
    assert every["accounts"][QUOTED] == "O'Brien Holdings" and every["issues"] == 7


def test_filter_options_on_an_empty_warehouse(fresh_db):
    opts = issues.filter_options(fresh_db, ADMIN)
    assert opts["issues"] == 0 and opts["accounts"] == {} and opts["detectors"] == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"start": date(2026, 3, 10), "end": date(2026, 3, 1)},
            "date range is backwards: from 2026-03-10 is after to 2026-03-01",
        ),
        ({"min_hours": -1}, "Minimum duration must be 0 hours or more, not -1"),
        ({"statuses": ("done",)}, "Unknown statuses done; expected open, acknowledged"),
        ({"severities": ("urgent",)}, "Unknown severities urgent; expected high, medium, low"),
    ],
)
def test_validation_names_the_problem(kwargs, message):
    with pytest.raises(issues.FilterError, match=message) as err:
        Filters(**kwargs)
    assert isinstance(err.value, DQHubError)


def test_filters_accept_lists_and_compare_equal():
    assert Filters(detectors=["offline"]) == Filters(detectors=("offline",))
    assert hash(Filters(accounts=["a"]))  # frozen and hashable


def test_changes_from_editor_edits(db):
    df, _ = issues.list_issues(db, ADMIN, Filters(statuses=("open",)))
    loaded_at = df.loc[0, "status_at"].to_pydatetime()
    edits = {
        0: {"status": "acknowledged", "note": "called site"},
        1: {"note": ""},  # cleared an empty note: nothing to do
        2: {"status": df.loc[2, "status"]},  # same status: nothing to do
        "3": {"note": "only a note"},
        99: {"status": "resolved"},  # not on this page: ignored
    }
    changes = issues.changes(df, edits)
    assert changes == [
        triage.Change(df.loc[0, "issue_id"], "acknowledged", "called site", loaded_at),
        triage.Change(df.loc[3, "issue_id"], "open", "only a note", loaded_at),
    ]


def test_bulk_changes_apply_to_selected_rows_and_keep_other_edits(db):
    df, _ = issues.list_issues(db, ADMIN, Filters(statuses=("open",)))
    edits = {
        0: {"select": True},
        1: {"select": True, "note": "own note"},
        2: {"status": "ignored"},
        3: {"select": False},
    }
    changes = issues.changes(df, edits, bulk_status="resolved", bulk_note="")
    assert [(c.issue_id, c.status, c.note) for c in changes] == [
        (df.loc[0, "issue_id"], "resolved", None),
        (df.loc[1, "issue_id"], "resolved", "own note"),
        (df.loc[2, "issue_id"], "ignored", None),
    ]
    with_note = issues.changes(df, {0: {"select": True}}, "resolved", "fixed")
    assert with_note[0].note == "fixed"


def test_changes_refuse_a_stale_edit_through_triage(db):
    df, _ = issues.list_issues(db, STAFF_A, Filters(statuses=("open",)))
    triage.set_status(db, User("bob", "Bob", "staff", None), df.loc[0, "issue_id"], "resolved")
    result = triage.apply(db, STAFF_A, issues.changes(df, {0: {"status": "ignored"}}))
    assert result.saved == [] and "after you loaded it" in result.refused[0][1]
    assert (
        db.fetch_value("SELECT status FROM dq_issues WHERE issue_id = ?", (df.loc[0, "issue_id"],))
        == "resolved"
    )


def test_table_for_the_editor(db):
    df, _ = issues.list_issues(db, ADMIN, Filters(accounts=("acc-a",)))
    table = issues.table(df)
    assert list(table.index) == list(df["issue_id"])
    assert table.loc["high-new", "explorer"] == "explorer?issue=high-new"
    assert table.loc["high-new", "magnitude"] == "12.5 kWh excess"
    assert not table["select"].any() and (table["note"] == "").all()


def test_export_csv_is_the_filtered_view_through_the_mask(db):
    plain = issues.export_csv(db, STAFF_A, Filters(severities=("high",))).decode()
    assert plain.splitlines()[0].startswith("issue_id,severity,detector,account_id,account_name")
    assert len(plain.splitlines()) == 3 and "Name acc-a" in plain and "b-only" not in plain
    masked = issues.export_csv(db, STAFF_A, Filters(), lambda df: masking.mask_frame(df, "salt"))
    assert "acc-a" not in masked.decode() and "Bldg" not in masked.decode()
    assert (
        "m1" not in masked.decode()
        and masking.pseudonym("Account", "acc-a", "salt") in masked.decode()
    )
    assert len(issues.export_csv(db, ADMIN, Filters(), limit=2).decode().splitlines()) == 3


# ---- my queue, the assignee filter, assignment edits (issue 16) ----------------------------


def _assign(db, **who):
    for issue_id, name in who.items():
        db.execute("UPDATE dq_issues SET assignee = ? WHERE issue_id = ?", (name, issue_id))


def test_my_queue_is_mine_first_then_the_unassigned_in_my_accounts(db):
    _assign(db, **{"low-old": "sam", "high-new": "bob", "b-only": "sam", "raw": "sam"})
    # b-only is acc-b's: assigned to sam or not, sam does not see it
    assert _ids(db, STAFF_A, queue="sam") == ["raw", "low-old", "high-old", "med"]
    assert _ids(db, STAFF_A, queue="sam", statuses=("open",)) == ["raw", "low-old", "high-old"]
    assert issues.queue_counts(db, STAFF_A) == {"mine": 2, "unassigned": 1}
    # every page of a queue tiles it, front and back (the back is cut in reverse)
    everything = _ids(db, ADMIN, queue="ada")
    pages = [_ids(db, ADMIN, page=n, size=2, queue="ada") for n in range(1, 4)]
    assert [i for p in pages for i in p] == everything
    assert _ids(db, ADMIN, queue="sam") == ["b-only", "raw", "low-old", "high-old", "quoted", "med"]


def test_the_assignee_filter_takes_names_and_nobody(db):
    _assign(db, **{"low-old": "sam", "high-new": "bob"})
    assert _ids(db, assignees=("sam",)) == ["low-old"]
    assert _ids(db, assignees=("sam", issues.UNASSIGNED)) == [
        "b-only", "high-old", "quoted", "med", "raw", "low-old",
    ]  # fmt: skip
    assert _ids(db, assignees=("x') OR TRUE --",)) == []


def test_assignee_edits_become_reassignments_that_leave_the_status(db):
    _assign(db, **{"high-old": "sam"})
    df, _ = issues.list_issues(db, ADMIN, Filters(statuses=("open",)))
    assert df.loc[1, "assignee"] == "sam" and issues.table(df)["assignee"].iloc[1] == "sam"
    at = df.loc[0, "status_at"].to_pydatetime()
    changes = issues.changes(df, {
        0: {"assignee": "sam", "status": "acknowledged"},
        1: {"assignee": None},  # cleared: unassign
        2: {"assignee": None},  # unassigned already: nothing to do
    })  # fmt: skip
    assert changes == [
        triage.Change(df.loc[0, "issue_id"], "acknowledged", None, at, assignee="sam",
                      expected_assignee=""),
        triage.Change(df.loc[1, "issue_id"], None, None, at, assignee="",
                      expected_assignee="sam"),
    ]  # fmt: skip
    bulk = issues.changes(df, {0: {"select": True}, 1: {"select": True}}, None, "", "bob")
    assert [(c.status, c.assignee) for c in bulk] == [(None, "bob"), (None, "bob")]
    nobody = issues.changes(df, {1: {"select": True}}, None, "", issues.UNASSIGNED)
    assert [(c.issue_id, c.assignee) for c in nobody] == [(df.loc[1, "issue_id"], "")]
