"""The Offline devices page under AppTest, on the scored demo warehouse."""

from unittest.mock import patch

import pandas as pd
import pytest

from core import auth, triage
from core.auth import User
from core.db import open_warehouse
from core.views import offline
from tests.pages.pagetest import app, plain, rendered

ADMIN = User("ada", "Ada", "admin", None)
STAFF_A = User("sam", "Sam", "staff", frozenset({"acc-01"}))
EDITOR = "offline_editor"


def _app(url, monkeypatch, user=STAFF_A, **state):
    return app("offline", url, monkeypatch, user, **state)


def _edits(rows):
    return {"edited_rows": rows, "added_rows": [], "deleted_rows": []}


def _other_accounts(url, granted):
    db = open_warehouse(url)
    rows = db.fetch_all(
        "SELECT DISTINCT account_id, account_name, building_id, building_name, meter_id "
        "FROM meters WHERE account_id <> ?",
        (granted,),
    )
    return {str(v) for row in rows for v in row if v}


@pytest.fixture
def url(demo_warehouse_file):
    return demo_warehouse_file[0]


def test_renders_the_daily_list(url, monkeypatch):
    at = _app(url, monkeypatch, ADMIN).run()
    assert not at.exception
    assert at.title[0].value == "Offline devices"
    now = offline.offline_devices(open_warehouse(url), ADMIN).now
    assert int(at.metric[0].value) == now["meter_id"].nunique()  # meters, not feeds
    assert int(at.metric[0].value) > 0
    assert [b.label.split(" (")[0] for b in at.button] == [
        "Save owner / next step",
        "Mark contacted",
        "Mark resolved",
    ]


def test_staff_sees_nothing_of_other_accounts(url, monkeypatch):
    at = _app(url, monkeypatch).run()
    assert not at.exception
    text, cells = rendered(at)
    assert len(at.dataframe[0].value) > 0
    leaks = {v for v in _other_accounts(url, "acc-01") if v in cells or v in text}
    assert not leaks


def test_owner_edit_is_saved_and_audited(url, monkeypatch):
    at = _app(url, monkeypatch, **{EDITOR: _edits({0: {"owner": "sam", "next_step": "call"}})})
    at.run()
    assert at.button(key="offline_save").label == "Save owner / next step (1)"
    at.button(key="offline_save").click().run()
    assert not at.exception
    assert "Saved 1 meter(s): m-" in plain(at.success[0].value)
    db = open_warehouse(url)
    issue, owner, step, by = db.fetch_all(
        "SELECT issue_id, owner, next_step, status_by FROM dq_issues WHERE owner IS NOT NULL"
    )[0]
    assert (owner, step, by) == ("sam", "call", "sam")
    assert db.fetch_all("SELECT changed_by FROM issue_events WHERE issue_id = ?", (issue,)) == [
        ("sam",)
    ]
    assert at.dataframe[0].value["owner"].iloc[0] == "sam"  # the stored value is shown


def test_mark_contacted(url, monkeypatch):
    at = _app(url, monkeypatch, **{EDITOR: _edits({0: {"select": True}})}).run()
    at.button(key="offline_contacted").click().run()
    assert not at.exception
    db = open_warehouse(url)
    assert db.fetch_all(
        "SELECT status, status_note FROM dq_issues WHERE detector = 'offline' AND status_by = 'sam'"
    ) == [("acknowledged", "contacted")]


def test_stale_edit_is_refused_with_a_message(url, monkeypatch):
    at = _app(url, monkeypatch, **{EDITOR: _edits({0: {"owner": "sam"}})}).run()
    db = open_warehouse(url)
    first = offline.offline_devices(db, STAFF_A).now["issue_id"].iloc[0]
    triage.set_status(db, ADMIN, first, "acknowledged", note="someone else")
    at.button(key="offline_save").click().run()
    assert not at.exception
    assert "after you loaded it" in at.error[0].value
    assert db.fetch_value("SELECT owner FROM dq_issues WHERE issue_id = ?", (first,)) is None


def test_screen_share_mode_hides_names_in_tables_and_download(url, monkeypatch):
    real = _other_accounts(url, "nobody")  # every account, building and meter id or name
    with patch("core.views.offline.export_csv") as export:
        at = _app(url, monkeypatch, ADMIN, dq_mask=True, dq_mask_salt="k").run()
    assert not at.exception
    text, cells = rendered(at)
    assert any(c.startswith("Meter ") for c in cells)
    assert not {v for v in real if v in cells or v in text}
    export.assert_not_called()  # built on click, for the user as they are then
    from core import masking

    download = offline.export_csv(
        open_warehouse(url), ADMIN, lambda df: masking.mask_frame(df, "k")
    ).decode()
    assert "Meter " in download and not [v for v in real if v in download]


def test_read_only_role_gets_a_table_and_no_buttons(url, monkeypatch):
    monkeypatch.setitem(auth.PAGE_ROLES, "offline", auth.ROLES)
    at = _app(url, monkeypatch, User("bea", "Bea", "bse", None)).run()
    assert not at.exception
    assert not at.button and len(at.dataframe[0].value) > 0
    assert any("Read-only" in c.value for c in at.caption)


