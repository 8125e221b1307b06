"""The DQ overview page under AppTest, on the scored demo warehouse."""

import pytest

from core import triage
from core.auth import User
from core.db import open_warehouse
from tests.pages.pagetest import app, rendered

ADMIN = User("ada", "Ada", "admin", None)
STAFF_A = User("sam", "Sam", "staff", frozenset({"acc-01"}))


def _app(url, monkeypatch, user=STAFF_A, **state):
    return app("overview", url, monkeypatch, user, **state)


def _names(url, where="TRUE", params=()):
    rows = open_warehouse(url).fetch_all(
        "SELECT DISTINCT account_id, account_name, building_id, building_name, meter_id "
        f"FROM meters WHERE {where}",
        params,
    )
    return {str(v) for row in rows for v in row if v}


@pytest.fixture
def url(demo_warehouse_file):
    return demo_warehouse_file[0]


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_renders_run_scores_and_counts(url, monkeypatch):
    at = _app(url, monkeypatch, ADMIN).run()
    assert not at.exception
    db = open_warehouse(url)
    metrics = _metrics(at)
    assert metrics["Status"] == "ok"
    assert int(metrics["Meters scored"]) == db.fetch_value(
        "SELECT count(DISTINCT meter_id) FROM dq_meter_days"
    )
    accounts, buildings, counts = (d.value for d in at.dataframe[:3])
    assert len(accounts) == 4 and len(buildings) > len(accounts)  # acc-05 is inactive
    assert counts["total"].sum() == db.fetch_value(
        "SELECT count(*) FROM dq_issues WHERE status IN ('open', 'acknowledged')"
    )
    assert "two days are scored" in at.info[0].value  # one scored day: no trend yet


def test_staff_sees_no_number_or_name_of_other_accounts(url, monkeypatch):
    at = _app(url, monkeypatch).run()
    assert not at.exception
    text, cells = rendered(at)
    assert not {v for v in _names(url, "account_id <> ?", ("acc-01",)) if v in cells or v in text}
    db = open_warehouse(url)
    scored = db.fetch_value(
        "SELECT count(DISTINCT meter_id) FROM dq_meter_days WHERE account_id = 'acc-01'"
    )
    assert int(_metrics(at)["Meters scored"]) == scored
    assert at.dataframe[2].value["total"].sum() == db.fetch_value(
        "SELECT count(*) FROM dq_issues WHERE status IN ('open', 'acknowledged') "
        "AND account_id = 'acc-01'"
    )
    assert "accounts granted to you" in at.caption[0].value


def test_screen_share_mode_hides_names(url, monkeypatch):
    at = _app(url, monkeypatch, ADMIN, dq_mask=True, dq_mask_salt="k").run()
    assert not at.exception
    text, cells = rendered(at)
    assert any(c.startswith("Account ") for c in cells)
    assert not {v for v in _names(url) if v in cells or v in text}


def test_time_to_resolve_appears_once_an_issue_is_closed(url, monkeypatch):
    db = open_warehouse(url)
    issue = db.fetch_value("SELECT issue_id FROM dq_issues WHERE account_id = 'acc-01' LIMIT 1")
    triage.set_status(db, ADMIN, issue, "resolved", note="fixed")
    at = _app(url, monkeypatch).run()
    assert not at.exception
    mttr = next(d.value for d in at.dataframe if "mean_hours" in d.value)
    assert mttr["closed"].tolist() == [1] and mttr["mean_hours"].iloc[0] >= 0


def test_empty_warehouse_shows_how_to_start(db_path, monkeypatch):
    at = _app(db_path, monkeypatch, ADMIN).run()
    assert not at.exception
    assert "make run" in at.info[0].value and "python -m jobs run dq" in at.info[0].value


def test_signed_out_user_is_sent_to_sign_in(url, monkeypatch):
    at = _app(url, monkeypatch, user=None).run()
    assert not at.exception
    assert "Sign in again" in at.warning[0].value


def test_trend_chart_once_two_days_are_scored(url, monkeypatch):
    db = open_warehouse(url)
    db.execute(
        "INSERT INTO dq_meter_days SELECT meter_id, account_id, building_id, day - 1, source, "
        "expected_points, present_points, completeness, flagged_points, score, run_id "
        "FROM dq_meter_days"
    )
    at = _app(url, monkeypatch).run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 1
    assert not any("two days are scored" in i.value for i in at.info)


def test_failed_meters_of_other_accounts_stay_hidden(url, monkeypatch):
    db = open_warehouse(url)
    mine, theirs = (
        db.fetch_value("SELECT min(meter_id) FROM meters WHERE account_id = ?", (a,))
        for a in ("acc-01", "acc-02")
    )
    db.execute(
        "UPDATE dq_runs SET status = 'partial', error = ?",
        (f"{mine}: platform: detector flatline raised ValueError\n{theirs}: bad timezone",),
    )
    at = _app(url, monkeypatch).run()
    assert not at.exception
    assert _metrics(at)["Status"] == "partial"
    assert "1 meter(s) failed" in at.expander[0].label
    failures = at.dataframe[0].value
    assert failures["meter_id"].tolist() == [mine] and theirs not in rendered(at)[0]


def _fix_tables(at):
    return [d.value for d in at.dataframe if "median_days_to_close" in d.value]


def test_time_to_fix_per_owner_and_per_account_over_30_or_90_days(url, monkeypatch):
    db = open_warehouse(url)
    ids = [r[0] for r in db.fetch_all(
        "SELECT issue_id FROM dq_issues WHERE account_id = 'acc-01' AND kind = 'meter' "
        "AND status = 'open' ORDER BY issue_id LIMIT 3")]  # fmt: skip
    for issue in ids[:2]:
        triage.assign(db, User("admin", "Demo admin", "admin", None), issue, "staff")
    triage.set_status(db, ADMIN, ids[0], "resolved", note="fixed")
    at = _app(url, monkeypatch).run()  # staff of acc-01
    assert not at.exception
    assert at.radio(key="overview_fix_days").value == 30
    owners, accounts = _fix_tables(at)
    by_owner = owners.set_index("assignee")
    assert by_owner.loc["staff", ["open", "closed"]].tolist() == [1, 1]
    assert by_owner.loc["(unassigned)", "open"] == db.fetch_value(
        "SELECT count(*) FROM dq_issues WHERE account_id = 'acc-01' AND kind = 'meter' "
        "AND status IN ('open', 'acknowledged') AND assignee IS NULL"
    )
    assert len(accounts) == 1 and accounts["closed"].sum() == 1
    at.radio(key="overview_fix_days").set_value(90).run()
    assert not at.exception and len(_fix_tables(at)) == 2


def test_time_to_fix_masks_accounts_but_not_owners_in_screen_share_mode(url, monkeypatch):
    db = open_warehouse(url)
    issue = db.fetch_value("SELECT min(issue_id) FROM dq_issues WHERE account_id = 'acc-01'")
    triage.assign(db, User("admin", "Demo admin", "admin", None), issue, "staff")
    at = _app(url, monkeypatch, ADMIN, dq_mask=True, dq_mask_salt="k").run()
    assert not at.exception
    owners, accounts = _fix_tables(at)
    assert "staff" in set(owners["assignee"])  # staff user names are not customer data
    assert accounts["account_name"].str.startswith("Account ").all()
    assert accounts["account_id"].str.startswith("Account ").all()
