"""Meter explorer page: deep links, scope, triage edits, screen-share mode and bad input."""

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.auth import User
from core.db import connect
from tests.pages.pagetest import plain

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "explorer.py")
ADMIN = User("ada", "Ada", "admin", None)
STAFF = User("staff", "Demo staff", "staff", frozenset({"acc-01", "acc-02"}))
BSE = User("bea", "Bea", "bse", None)


@pytest.fixture
def wh(demo_warehouse_file, monkeypatch):
    url, _ = demo_warehouse_file
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    return connect(url)


def _app(user=ADMIN, **query):
    at = AppTest.from_file(PAGE, default_timeout=60)
    if user is not None:
        at.session_state["dq_user"] = user
    for k, v in query.items():
        at.query_params[k] = v
    return at


def _meter_box(at):
    """The meter picker (its key changes with its options, so find it by its label)."""
    return next(box for box in at.selectbox if box.label == "Meter")


def _issue(db, accounts, detector="raw_platform_mismatch"):
    marks = ", ".join("?" for _ in accounts)
    row = db.fetch_all(
        "SELECT i.issue_id, i.meter_id, m.building_name, m.account_name FROM dq_issues i JOIN meters m USING (meter_id) "
        f"WHERE i.account_id IN ({marks}) AND detector = ? ORDER BY issue_id LIMIT 1",
        [*accounts, detector],
    )
    return row[0]


def _texts(at):
    """Every string sent to the browser: element protos (labels, options, chart spec) and table cells.

    A selectbox's ``value`` is the Python-side option (the real meter id); the browser gets only
    its formatted label, which the proto holds.
    """
    out = []
    for el in at.main:
        for attr in ("label", "body", "options") + (() if el.type == "selectbox" else ("value",)):
            try:
                out.append(str(getattr(el, attr)))
            except Exception:
                pass
        out.append(str(el.proto))
    for df in at.dataframe:
        out.append(df.value.to_csv())
    text = "\n".join(out)
    return text + "\n" + plain(text)  # Markdown-escaped ids count as shown


def _charts(at):
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def test_renders_a_meter_with_its_chart(wh):
    at = _app().run()
    assert not at.exception
    assert _meter_box(at).value
    assert len(_charts(at)) == 1


def test_deep_link_opens_the_meter_window_and_highlights_the_issue(wh):
    issue_id, meter_id, *_ = _issue(wh, ["acc-01", "acc-02"])
    start, end = wh.fetch_all(
        "SELECT start_ts, end_ts FROM dq_issues WHERE issue_id = ?", [issue_id]
    )[0]
    at = _app(STAFF, issue=issue_id).run()
    assert not at.exception and not at.error
    assert _meter_box(at).value == meter_id
    first, last = at.date_input[0].value
    assert first <= start.date() and last >= (end - dt.timedelta(microseconds=1)).date()
    table = at.dataframe[0].value
    assert table.loc[issue_id, "linked"] and table.linked.sum() == 1
    (spec,) = _charts(at)
    rect, line = spec["layer"]
    assert rect["mark"]["type"] == "rect" and line["mark"]["type"] == "line"
    # a raw_platform_mismatch meter has both feeds: two colours in the legend
    assert line["encoding"]["color"]["scale"]["domain"] == ["platform", "raw"]


def test_meter_link_opens_that_meter(wh):
    _, meter_id, *_ = _issue(wh, ["acc-03"], "spike_positive")
    at = _app(meter=meter_id).run()
    assert not at.exception and not at.error
    assert _meter_box(at).value == meter_id


@pytest.mark.parametrize(("param", "value"), [("issue", "no-such-issue"), ("meter", "m-9999")])
def test_unknown_link_is_an_error_not_a_traceback(wh, param, value):
    at = _app(**{param: value}).run()
    assert not at.exception
    kind = "Issue" if param == "issue" else "Meter"
    assert plain(at.error[0].value) == f"{kind} {value} does not exist"


def test_other_accounts_issue_reads_like_an_unknown_one_and_shows_nothing(wh):
    issue_id, meter_id, building, account = _issue(wh, ["acc-03", "acc-04"])
    at = _app(STAFF, issue=issue_id).run()
    assert not at.exception
    assert [plain(e.value) for e in at.error] == [f"Issue {issue_id} does not exist"]
    assert not at.selectbox and not at.dataframe and not _charts(at)
    text = _texts(at)
    for secret in (meter_id, building, account):
        assert secret not in text
    at = _app(STAFF, meter=meter_id).run()
    assert [plain(e.value) for e in at.error] == [f"Meter {meter_id} does not exist"]
    assert not at.dataframe and not _charts(at)