def test_empty_warehouse_shows_how_to_start(db_path, monkeypatch):
    at = _app(db_path, monkeypatch, ADMIN).run()
    assert not at.exception
    assert "python -m jobs run dq" in at.info[0].value


def test_signed_out_user_is_sent_to_sign_in(url, monkeypatch):
    at = _app(url, monkeypatch, user=None).run()
    assert not at.exception
    assert "Sign in again" in at.warning[0].value


# ---- two sessions: a colleague reorders the list under your edit -------------------------

OLLY = User("olly", "Olly", "staff", None)


def _new_offline_meter(db):
    """A meter that went silent minutes before the list's end: it sorts first."""
    as_of = offline.as_of(db, ADMIN)
    meter_id, account, building = db.fetch_all(
        "SELECT meter_id, account_id, building_id FROM meters WHERE dq_enabled AND account_active "
        "AND NOT building_archived AND meter_id NOT IN (SELECT meter_id FROM dq_issues "
        "WHERE detector = 'offline') ORDER BY meter_id LIMIT 1"
    )[0]
    db.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, building_id, meter_id, "
        "source, start_ts, end_ts, severity, magnitude, first_seen_run, last_seen_run, status, "
        "status_by, status_at) VALUES ('new-offline', 'meter', 'offline', ?, ?, ?, 'platform', "
        "?, ?, 'high', 1.0, 'r', 'r', 'open', 'system', ?)",
        (account, building, meter_id, (as_of - pd.Timedelta(minutes=15)).to_pydatetime(),
         as_of.to_pydatetime(), as_of.to_pydatetime()),
    )  # fmt: skip
    return meter_id


def _colleague_marks(url, monkeypatch, row, button):
    """Another session (Olly's) ticks one row of its list and presses a Mark button."""
    b = _app(url, monkeypatch, OLLY, **{EDITOR: _edits({row: {"select": True}})}).run()
    b.button(key=button).click().run()
    assert not b.exception and "Saved 1 meter(s)" in plain(b.success[0].value)


ACTIONS = {  # what A does to its second row: (edit, button)
    "type_owner": ({"owner": "ada"}, "offline_save"),
    "tick_and_mark_resolved": ({"select": True}, "offline_resolved"),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("reorder", ["colleague_marks_contacted", "new_meter_and_one_resolved"])
def test_a_reordered_list_never_moves_your_edit_to_another_meter(url, monkeypatch, reorder, action):
    """Session A loads the list and edits its second row (meter X) while session B's change
    reorders the list (same length, same columns, so the grid keeps A's edit at its position).
    Saving must change exactly X's issue."""
    db = open_warehouse(url)
    listed = offline.offline_devices(db, ADMIN).now
    assert len(listed) >= 4 and (listed["status"] == "open").all()
    triage.set_status(db, OLLY, listed["issue_id"].iloc[-1], "acknowledged", "contacted")
    a = _app(url, monkeypatch, ADMIN).run()  # session A loads the list
    assert not a.exception
    before = offline.offline_devices(db, ADMIN).now
    target = before.iloc[1]
    assert list(a.dataframe[0].value["meter_id"]) == list(before["meter_id"])
    if reorder == "colleague_marks_contacted":  # the first row moves below the open ones
        _colleague_marks(url, monkeypatch, 0, "offline_contacted")
    else:  # one meter is back, another went silent and sorts first
        _colleague_marks(url, monkeypatch, len(before) - 2, "offline_resolved")
        _new_offline_meter(db)
    after = offline.offline_devices(db, ADMIN).now
    assert len(after) == len(before) and after["issue_id"].iloc[1] != target["issue_id"]
    # A edits the row it sees second (each edit reruns A's page), then presses the button.
    edit, button = ACTIONS[action]
    a.session_state[EDITOR] = _edits({1: edit})
    a.run()
    assert not a.exception
    a.button(key=button).click().run()
    assert not a.exception
    changed = db.fetch_all("SELECT issue_id, meter_id FROM dq_issues WHERE status_by = 'ada'")
    assert changed == [(target["issue_id"], target["meter_id"])]
    assert plain(a.success[0].value) == f"Saved 1 meter(s): {target['meter_id']}."
    if action == "type_owner":
        assert db.fetch_value("SELECT count(*) FROM dq_issues WHERE owner = 'ada'") == 1


def test_an_over_long_owner_is_refused_by_name_and_the_other_edit_lands(url, monkeypatch):
    db = open_warehouse(url)
    rows = offline.offline_devices(db, STAFF_A).now
    long_owner = "x" * (triage.MAX_CHARS["owner"] + 1)
    edits = {0: {"owner": long_owner}, 1: {"owner": "sam"}}
    at = _app(url, monkeypatch, **{EDITOR: _edits(edits)}).run()
    at.button(key="offline_save").click().run()
    assert not at.exception
    first, second = rows.iloc[0], rows.iloc[1]
    assert plain(at.success[0].value) == f"Saved 1 meter(s): {second['meter_id']}."
    assert plain(at.error[0].value) == (
        f"{first['meter_id']}: Issue {first['issue_id']}: the owner is 65 characters long; "
        "the limit is 64. Shorten it and save again."
    )
    assert db.fetch_all("SELECT issue_id FROM dq_issues WHERE owner IS NOT NULL") == [
        (second["issue_id"],)
    ]
