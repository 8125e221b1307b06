"""Utility bills page: findings with figures, triage edits, history chart, scope, masking, input."""

import datetime as dt

import pytest

from core import triage
from core.auth import User
from core.db import open_warehouse
from core.pages import ACTIONS
from tests.core.views.bills.billdata import ADMIN, ODD_ID, STAFF_A, seed
from tests.pages.pagetest import app, edit, plain, sent

BEA = User("bea", "Bea", "bse", None)
B_SECRETS = ("Beta Corp", "Beta Plaza", "bl-m3-", "acc-b", "unit_rate_outlier", "f-beta")


@pytest.fixture
def wh(tmp_path):
    """A fresh warehouse file with two accounts' bills and bill findings: (url, db)."""
    url = f"duckdb:///{tmp_path}/bills.duckdb"
    return url, seed(open_warehouse(url))


def _page(wh, monkeypatch, user=ADMIN, edits=None, **state):
    at = app("bills", wh[0], monkeypatch, user, **state)
    if edits is not None:
        edit(at, "bills_editor", edits)
    return at


def _rows(at):
    return at.dataframe[0].value


def _status(db, issue_id):
    return db.fetch_all(
        "SELECT status, status_by, status_note FROM dq_issues WHERE issue_id = ?", (issue_id,)
    )[0]


def test_renders_findings_with_the_bills_figures_and_history(wh, monkeypatch):
    at = _page(wh, monkeypatch).run()
    assert not at.exception
    rows = _rows(at)
    assert list(rows.index) == [
        "f-out",
        "f-gap",
        "f-beta",
        "f-zero",
        "f-gone",
        "f-neg",
    ]  # open work
    first = rows.loc["f-out"]
    assert list(rows.columns)[:12] == [
        "severity",
        "check",
        "building",
        "period",
        "usage",
        "unit",
        "use_per_day",
        "cost",
        "cost_per_unit",
        "estimated",
        "status",
        "note",
    ]
    assert (first["check"], first["bill"], first["period"]) == (
        "usage_outlier",
        ODD_ID,
        "2025-03-01 to 2025-03-31",
    )
    assert (first["usage"], first["unit"], first["use_per_day"], first["cost"]) == (
        9300.0,
        "kWh",
        300.0,
        1395.0,
    )
    assert first["cost_per_unit"] == pytest.approx(0.15)
    assert "baseline_per_day: 102" in first["finding"]
    assert "link" not in rows.columns  # no template: no link column
    assert "**6** findings match" in at.caption[1].value
    assert at.button(key="bills_save") and at.get("download_button")
    assert at.selectbox(key="bills_pick").value == "f-out"
    chart = at.get("vega_lite_chart")
    assert len(chart) == 2 and "kWh per day" in str(chart[0].proto)
    assert "$ per kWh" in str(chart[1].proto)
    assert any("6 bills of meter m1" in c.value for c in at.caption)
    assert any("300.0 kWh/day" in m.value and "$1,395.00" in m.value for m in at.markdown)


def test_picking_a_finding_shows_its_meter_or_says_there_is_none(wh, monkeypatch):
    at = _page(wh, monkeypatch).run()
    at.selectbox(key="bills_pick").set_value("f-beta").run()
    assert not at.exception and any("6 bills of meter m3" in c.value for c in at.caption)
    at.selectbox(key="bills_pick").set_value("f-neg").run()
    assert not at.exception and not at.get("vega_lite_chart")
    assert any("whole building" in i.value for i in at.info)
    assert _rows(at).loc["f-neg", "meter"] == "—"


def test_link_column_from_the_url_template(wh, monkeypatch):
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", "https://platform.example/bills/{bill_id}")
    at = _page(wh, monkeypatch).run()
    assert not at.exception
    links = _rows(at)["link"]
    assert links["f-out"] == "https://platform.example/bills/INV%202025%2F03%3Fx%3D1%23a"
    assert at.get("link_button")[0].proto.url == links["f-out"]
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", "https://platform.example/bills/")  # no {bill_id}
    at = _page(wh, monkeypatch).run()
    assert not at.exception and "link" not in _rows(at).columns
    assert "DQ_BILL_URL_TEMPLATE" in plain(at.warning[0].value)


def test_status_edit_is_saved_with_an_audit_event(wh, monkeypatch):
    db = wh[1]
    at = _page(wh, monkeypatch, STAFF_A, edits={0: {"status": "acknowledged"}}).run()
    assert _rows(at).index[0] == "f-out"
    at.button(key="bills_save").click().run()
    assert not at.exception
    assert _status(db, "f-out") == ("acknowledged", "sam", None)
    assert db.fetch_all(
        "SELECT changed_by, from_status, to_status FROM issue_events WHERE issue_id = 'f-out'"
    ) == [("sam", "open", "acknowledged")]
    assert any("Saved 1 change" in s.value for s in at.success)
    assert _rows(at).loc["f-out", "status"] == "acknowledged"  # reloaded after the save


