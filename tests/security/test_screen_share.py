"""Issue 11 item 6: screen-share mode hides every account, building, meter and bill name or id.

Per page (AppTest, screen-share mode on): nothing the browser receives (element protos, table
cells, chart data) holds a real name or id of any account, the user's own included; error and
warning messages, the Admin page's reasons and the Overview's failed-run text are masked; the
URL keeps no ``?meter=``. Pseudonyms do not collide in a 100,000-meter fleet.
"""

import io
from datetime import datetime

import openpyxl
import pytest

from core import masking, runs
from core.auth import User
from core.db import open_warehouse
from core.views import issues, offline
from core.views.bills import issues as bill_issues
from core.views.bills import report
from tests.pages.pagetest import app, plain, sent

STAFF = User("staff", "Demo staff", "staff", frozenset({"acc-01", "acc-02"}))
ADMIN = User("ada", "Ada", "admin", None)
BSE = User("bea", "Bea", "bse", frozenset({"acc-01", "acc-02"}))
SALT = "s" * 32
ALL = ("open", "acknowledged", "resolved", "ignored", "not_an_issue")


def names(db) -> set[str]:
    """Every real account, building, meter and bill name and id in the warehouse."""
    rows = db.fetch_all(
        "SELECT DISTINCT account_id, account_name, building_id, building_name, meter_id FROM meters"
    )
    found = {str(v) for row in rows for v in row if v}
    return found | {r[0] for r in db.fetch_all("SELECT bill_id FROM bills")}


def _masked(page, url, monkeypatch, user, query=None):
    return app(page, url, monkeypatch, user, query=query, dq_mask=True, dq_mask_salt=SALT).run()


def _leaks(at, db) -> list[str]:
    text = sent(at)
    return sorted(n for n in names(db) if n in text)


PAGES = [
    ("issues", STAFF, {}),
    ("offline", STAFF, {}),
    ("overview", STAFF, {}),
    ("explorer", STAFF, {}),
    ("bills", STAFF, {}),
    ("sandbox", STAFF, {"model": "flatline"}),
    ("sandbox", STAFF, {"model": "usage_outlier"}),
    ("sandbox", STAFF, {"model": "overshoot"}),
    ("projects", BSE, {}),
    ("admin", ADMIN, {}),
    ("owners", ADMIN, {}),
    ("overview", ADMIN, {}),
]


@pytest.mark.parametrize(
    ("page", "user", "query"),
    PAGES,
    ids=[f"{p}-{u.role}-{q.get('model', '')}" for p, u, q in PAGES],
)
def test_every_page_shows_pseudonyms_only(hostile_url, monkeypatch, page, user, query):
    db = open_warehouse(hostile_url)
    at = _masked(page, hostile_url, monkeypatch, user, query)
    assert not at.exception
    assert _leaks(at, db) == []
    assert "meter" not in at.query_params and "building" not in at.query_params


def test_deep_links_keep_no_meter_id_in_the_url(hostile_url, monkeypatch):
    db = open_warehouse(hostile_url)
    issue_id, meter = db.fetch_all(
        "SELECT issue_id, meter_id FROM dq_issues WHERE kind = "
        "'meter' AND account_id = 'acc-01' ORDER BY 1 LIMIT 1"
    )[0]
    at = _masked("explorer", hostile_url, monkeypatch, STAFF, {"issue": issue_id})
    assert not at.exception and _leaks(at, db) == []
    assert dict(at.query_params) == {"issue": [issue_id]} or at.query_params["issue"] == issue_id
    assert plain(at.subheader[0].value) == masking.pseudonym("Meter", meter, SALT)
    at = _masked("explorer", hostile_url, monkeypatch, STAFF, {"meter": meter})
    assert not at.exception and _leaks(at, db) == []
    assert "meter" not in at.query_params  # taken out of the URL bar...
    assert plain(at.subheader[0].value) == masking.pseudonym("Meter", meter, SALT)  # ...kept
    at.run()  # and the pick survives the next rerun
    assert plain(at.subheader[0].value) == masking.pseudonym("Meter", meter, SALT)


