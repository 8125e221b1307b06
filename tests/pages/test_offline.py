"""The Offline devices page under AppTest, on the scored demo warehouse."""

from unittest.mock import patch

import pytest

from core import auth, offline, triage
from core.auth import User
from core.db import open_warehouse
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
    assert int(at.metric[0].value) == len(offline.offline_devices(open_warehouse(url), ADMIN).now)
    assert int(at.metric[0].value) > 0
    assert [b.label.split(" (")[0] for b in at.button] == [
        "Save owner / next step", "Mark contacted", "Mark resolved"
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
    with patch("core.offline.csv_bytes", wraps=offline.csv_bytes) as csv:
        at = _app(url, monkeypatch, ADMIN, dq_mask=True, dq_mask_salt="k").run()
    assert not at.exception
    text, cells = rendered(at)
    assert any(c.startswith("Meter ") for c in cells)
    assert not {v for v in real if v in cells or v in text}
    download = offline.csv_bytes(*csv.call_args.args).decode()  # what the button offered
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
