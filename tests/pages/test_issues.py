"""Issues page: filters, triage edits (single, bulk, stale), scope, screen-share mode, bad input."""

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import triage
from core.auth import User
from core.db import connect
from core.pages import ACTIONS
from tests.pages.pagetest import edit, plain, sent

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "issues.py")
ADMIN = User("ada", "Ada", "admin", None)
STAFF = User("sam", "Sam", "staff", frozenset({"acc-01"}))


@pytest.fixture
def wh(demo_warehouse_file, monkeypatch):
    url, _ = demo_warehouse_file
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    return connect(url)


def _app(user=ADMIN, edits=None, **state):
    at = AppTest.from_file(PAGE, default_timeout=60)
    if user is not None:
        at.session_state["dq_user"] = user
    if edits is not None:
        edit(at, "issues_editor", edits)
    for key, value in state.items():
        at.session_state[key] = value
    return at


def _rows(at):
    return at.dataframe[0].value


def _issue(db, issue_id):
    return db.fetch_all(
        "SELECT status, status_by, status_note FROM dq_issues WHERE issue_id = ?", (issue_id,)
    )[0]


def test_renders_the_open_work_across_accounts(wh):
    at = _app().run()
    assert not at.exception
    rows = _rows(at)
    todo = wh.fetch_value(
        "SELECT count(*) FROM dq_issues WHERE kind = 'meter' AND status IN ('open', 'acknowledged')"
    )
    assert f"**{todo:,}** issues match" in at.caption[1].value
    assert len(rows) == min(todo, 50) and set(rows["status"]) <= {"open", "acknowledged"}
    assert rows["account"].nunique() > 1  # one list, not grouped by account
    ranks = rows["severity"].map({"high": 0, "medium": 1, "low": 2}).tolist()
    assert ranks == sorted(ranks)
    assert rows["explorer"].iloc[0] == f"explorer?issue={rows.index[0]}"
    assert at.button(key="issues_save") and at.get("download_button")


def test_filters_change_rows(wh):
    at = _app().run()
    before = len(_rows(at))
    at.multiselect(key="issues_detectors").set_value(["offline"]).run()
    rows = _rows(at)
    assert not at.exception and 0 < len(rows) < before and set(rows["detector"]) == {"offline"}
    at.multiselect(key="issues_statuses").set_value(["not_an_issue"]).run()
    assert not at.exception and any("No issues match" in i.value for i in at.info)


def test_paging(wh, monkeypatch):
    monkeypatch.setenv("DQ_PAGE_SIZE", "5")
    at = _app().run()
    first = list(_rows(at).index)
    at.number_input(key="issues_page").set_value(2).run()
    second = list(_rows(at).index)
    assert len(first) == len(second) == 5 and not set(first) & set(second)
    assert "page 2 of" in at.caption[1].value
    at.multiselect(key="issues_detectors").set_value(["offline"]).run()  # new filters: page 1
    assert at.number_input(key="issues_page").value == 1


def test_status_edit_is_saved_with_the_username(wh):
    at = _app(STAFF, edits={0: {"status": "acknowledged", "note": "x"}}).run()
    issue_id = _rows(at).index[0]
    at.button(key="issues_save").click().run()
    assert not at.exception
    assert _issue(wh, issue_id) == ("acknowledged", "sam", "x")
    assert wh.fetch_all(
        "SELECT changed_by, from_status, to_status, note FROM issue_events WHERE issue_id = ?",
        (issue_id,),
    ) == [("sam", "open", "acknowledged", "x")]
    assert any("Saved 1 change" in s.value for s in at.success)
    assert _rows(at).loc[issue_id, "status"] == "acknowledged"  # reloaded after the save


