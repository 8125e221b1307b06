"""core.ui.mute_panel under Streamlit's AppTest: mute a detector on a meter, end it, read only."""

import datetime as dt

from streamlit.testing.v1 import AppTest

from core.auth import User
from core.db import open_warehouse
from core.dq import mutes
from tests.pages.pagetest import plain

STAFF = User("sam", "Sam", "staff", frozenset({"acc-1"}))
BSE = User("bea", "Bea", "bse", None)
START = dt.datetime(2026, 3, 1)


def _warehouse(url):
    """One meter with an open negative_value issue (the linked one) and a flatline one."""
    db = open_warehouse(url)
    db.execute(
        "INSERT INTO meters (meter_id, building_id, account_id, kind, unit, building_name, "
        "account_name, timezone, dq_enabled, account_active, building_archived, "
        "interval_minutes) VALUES ('m1', 'b1', 'acc-1', 'electricity', 'kWh', 'Tower', "
        "'Northwind', 'UTC', TRUE, TRUE, FALSE, 15)"
    )
    for issue_id, detector in (("i-flat", "flatline"), ("i-neg", "negative_value")):
        db.execute(
            "INSERT INTO dq_issues (issue_id, kind, detector, account_id, building_id, meter_id, "
            "start_ts, end_ts, severity, magnitude, details, first_seen_run, last_seen_run, "
            "status, status_by, status_at) VALUES (?, 'meter', ?, 'acc-1', 'b1', 'm1', ?, ?, "
            "'high', 1.0, '{}', 'r1', 'r1', 'open', 'system', ?)",
            (issue_id, detector, START, START + dt.timedelta(days=1), START),
        )
    return db


def _script(url, user, linked):
    from core.db import open_warehouse
    from core.ui import mute_panel, widgets

    db = open_warehouse(url)
    found = db.fetch_df("SELECT issue_id, detector FROM dq_issues ORDER BY issue_id")
    widgets.flash("t")
    mute_panel.panel("t", db, user, "m1", found, linked)


def _app(url, user, linked=None):
    return AppTest.from_function(_script, args=(url, user, linked), default_timeout=30)


def test_mute_the_linked_detector_then_end_the_mute(db_path):
    db = _warehouse(db_path)
    at = _app(db_path, STAFF, "i-neg").run()
    assert not at.exception
    assert [e.label for e in at.expander] == ["Muted detectors (0)"]
    assert at.selectbox(key="t_mute_detector").value == "negative_value"  # the link's
    at.text_input(key="t_mute_reason").input("CT clamp broken")
    at.button(key="FormSubmitter:t_mute-Mute").click().run()
    assert not at.exception
    assert any("negative_value muted on this meter until" in plain(s.value) for s in at.success)
    assert [e.label for e in at.expander] == ["Muted detectors (1)"]
    assert "negative_value until" in at.text[0].value and "CT clamp broken" in at.text[0].value
    assert db.fetch_value("SELECT status FROM dq_issues WHERE issue_id = 'i-neg'") == "muted"
    at.button(key="t_unmute_0").click().run()
    assert any("Mute ended; 1 reopened." in plain(s.value) for s in at.success)
    assert db.fetch_value("SELECT status FROM dq_issues WHERE issue_id = 'i-neg'") == "open"


def test_without_a_link_the_form_offers_the_first_issue_and_a_refusal_is_a_message(db_path):
    _warehouse(db_path)
    at = _app(db_path, STAFF).run()
    assert at.selectbox(key="t_mute_detector").value == "flatline"
    at.button(key="FormSubmitter:t_mute-Mute").click().run()  # no reason
    assert not at.exception
    assert any("give a reason" in e.value for e in at.error)


def test_a_role_that_cannot_triage_sees_the_mutes_only(db_path):
    db = _warehouse(db_path)
    mutes.mute(db, STAFF, "m1", "flatline", dt.date.today() + dt.timedelta(days=1), "known")
    at = _app(db_path, BSE).run()
    assert not at.exception
    assert [e.label for e in at.expander] == ["Muted detectors (1)"]
    assert not at.button and not at.text_input and not at.selectbox
