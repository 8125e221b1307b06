"""Pages for people's verdicts: mutes in the Meter explorer, precision on the DQ overview."""

import datetime as dt

import pytest

from core import triage
from core.auth import User
from core.db import open_warehouse
from core.dq import mutes
from tests.pages.pagetest import app, plain, rendered

ADMIN = User("ada", "Ada", "admin", None)
STAFF = User("staff", "Demo staff", "staff", frozenset({"acc-01", "acc-02"}))
BSE = User("bea", "Bea", "bse", None)


@pytest.fixture
def url(demo_warehouse_file):
    return demo_warehouse_file[0]


def _issue(url, account="acc-01", detector="negative_value"):
    return open_warehouse(url).fetch_all(
        "SELECT issue_id, meter_id FROM dq_issues WHERE account_id = ? AND detector = ? "
        "AND status = 'open' ORDER BY issue_id LIMIT 1",
        (account, detector),
    )[0]


def test_mute_a_detector_from_the_explorer_and_end_it(url, monkeypatch):
    issue_id, meter_id = _issue(url)
    at = app("explorer", url, monkeypatch, STAFF, query={"issue": issue_id}).run()
    assert not at.exception
    assert "Muted detectors (0)" in [e.label for e in at.expander]
    assert at.selectbox(key="explorer_mute_detector").value == "negative_value"  # the link's
    at.date_input(key="explorer_mute_until").set_value(dt.date.today() + dt.timedelta(days=3))
    at.text_input(key="explorer_mute_reason").input("CT clamp broken, technician Friday")
    at.button(key="FormSubmitter:explorer_mute-Mute").click().run()
    assert not at.exception
    assert any("muted on this meter" in plain(s.value) for s in at.success)
    db = open_warehouse(url)
    assert db.fetch_value("SELECT status FROM dq_issues WHERE issue_id = ?", [issue_id]) == "muted"
    active = mutes.active(db, STAFF, meter_id)
    assert list(active["reason"]) == ["CT clamp broken, technician Friday"]
    assert "Muted detectors (1)" in [e.label for e in at.expander]
    end = [b for b in at.button if b.key and b.key.startswith("explorer_unmute_")]
    end[0].click().run()
    assert not at.exception
    assert any("Mute ended; 1 reopened." in plain(s.value) for s in at.success)
    assert db.fetch_value("SELECT status FROM dq_issues WHERE issue_id = ?", [issue_id]) == "open"


def test_a_mute_without_a_reason_is_refused_with_a_message(url, monkeypatch):
    issue_id, _ = _issue(url)
    at = app("explorer", url, monkeypatch, STAFF, query={"issue": issue_id}).run()
    at.button(key="FormSubmitter:explorer_mute-Mute").click().run()
    assert not at.exception
    assert any("give a reason" in e.value for e in at.error)


def test_read_only_role_sees_mutes_but_no_form(url, monkeypatch):
    issue_id, meter_id = _issue(url)
    mutes.mute(open_warehouse(url), ADMIN, meter_id, "negative_value",
               dt.date.today() + dt.timedelta(days=1), "known")  # fmt: skip
    at = app("explorer", url, monkeypatch, BSE, query={"issue": issue_id}).run()
    assert not at.exception
    assert not [b for b in at.button if b.key and "unmute" in b.key]
    assert not [t for t in at.text_input if t.key == "explorer_mute_reason"]
    assert any("negative_value until" in t.value for t in at.text)


def test_overview_shows_precision_from_verdicts_within_the_user_scope(url, monkeypatch):
    db = open_warehouse(url)
    mine, _ = _issue(url, "acc-01")
    other, _ = _issue(url, "acc-03")
    triage.set_status(db, ADMIN, mine, "resolved", note="fixed")
    triage.set_status(db, ADMIN, other, "not_an_issue", note="export")
    at = app("overview", url, monkeypatch, STAFF).run()
    assert not at.exception
    assert "Detector precision from your verdicts" in [h.value for h in at.subheader]
    table = next(d.value for d in at.dataframe if "judged" in d.value.columns)
    row = table.set_index("detector").loc["negative_value"]
    assert (row["judged"], row["confirmed"], row["precision"]) == (1, 1, 1.0)  # not acc-03's
    text, _ = rendered(at)
    assert "wastes the team's time" in text