def test_bulk_apply_to_selected(wh):
    at = _app(edits={1: {"select": True}, 2: {"select": True}}).run()
    first, *chosen = list(_rows(at).index[:3])
    at.selectbox(key="issues_bulk_status").set_value("ignored")
    at.text_input(key="issues_bulk_note").set_value("known outage")
    at.button(key="issues_bulk_apply").click().run()
    assert not at.exception
    assert [_issue(wh, i) for i in chosen] == [("ignored", "ada", "known outage")] * 2
    assert _issue(wh, first)[1] == "system"  # not selected, not changed
    assert set(chosen).isdisjoint(_rows(at).index)  # ignored: off the open+acknowledged list


def test_stale_edit_is_refused_and_not_overwritten(wh):
    at = _app(STAFF).run()
    issue_id = _rows(at).index[0]
    triage.set_status(wh, User("bob", "Bob", "staff", None), issue_id, "acknowledged", "mine")
    edit(at, "issues_editor", {0: {"status": "resolved", "note": "fixed"}})
    at.button(key="issues_save").click().run()
    assert not at.exception
    assert any(issue_id in w.value and "after you loaded it" in w.value for w in at.warning)
    assert _issue(wh, issue_id) == ("acknowledged", "bob", "mine")


def test_staff_sees_nothing_of_other_accounts(wh):
    at = _app(STAFF).run()
    assert not at.exception and len(_rows(at))
    others = wh.fetch_all(
        "SELECT DISTINCT account_id, account_name, building_id, building_name, meter_id "
        "FROM meters WHERE account_id <> 'acc-01'"
    )
    hidden = {v for row in others for v in row}
    hidden |= {
        r[0] for r in wh.fetch_all("SELECT issue_id FROM dq_issues WHERE account_id <> 'acc-01'")
    }
    text = sent(at)
    own = wh.fetch_value("SELECT max(account_name) FROM meters WHERE account_id = 'acc-01'")
    assert own in text  # the check sees names at all
    assert [v for v in hidden if v in text] == []
    at.multiselect(key="issues_accounts").set_value(["acc-02"]).run()  # not an option: still scoped
    assert not at.exception and [v for v in hidden if v in sent(at)] == []


def test_screen_share_mode_hides_real_names(wh):
    at = _app(STAFF, dq_mask=True, dq_mask_salt="salt").run()
    assert not at.exception
    real = wh.fetch_all(
        "SELECT DISTINCT account_id, account_name, building_id, building_name, meter_id "
        "FROM meters WHERE account_id = 'acc-01'"
    )
    text = sent(at)
    assert [v for row in real for v in row if v in text] == []
    rows = _rows(at)
    assert rows["account"].str.startswith("Account ").all()
    assert rows["meter"].str.startswith("Meter ").all()
    assert rows["explorer"].iloc[0] == f"explorer?issue={rows.index[0]}"  # the link still works


def test_role_that_cannot_triage_sees_a_read_only_table(wh, monkeypatch):
    monkeypatch.setitem(ACTIONS, "triage", ("admin",))
    monkeypatch.setitem(ACTIONS, "assign", ("admin",))
    at = _app(STAFF).run()
    assert not at.exception and len(_rows(at))
    assert not [b for b in at.button if b.key in ("issues_save", "issues_bulk_apply")]
    assert any("Read-only" in c.value for c in at.caption)
    editor = at.dataframe[0].proto
    assert editor.disabled and "select" not in editor.column_order


def test_detail_shows_a_picked_issues_thread_and_posts_a_comment(wh):
    from core import comments

    at = _app(STAFF).run()
    rows = _rows(at)
    first, second = rows.index[:2]
    comments.add(wh, ADMIN, second, "Known: tenant moved out")
    at.run()
    box = next(b for b in at.selectbox if b.label == "Issue")
    assert box.value == first and len(box.options) == len(rows)  # the page's issues
    assert box.options[1].endswith("· 1 comment")
    box.set_value(second).run()
    assert "Known: tenant moved out" in [plain(m.value) for m in at.markdown]
    at.text_area[0].input("Closing once the account confirms")
    at.button(key="issues_comment_post").click().run()
    assert not at.exception
    assert any("Comment posted." in plain(s.value) for s in at.success)
    assert wh.fetch_all(
        "SELECT author, body FROM dq_comments WHERE thread_id = ? ORDER BY created_at", [second]
    ) == [("ada", "Known: tenant moved out"), ("sam", "Closing once the account confirms")]
    assert _issue(wh, second)[0] == "open"  # a comment is not a status change