def test_note_edit_is_saved(wh, monkeypatch):
    at = _page(wh, monkeypatch, edits={1: {"note": "utility re-read the meter"}}).run()
    at.button(key="bills_save").click().run()
    assert not at.exception
    assert _status(wh[1], "f-gap") == ("open", "ada", "utility re-read the meter")


def test_stale_edit_is_refused_and_not_overwritten(wh, monkeypatch):
    db = wh[1]
    at = _page(wh, monkeypatch, STAFF_A).run()
    triage.set_status(db, User("bob", "Bob", "staff", None), "f-out", "acknowledged", "mine")
    edit(at, "bills_editor", {0: {"status": "resolved"}})
    at.button(key="bills_save").click().run()
    assert not at.exception
    assert any(
        "f-out" in plain(w.value) and "after you loaded it" in plain(w.value) for w in at.warning
    )
    assert _status(db, "f-out") == ("acknowledged", "bob", "mine")


def test_staff_sees_nothing_of_other_accounts_anywhere(wh, monkeypatch):
    at = _page(wh, monkeypatch, STAFF_A).run()
    assert not at.exception and len(_rows(at)) == 5
    text = sent(at)
    assert "Alpha Corp" in text and "kWh per day" in text  # the check sees names and the chart
    assert [s for s in B_SECRETS if s in text] == []
    options = at.selectbox(key="bills_pick").options
    assert len(options) == 5
    for option in range(len(options)):  # every finding's details and history
        at.selectbox(key="bills_pick").set_value(at.selectbox(key="bills_pick").options[option])
        at.run()
        assert not at.exception and [s for s in B_SECRETS if s in sent(at)] == []
    at.multiselect(key="bills_accounts").set_value(["acc-b"]).run()  # not an option: still scoped
    assert not at.exception and [s for s in B_SECRETS if s in sent(at)] == []


def test_screen_share_mode_hides_names_and_bill_ids(wh, monkeypatch):
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", "https://platform.example/bills/{bill_id}")
    at = _page(wh, monkeypatch, STAFF_A, dq_mask=True, dq_mask_salt="salt").run()
    assert not at.exception
    text = sent(at)
    real = (
        "Alpha Corp",
        "Alpha Tower",
        "Alpha Depot",
        "acc-a",
        "bl-m1",
        "bl-m2",
        "INV",
        "platform.example",
        "of m1",
    )
    assert [v for v in real if v in text] == []
    rows = _rows(at)
    assert rows["account"].str.startswith("Account ").all()
    assert rows["bill"].str.startswith("Bill ").all() and "link" not in rows.columns
    assert rows.loc["f-gap", "finding"].startswith("gap_days: 3 · previous_bill_id: Bill ")
    assert not at.get("link_button")
    assert any("bills of meter Meter " in c.value for c in at.caption)


def test_role_that_cannot_triage_sees_a_read_only_table(wh, monkeypatch):
    monkeypatch.setitem(ACTIONS, "triage", ("admin",))
    at = _page(wh, monkeypatch, STAFF_A).run()
    assert not at.exception and len(_rows(at))
    assert not [b for b in at.button if b.key == "bills_save"]
    assert any("Read-only" in c.value for c in at.caption)
    assert at.dataframe[0].proto.disabled


def test_bse_cannot_open_the_page(wh, monkeypatch):
    at = _page(wh, monkeypatch, BEA).run()
    assert not at.exception and "cannot open this page" in at.error[0].value


def test_filters_and_paging(wh, monkeypatch):
    monkeypatch.setenv("DQ_PAGE_SIZE", "2")
    at = _page(wh, monkeypatch).run()
    assert list(_rows(at).index) == ["f-out", "f-gap"] and "page 1 of 3" in at.caption[1].value
    at.number_input(key="bills_page").set_value(2).run()
    assert list(_rows(at).index) == ["f-beta", "f-zero"]
    at.multiselect(key="bills_checks").set_value(["bill_gap", "zero_usage"]).run()
    assert list(_rows(at).index) == ["f-gap", "f-zero"]  # new filters: back to page 1
    at.date_input(key="bills_from").set_value(dt.date(2025, 5, 1)).run()
    assert not at.exception and list(_rows(at).index) == ["f-gap"]
    at.multiselect(key="bills_statuses").set_value(["not_an_issue"]).run()
    assert not at.exception and any("No bill findings match" in i.value for i in at.info)


def test_backwards_period_range_is_an_error_not_a_traceback(wh, monkeypatch):
    at = _page(wh, monkeypatch).run()
    at.date_input(key="bills_from").set_value(dt.date(2025, 6, 1))
    at.date_input(key="bills_to").set_value(dt.date(2025, 3, 1)).run()
    assert not at.exception
    assert "backwards" in at.error[0].value and not at.dataframe