def test_error_messages_are_masked(hostile_url, monkeypatch):
    db = open_warehouse(hostile_url)
    other = db.fetch_value("SELECT min(meter_id) FROM meters WHERE account_id = 'acc-03'")
    at = _masked("explorer", hostile_url, monkeypatch, STAFF, {"meter": other})
    assert plain(at.error[0].value) == (
        f"Meter {masking.pseudonym('Meter', other, SALT)} does not exist"
    )
    assert other not in sent(at) and "meter" not in at.query_params
    at = _masked("sandbox", hostile_url, monkeypatch, STAFF, {"model": "flatline", "meter": other})
    assert not at.exception and other not in sent(at)


def _fail_runs(db, meter, building_name):
    partial = runs.Run("dq", {"date": "2026-03-10"})
    runs.start(db, partial)
    db.execute(
        "UPDATE dq_runs SET status = 'partial', finished_at = ?, units_failed = 1, "
        "error = ? WHERE run_id = ?",
        (
            datetime(2026, 12, 31),
            f"{meter}: flatline raised ValueError near {meter}",
            partial.run_id,
        ),
    )
    failed = runs.Run("dq", {"date": "2026-03-11"})
    runs.start(db, failed)
    db.execute(
        "UPDATE dq_runs SET status = 'failed', finished_at = ?, error = ? WHERE run_id = ?",
        (datetime(2026, 12, 31), f"KeyError: meter {meter} of {building_name}", failed.run_id),
    )


@pytest.fixture
def failed_runs(hostile_url):
    """A partial and a failed DQ run whose errors name a meter and a building: (db, meter)."""
    db = open_warehouse(hostile_url)
    meter, building = db.fetch_all(
        "SELECT meter_id, building_name FROM meters WHERE account_id = 'acc-01' LIMIT 1"
    )[0]
    _fail_runs(db, meter, building)
    return db, meter


def test_the_overviews_failed_run_text_is_masked(hostile_url, monkeypatch, failed_runs):
    db, meter = failed_runs
    at = _masked("overview", hostile_url, monkeypatch, ADMIN)
    assert masking.pseudonym("Meter", meter, SALT) in plain(at.error[0].value)
    assert _leaks(at, db) == []


def test_the_admin_pages_reasons_are_masked(hostile_url, monkeypatch, failed_runs):
    db, meter = failed_runs
    at = _masked("admin", hostile_url, monkeypatch, ADMIN)
    assert not at.exception and _leaks(at, db) == []
    shown = app("admin", hostile_url, monkeypatch, ADMIN).run()  # not sharing: the real ids
    assert meter in sent(shown)


def test_downloads_are_masked(hostile_url):
    db = open_warehouse(hostile_url)
    mask = lambda df: masking.mask_frame(df, SALT)  # noqa: E731 - what ui.masker() returns
    files = [
        issues.export_csv(db, STAFF, issues.Filters(statuses=ALL), mask),
        bill_issues.export_csv(db, STAFF, bill_issues.Filters(statuses=ALL), mask, SALT),
    ]
    found = offline.offline_devices(db, STAFF)
    files.append(offline.csv_bytes(mask(found.now), mask(found.dormant)))
    for data in files:
        text = data.decode()
        assert len(text.splitlines()) > 1
        assert sorted(n for n in names(db) if n in text) == []
    book = openpyxl.load_workbook(io.BytesIO(report.workbook(db, STAFF, None, mask, SALT)))
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    text = " ".join(f"{c.value} {c.hyperlink.target if c.hyperlink else ''}" for c in cells)
    assert sum(ws.max_row - 1 for ws in book.worksheets[1:]) > 1
    assert sorted(n for n in names(db) if n in text) == []