def test_bse_cannot_open_the_page(wh):
    at = _app(User("bea", "Bea", "bse", None)).run()
    assert not at.exception and "cannot open this page" in at.error[0].value


def test_backwards_date_range_is_an_error_not_a_traceback(wh):
    at = _app().run()
    at.date_input(key="issues_from").set_value(dt.date(2026, 3, 10))
    at.date_input(key="issues_to").set_value(dt.date(2026, 3, 1)).run()
    assert not at.exception
    assert "backwards" in at.error[0].value and not at.dataframe


def test_signed_out_session_gets_a_warning(wh):
    at = _app(user=None).run()
    assert not at.exception and "Sign in again" in at.warning[0].value


def test_empty_warehouse_shows_an_info_message(db_path, monkeypatch):
    monkeypatch.setenv("DQ_WAREHOUSE", db_path)
    at = _app().run()
    assert not at.exception and "No meter issues yet" in at.info[0].value


def test_account_filter_gets_a_new_widget_when_screen_share_mode_switches(wh):
    at = _app().run()
    account = next(iter(at.multiselect(key="issues_accounts").options))
    at.multiselect(key="issues_accounts").select(account).run()
    chosen = at.multiselect(key="issues_accounts").value
    assert chosen and not account.startswith("Account ")  # a real name before masking
    at.session_state["dq_mask"] = True
    at.run()
    assert not at.exception
    masked = at.multiselect(key="issues_accounts_masked")
    assert masked.value == chosen  # the choice carried over to the new widget
    assert all(o.startswith("Account ") for o in masked.options)


# ---- My queue and assignment (issue 16) ------------------------------------------------------

DEMO_STAFF = User("staff", "Demo staff", "staff", frozenset({"acc-01", "acc-02"}))  # a demo user


def _todo(wh, where, params=()):
    return wh.fetch_all(
        "SELECT issue_id FROM dq_issues WHERE kind = 'meter' AND status IN ('open', "
        f"'acknowledged') AND {where} ORDER BY issue_id",
        params,
    )


def _metric(at, label):
    return next(m.value for m in at.sidebar.get("metric") if m.label == label)


def test_the_page_opens_on_my_queue_with_its_counts_in_the_sidebar(wh):
    ids = [r[0] for r in _todo(wh, "account_id = 'acc-01'")]
    mine, others = ids[-3:], ids[:2]  # the last ids: not the first rows by severity and age
    wh.execute(
        f"UPDATE dq_issues SET assignee = 'staff' WHERE issue_id IN ({', '.join('?' * 3)})", mine
    )
    wh.execute("UPDATE dq_issues SET assignee = 'ds' WHERE issue_id IN (?, ?)", others)
    scope = "account_id IN ('acc-01', 'acc-02')"
    unassigned = len(_todo(wh, f"{scope} AND assignee IS NULL"))
    at = _app(DEMO_STAFF).run()
    assert not at.exception
    assert at.sidebar.radio(key="issues_view").value == "queue"  # the page opens on My queue
    assert (_metric(at, "Assigned to me"), _metric(at, "Unassigned")) == ("3", f"{unassigned:,}")
    assert f"**{3 + unassigned:,}** issues match" in at.caption[1].value
    rows = _rows(at)
    assert sorted(rows.index[:3]) == sorted(mine)  # mine first, then the unassigned ones
    assert set(rows["assignee"].iloc[3:].dropna()) == set()
    assert not set(others) & set(rows.index)  # someone else's issues are not in my queue
    at.sidebar.radio(key="issues_view").set_value("all").run()
    assert not at.exception
    total = len(_todo(wh, scope))
    assert f"**{total:,}** issues match" in at.caption[1].value