def test_status_edit_lands_with_an_audit_event(wh):
    issue_id, *_ = _issue(wh, ["acc-01", "acc-02"])
    at = _app(STAFF, issue=issue_id).run()
    row = list(at.dataframe[0].value.index).index(issue_id)
    at.session_state["explorer_editor"] = {
        "edited_rows": {row: {"status": "acknowledged", "status_note": "looking"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert at.button(key="explorer_save").label == "Save 1 change(s)"
    at.button(key="explorer_save").click().run()
    assert not at.exception
    assert "Saved 1 change(s)." in [plain(s.value) for s in at.success]
    assert wh.fetch_all(
        "SELECT status, status_by, status_note FROM dq_issues WHERE issue_id = ?", [issue_id]
    ) == [("acknowledged", "staff", "looking")]
    assert wh.fetch_all(
        "SELECT changed_by, from_status, to_status FROM issue_events WHERE issue_id = ?", [issue_id]
    ) == [("staff", "open", "acknowledged")]
    assert at.dataframe[0].value.loc[issue_id, "status"] == "acknowledged"
    assert at.button(key="explorer_save").disabled  # nothing left to save


def test_stale_edit_is_refused_with_a_message(wh):
    from core import triage

    issue_id, *_ = _issue(wh, ["acc-01", "acc-02"])
    at = _app(STAFF, issue=issue_id).run()
    row = list(at.dataframe[0].value.index).index(issue_id)
    at.session_state["explorer_editor"] = {
        "edited_rows": {row: {"status": "resolved"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    triage.set_status(wh, ADMIN, issue_id, "ignored")  # someone else, meanwhile
    at.button(key="explorer_save").click().run()
    assert not at.exception
    assert any("after you loaded it" in e.value for e in at.error)
    assert (
        wh.fetch_value("SELECT status FROM dq_issues WHERE issue_id = ?", [issue_id]) == "ignored"
    )


def test_bse_reads_issues_but_cannot_edit(wh):
    issue_id, *_ = _issue(wh, ["acc-01", "acc-02"])
    at = _app(BSE, issue=issue_id).run()
    assert not at.exception
    assert not at.dataframe[0].proto.editing_mode  # a read-only table, not the editor
    assert not [b for b in at.button if b.key == "explorer_save"]
    assert any("not change them" in c.value for c in at.caption)


def _picker(at):
    return next(box for box in at.selectbox if box.label == "Issue")


def test_the_linked_issues_thread_shows_and_a_comment_is_posted(wh):
    from core import comments

    issue_id, *_ = _issue(wh, ["acc-01", "acc-02"])
    comments.add(wh, ADMIN, issue_id, "Gateway rebooted on Monday")
    at = _app(STAFF, issue=issue_id).run()
    assert not at.exception
    assert _picker(at).value == issue_id  # the link's issue, among the window's
    assert len(_picker(at).options) == len(at.dataframe[0].value)
    assert "1 comment" in _picker(at).options[_picker(at).index]
    assert "Gateway rebooted on Monday" in [plain(m.value) for m in at.markdown]
    at.text_area[0].input("Still flat after the reboot")
    at.button(key="explorer_comment_post").click().run()
    assert not at.exception
    assert wh.fetch_all(
        "SELECT author, body FROM dq_comments WHERE thread_id = ? ORDER BY created_at", [issue_id]
    ) == [("ada", "Gateway rebooted on Monday"), ("staff", "Still flat after the reboot")]
    bodies = [plain(m.value) for m in at.markdown]
    assert bodies.index("Gateway rebooted on Monday") < bodies.index("Still flat after the reboot")


def test_a_building_engineer_comments_on_an_issue_they_cannot_change(wh):
    issue_id, *_ = _issue(wh, ["acc-01", "acc-02"])
    at = _app(BSE, issue=issue_id).run()
    assert not at.dataframe[0].proto.editing_mode
    at.text_area[0].input("CT replaced on site")
    at.button(key="explorer_comment_post").click().run()
    assert not at.exception
    assert wh.fetch_all("SELECT author, thread_id FROM dq_comments") == [("bea", issue_id)]
    assert wh.fetch_value("SELECT status FROM dq_issues WHERE issue_id = ?", [issue_id]) == "open"


def test_screen_share_mode_hides_real_names_everywhere(wh):
    issue_id, meter_id, building, account = _issue(wh, ["acc-01", "acc-02"])
    at = _app(STAFF, issue=issue_id)
    at.session_state["dq_mask"] = True
    at.session_state["dq_mask_salt"] = "salt"
    at.run()
    assert not at.exception
    text = _texts(at)
    assert "Meter " in at.subheader[0].value
    for secret in (meter_id, building, account):
        assert secret not in text
    assert all(meter_id not in o for o in _meter_box(at).options)


def test_backwards_date_range_is_an_error(wh):
    at = _app().run()
    first, last = at.date_input[0].value
    at.date_input[0].set_value((last, first)).run()
    assert not at.exception
    assert "before its start date" in at.error[0].value
    assert not _charts(at)


def test_too_long_window_is_an_error(wh):
    at = _app().run()
    _, last = at.date_input[0].value
    at.date_input[0].set_value((last - dt.timedelta(days=90), last)).run()
    assert not at.exception
    assert "at most 62 days" in at.error[0].value


def test_window_without_readings_says_so(wh):
    at = _app().run()
    at.date_input[0].set_value((dt.date(2020, 1, 1), dt.date(2020, 1, 7))).run()
    assert not at.exception
    assert "No readings for" in at.info[0].value
    assert not _charts(at)


def test_search_narrows_the_picker(wh):
    _, meter_id, *_ = _issue(wh, ["acc-03"], "spike_positive")
    at = _app().run()
    at.text_input(key="explorer_search").input(meter_id).run()
    assert not at.exception
    assert _meter_box(at).value == meter_id
    at.text_input(key="explorer_search").input("nothing like this").run()
    assert "No meter matches" in at.info[0].value


def test_picking_another_meter_drops_the_link(wh):
    issue_id, meter_id, *_ = _issue(wh, ["acc-01", "acc-02"])
    at = _app(STAFF, issue=issue_id).run()
    other = wh.fetch_value(
        "SELECT MIN(meter_id) FROM meters WHERE account_id = 'acc-02' AND meter_id <> ?", [meter_id]
    )
    _meter_box(at).select(other).run()
    assert not at.exception
    assert _meter_box(at).value == other
    assert other in plain(at.subheader[0].value)
    assert "issue" not in at.query_params


def test_empty_warehouse_says_so(db_path, monkeypatch):
    monkeypatch.setenv("DQ_WAREHOUSE", db_path)
    at = _app().run()
    assert not at.exception
    assert "No meters in the warehouse yet" in at.info[0].value


def test_signed_out_gets_a_warning(wh):
    at = _app(user=None).run()
    assert not at.exception
    assert "Sign in again" in at.warning[0].value


def test_each_issue_links_to_its_detector_in_the_sandbox(wh, monkeypatch):
    from urllib.parse import parse_qsl, urlsplit

    issue_id, meter_id, *_ = _issue(wh, ["acc-01", "acc-02"], detector="spike_positive")
    end = wh.fetch_value("SELECT end_ts FROM dq_issues WHERE issue_id = ?", [issue_id])
    at = _app(STAFF, issue=issue_id).run()
    link = at.dataframe[0].value.loc[issue_id, "sandbox"]
    query = dict(parse_qsl(urlsplit(link).query))
    assert urlsplit(link).path == "sandbox"
    assert query == {
        "model": "spike_positive",
        "meter": meter_id,
        "day": str((end - dt.timedelta(seconds=1)).date()),
    }

    # The sandbox opens on that detector, meter and day.
    sandbox = AppTest.from_file(str(Path(PAGE).with_name("sandbox.py")), default_timeout=60)
    sandbox.session_state["dq_user"] = STAFF
    for k, v in query.items():
        sandbox.query_params[k] = v
    sandbox.run()
    assert not sandbox.exception
    assert sandbox.selectbox(key="sbx_model").value == "spike_positive"
    assert meter_id in [s.value for s in sandbox.selectbox]
    assert str(sandbox.date_input[0].value) == query["day"]


def test_no_sandbox_link_in_screen_share_mode(wh):
    issue_id, *_ = _issue(wh, ["acc-01", "acc-02"])
    at = _app(STAFF, issue=issue_id)
    at.session_state["dq_mask"] = True
    at.run()
    assert "sandbox" not in at.dataframe[0].value.columns


def test_a_search_gives_a_fresh_picker_that_keeps_a_meter_it_still_lists(wh):
    db = wh
    at = _app().run()
    first = _meter_box(at).value
    building = db.fetch_value("SELECT building_name FROM meters WHERE meter_id = ?", (first,))
    other = db.fetch_value(
        "SELECT meter_id FROM meters WHERE building_name <> ? ORDER BY meter_id LIMIT 1",
        (building,),
    )
    search = next(t for t in at.text_input if t.label == "Search meters")
    search.set_value(building).run()
    assert _meter_box(at).value == first  # still listed: still picked
    search = next(t for t in at.text_input if t.label == "Search meters")
    search.set_value(other).run()
    assert _meter_box(at).value == other and _meter_box(at).options[0].startswith(other)