def test_no_findings_explains_the_job(db_path, monkeypatch):
    at = app("bills", db_path, monkeypatch, ADMIN).run()
    assert not at.exception and "python -m jobs run bills" in at.info[0].value


def test_signed_out_session_gets_a_warning(wh, monkeypatch):
    at = _page(wh, monkeypatch, None).run()
    assert not at.exception and "Sign in again" in at.warning[0].value


def test_switching_screen_share_mode_on_keeps_the_choices_under_new_widgets(wh, monkeypatch):
    # The browser keeps a picked option's old label while the widget stays the same: the
    # name-bearing widgets change key with the mode, carrying their choices over.
    at = _page(wh, monkeypatch, STAFF_A).run()
    at.multiselect(key="bills_buildings").set_value(["b1"]).run()
    at.selectbox(key="bills_pick").set_value("f-gap").run()
    at.session_state["dq_mask"], at.session_state["dq_mask_salt"] = True, "salt"
    at.run()
    assert not at.exception
    assert at.multiselect(key="bills_buildings_masked").value == ["b1"]
    pick = at.selectbox(key="bills_pick_masked")
    assert pick.value == "f-gap" and "Alpha Tower" not in str(pick.proto)
    assert "Alpha Tower" not in sent(at)
    assert sorted(_rows(at).index) == ["f-gap", "f-gone", "f-neg", "f-out"]  # still only b1


def test_a_page_emptied_by_someone_elses_changes_falls_back_to_the_last_page(wh, monkeypatch):
    monkeypatch.setenv("DQ_PAGE_SIZE", "2")
    at = _page(wh, monkeypatch).run()
    at.number_input(key="bills_page").set_value(3).run()
    assert list(_rows(at).index) == ["f-gone", "f-neg"]
    bob = User("bob", "Bob", "staff", None)
    for issue_id in ("f-gone", "f-neg"):
        triage.set_status(wh[1], bob, issue_id, "resolved")
    at.run()
    assert not at.exception and at.number_input(key="bills_page").value == 2
    assert list(_rows(at).index) == ["f-beta", "f-zero"] and "page 2 of 2" in at.caption[1].value


def _downloads(monkeypatch) -> dict:
    """Download buttons' deferred builders by file suffix, captured as the page draws them."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    built, real = {}, MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        built[file_name.rsplit(".", 1)[-1]] = (data_callable, mimetype, file_name)
        return real(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return built


def test_the_bill_report_download_is_a_workbook_of_the_clicking_users_findings(wh, monkeypatch):
    import io

    import openpyxl

    from core.bills import REGISTRY
    from core.ui import gate

    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", "https://platform.example/bills/{bill_id}")
    built = _downloads(monkeypatch)
    # Drawn for an admin who lost account B before clicking: the file is built for the click.
    at = _page(wh, monkeypatch, ADMIN, **{gate.RESOLVE_KEY: lambda: STAFF_A}).run()
    assert not at.exception and "f-beta" in _rows(at).index
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the bill report (.xlsx, 6 findings)" in labels
    build, mime, name = built["xlsx"]
    assert mime.endswith("spreadsheetml.sheet") and name.startswith("bill_report_")
    book = openpyxl.load_workbook(io.BytesIO(build()))  # what a click downloads
    assert book.sheetnames == ["Summary", *REGISTRY]
    listed = {r[0] for c in REGISTRY for r in book[c].iter_rows(min_row=2, values_only=True)}
    assert listed == {"f-out", "f-gap", "f-zero", "f-gone", "f-neg"}  # the page's filters, A only
    bill = book["usage_outlier"]["I2"]
    assert bill.value == ODD_ID and bill.hyperlink.target.startswith("https://platform.example/")
    text = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row)
    secrets = [s for s in B_SECRETS if s != "unit_rate_outlier"]  # a tab of every workbook
    assert [s for s in secrets if s in text] == [] and "Sam (sam)" in text


def test_the_bill_report_download_is_masked_in_screen_share_mode(wh, monkeypatch):
    import io

    import openpyxl

    from core.ui import gate

    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", "https://platform.example/bills/{bill_id}")
    built = _downloads(monkeypatch)
    state = {gate.RESOLVE_KEY: lambda: STAFF_A, "dq_mask": True, "dq_mask_salt": "salt"}
    at = _page(wh, monkeypatch, STAFF_A, **state).run()
    assert not at.exception
    book = openpyxl.load_workbook(io.BytesIO(built["xlsx"][0]()))
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    text = " ".join(str(c.value) for c in cells)
    real = ("Alpha", "acc-a", "bl-m1", "INV", "platform.example", "Beta")
    assert [v for v in real if v in text] == [] and "Account " in text and "Bill " in text
    assert not [c for c in cells if c.hyperlink and c.hyperlink.target]