def test_pseudonyms_do_not_collide_in_a_100000_meter_fleet():
    ids = [f"m-{i:06d}" for i in range(100_000)]
    for label in ("Meter", "Building", "Account", "Bill"):
        shown = {masking.pseudonym(label, i, SALT) for i in ids}
        assert len(shown) == len(ids)
    assert len(masking.pseudonym("Meter", "m-1", SALT)) == len("Meter ") + 10


def test_mask_text_replaces_whole_names_and_ids_only():
    terms = {
        "m-1": ("Meter", "m-1"),
        "Acme Corp": ("Account", "acc-1"),
        "acc-1": ("Account", "acc-1"),
    }
    out = masking.mask_text("m-1 of Acme Corp (acc-1) is not m-10 nor xm-1", terms, SALT)
    meter, account = (
        masking.pseudonym("Meter", "m-1", SALT),
        masking.pseudonym("Account", "acc-1", SALT),
    )
    assert out == f"{meter} of {account} ({account}) is not m-10 nor xm-1"


def test_known_terms_are_found_by_the_warehouse(hostile_url):
    db = open_warehouse(hostile_url)
    meter, building, account = db.fetch_all(
        "SELECT meter_id, building_name, account_id FROM meters LIMIT 1"
    )[0]
    terms = masking.known_terms(db, [f"{meter} in {building}", f"for {account}", None])
    assert terms[meter] == ("Meter", meter) and terms[account] == ("Account", account)
    assert terms[building][0] == "Building"


def _sidebar_script():
    import streamlit as st

    from core import ui

    ui.restore_screen_share()  # as Home.py does before its toggle
    st.toggle("Screen-share mode", key=ui.MASK_KEY)
    st.write("masked" if ui.masking_on() else "plain")


def _session(user):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_sidebar_script)
    at.session_state["dq_user"] = user
    return at.run()


def test_a_new_session_of_a_sharing_user_starts_masked():
    sharer, other = User("s1", "S", "staff", None), User("s2", "T", "staff", None)
    first = _session(sharer)
    assert not first.toggle[0].value
    first.toggle[0].set_value(True).run()
    assert first.markdown[0].value == "masked"
    second = _session(sharer)  # a new tab, a reload, a deep link
    assert second.toggle[0].value and second.markdown[0].value == "masked"
    assert not _session(other).toggle[0].value  # only that user's sessions
    second.toggle[0].set_value(False).run()  # turned off: new sessions start plain again
    assert not _session(sharer).toggle[0].value


def test_comment_threads_show_pseudonyms_for_the_names_they_mention(hostile_url, monkeypatch):
    from core import comments

    db = open_warehouse(hostile_url)
    issue_id, meter, building, building_id = db.fetch_all(
        "SELECT i.issue_id, i.meter_id, m.building_name, m.building_id FROM dq_issues i JOIN meters m "
        "ON m.meter_id = i.meter_id WHERE i.kind = 'meter' AND i.account_id = 'acc-01' "
        "AND i.status = 'open' ORDER BY i.severity, i.start_ts LIMIT 1"
    )[0]
    comments.add(db, STAFF, issue_id, f"Called the site manager of {building} about {meter}")
    for page in ("explorer", "issues"):
        at = _masked(page, hostile_url, monkeypatch, STAFF, {"issue": issue_id})
        box = next(b for b in at.selectbox if b.label == "Issue")
        if box.value != issue_id:
            box.set_value(issue_id).run()
        assert not at.exception and _leaks(at, db) == []
        body = [plain(m.value) for m in at.markdown if "site manager" in plain(m.value)]
        assert body == [
            f"Called the site manager of {masking.pseudonym('Building', building_id, SALT)} about "
            f"{masking.pseudonym('Meter', meter, SALT)}"
        ]
        assert any(plain(c.value).startswith("staff · ") for c in at.caption)  # author, time