def test_assigning_in_the_table_is_saved_and_audited(wh):
    at = _app(User("admin", "Demo admin", "admin", None)).run()
    at.sidebar.radio(key="issues_view").set_value("all").run()
    rows = _rows(at)
    account = dict(wh.fetch_all("SELECT issue_id, account_id FROM dq_issues"))
    own = next(i for i in rows.index if account[i] == "acc-01")  # the demo staff's account
    other = next(i for i in rows.index if account[i] not in ("acc-01", "acc-02"))
    pos = {i: n for n, i in enumerate(rows.index)}
    edit(at, "issues_editor", {pos[own]: {"assignee": "staff"}, pos[other]: {"assignee": "staff"}})
    at.button(key="issues_save").click().run()
    assert not at.exception
    assert any("Saved 1 change" in s.value for s in at.success)
    assert any(other in w.value and "staff is not granted this account" in w.value
               for w in at.warning)  # fmt: skip
    assert wh.fetch_all(
        "SELECT issue_id, assignee, assigned_by, status, status_by FROM dq_issues "
        "WHERE issue_id IN (?, ?) ORDER BY assignee NULLS LAST",
        (own, other),
    ) == [(own, "staff", "admin", "open", "system"), (other, None, None, "open", "system")]
    assert wh.fetch_all(
        "SELECT changed_by, from_status, to_status, from_assignee, to_assignee FROM issue_events "
        "WHERE issue_id = ?",
        (own,),
    ) == [("admin", "open", "open", None, "staff")]
    assert _rows(at).loc[own, "assignee"] == "staff"  # reloaded after the save


def test_bulk_assign_to_selected_keeps_their_status(wh):
    at = _app(User("admin", "Demo admin", "admin", None), edits={0: {"select": True},
                                                                 1: {"select": True}})  # fmt: skip
    at.run()
    chosen = list(_rows(at).index[:2])
    assert at.selectbox(key="issues_bulk_status").value is None  # (keep) by default
    at.selectbox(key="issues_bulk_assignee").set_value("ds")
    at.button(key="issues_bulk_apply").click().run()
    assert not at.exception
    got = wh.fetch_all(
        "SELECT assignee, status FROM dq_issues WHERE issue_id IN (?, ?)", tuple(chosen)
    )
    assert got == [("ds", "open")] * 2


def test_a_role_that_may_assign_but_not_triage_edits_only_the_assignee(wh, monkeypatch):
    monkeypatch.setitem(ACTIONS, "triage", ("admin",))
    at = _app(DEMO_STAFF).run()
    assert not at.exception
    assert not [s for s in at.selectbox if s.key == "issues_bulk_status"]
    assert at.selectbox(key="issues_bulk_assignee")
    issue_id = _rows(at).index[0]
    edit(at, "issues_editor", {0: {"status": "resolved", "assignee": "staff"}})
    at.button(key="issues_save").click().run()
    assert any("cannot change issues" in w.value for w in at.warning)
    assert _issue(wh, issue_id)[0] == "open"


def test_the_assignee_choices_are_people_of_my_accounts_only(wh, tmp_path, monkeypatch):
    from core.auth import write_users

    write_users({
        "sam": {"password": "x", "role": "staff", "accounts": ["acc-01"]},
        "zoe.other": {"password": "x", "role": "staff", "accounts": ["acc-03"]},
        "ada": {"password": "x", "role": "admin", "accounts": "all"},
        "bea": {"password": "x", "role": "bse", "accounts": "all"},
    })  # fmt: skip
    at = _app(STAFF).run()  # sam of acc-01
    assert not at.exception
    options = at.selectbox(key="issues_bulk_assignee").options
    assert options == ["(keep)", "(unassigned)", "ada", "sam"]  # not zoe (acc-03), not a bse
    assert "zoe.other" not in sent(at)
