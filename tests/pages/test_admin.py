"""The Admin page under AppTest: runs, failures, schema version, schedules, run now."""

from datetime import date

import pytest

from core import runs
from core.auth import User
from core.db import migrations, open_warehouse
from core.worker import runqueue
from tests.pages.pagetest import app, plain, rendered

ADMIN = User("ada", "Ada", "admin", None)
STAFF = User("sam", "Sam", "staff", None)
DS = User("dee", "Dee", "ds", None)


@pytest.fixture
def url(demo_warehouse_file):
    return demo_warehouse_file[0]


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_admin_sees_runs_schema_version_and_schedules(url, monkeypatch):
    at = app("admin", url, monkeypatch, ADMIN).run()
    assert not at.exception
    db = open_warehouse(url)
    metrics = _metrics(at)
    newest = migrations.discover()[-1].version
    assert metrics["Schema version"] == str(migrations.current_version(db)) == str(newest)
    assert metrics["Worker"] == "not running" and metrics["Queued runs"] == "0"
    assert "No worker is running" in at.warning[0].value
    text, cells = rendered(at)
    run_id = db.fetch_value("SELECT run_id FROM dq_runs")
    assert run_id in cells  # the scored demo's dq run
    schedules, _queue, recent = (d.value for d in at.dataframe[:3])
    assert list(schedules["job"]) == ["sync", "dq", "bills", "overshoot"]
    assert schedules["next_runs_utc"].str.match(r"\d{4}-\d\d-\d\d 02:30, ").iloc[1]
    assert recent.loc[0, "status"] == "ok" and recent.loc[0, "partition"] == "2026-03-10"
    assert "No recent run failed" in text


def test_run_now_queues_a_request(url, monkeypatch):
    at = app("admin", url, monkeypatch, ADMIN).run()
    at.button(key="run_dq").click().run()
    assert not at.exception
    db = open_warehouse(url)
    rows = db.fetch_all("SELECT job, params, requested_by, status FROM run_requests")
    assert rows == [("dq", '{"date": "2026-03-10"}', "ada", "queued")]  # the latest full day
    assert plain(at.success[0].value).startswith("Queued dq 2026-03-10 (request ")
    assert _metrics(at)["Queued runs"] == "1"
    at.button(key="run_dq").click().run()  # twice: still one request
    assert "already queued" in at.success[0].value
    assert db.fetch_value("SELECT count(*) FROM run_requests") == 1

    at.selectbox(key="overshoot_month").set_value("2026-09")
    at.date_input(key="bills_day").set_value(date(2026, 3, 1))
    at.button(key="run_overshoot").click().run()
    at.button(key="run_bills").click().run()
    queued = {(r.job, str(r.params)) for r in runqueue.queued(db)}
    assert queued == {
        ("dq", "{'date': '2026-03-10'}"),
        ("overshoot", "{'month': '2026-09'}"),
        ("bills", "{'date': '2026-03-01'}"),
    }
    text, cells = rendered(at)
    assert {"queued", "ada", "2026-09"} <= cells


def test_failures_list_reasons_and_screen_share_masks_units(url, monkeypatch):
    db = open_warehouse(url)
    meter = db.fetch_value("SELECT meter_id FROM meters ORDER BY meter_id LIMIT 1")
    partial = runs.Run("dq", {"date": "2026-03-09"})
    partial.fail_unit(meter, "flatline: ValueError: bad grid")
    runs.start(db, partial)
    with db.transaction() as tx:
        runs.finish(tx, partial)
    failed = runs.Run("bills", {"date": "2026-03-09"})
    runs.start(db, failed)
    runs.fail(db, failed, RuntimeError("platform database unreachable"))

    at = app("admin", url, monkeypatch, ADMIN).run()
    assert not at.exception
    table = at.dataframe[3].value
    assert set(table["reason"]) == {
        "flatline: ValueError: bad grid",
        "RuntimeError: platform database unreachable",
    }
    assert meter in set(table["unit"])
    recent = at.dataframe[2].value
    assert "1 unit(s) failed: see Failures" in set(recent["reason"])
    assert meter not in " ".join(recent["reason"])  # unit ids only where masking applies

    masked = app("admin", url, monkeypatch, ADMIN, dq_mask=True, dq_mask_salt="s").run()
    units = set(masked.dataframe[3].value["unit"])
    assert meter not in units and any(u.startswith("Meter ") for u in units)


@pytest.mark.parametrize("user", [STAFF, DS])
def test_only_admins_can_open_it(url, monkeypatch, user):
    at = app("admin", url, monkeypatch, user).run()
    assert not at.exception
    assert "cannot open this page" in at.error[0].value
    assert not at.dataframe and not at.button
