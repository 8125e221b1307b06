"""Production rehearsal: the platform's systems, the real worker for a week, every page.

The platform (its PostgreSQL database, InfluxDB, raw packets in S3) is the only place the fleet
of tests/rehearsal/fleet.py is loaded; the warehouse (a PostgreSQL database of its own) starts
empty and gets everything through the worker's sync job, as in production. The week itself
(late packets, a meter switched off) is tests/rehearsal/week.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from core import auth
from core.db import open_warehouse
from core.pages import PAGES
from core.views import admin
from core.worker.service import Worker
from tests.core.sources.feeds import write_influx
from tests.pages.pagetest import home, sent, sign_in
from tests.rehearsal import fleet, week
from tests.rehearsal.week import Clock, simulated_time

pytestmark = pytest.mark.integration

ACCOUNT = "1"  # every signed-in user below is granted this platform account only
USERS = {"staff": "sam", "bse": "bea", "admin": "ada"}  # a scoped user of each role needed
SHOWN = {  # per page: what must be on it (data of account 1 that the week produced)
    "issues": "m-102-main",  # offline since 30 March
    "offline": "m-102-main",
    "overview": "Riverside Plaza",  # scores by building
    "explorer": "Northwind Property Group",
    "bills": "zero_usage",
    "sandbox": "Trained on 21 days",
    "projects": "Maple Street Tower",
    "admin": "changed (s3) after the day was scored",  # the late day, re-scored
    "owners": "Riverside Plaza",  # a building of account 1, its owner to set
}
CHARTS = ("arrow_vega_lite_chart", "vega_lite_chart", "plotly_chart")
WITH_CHARTS = {"overview", "explorer", "bills", "sandbox", "projects"}


def _scored_meters() -> set[str]:
    return {m.uid for m in fleet.METERS if m.utility != "GAS"}


def _dq_days(db) -> list[tuple[str, bool]]:
    """(day, is a re-score) of every DQ run, in run order."""
    rows = db.fetch_all("SELECT params FROM dq_runs WHERE job = 'dq' ORDER BY started_at")
    params = [json.loads(p) for (p,) in rows]
    return [(p["date"], "rescore" in p) for p in params]


def _check_the_week(db, result: week.Rehearsal, readings: pd.DataFrame) -> None:
    outcomes = result.worker.outcomes
    assert [(o.job, o.status) for o in outcomes] == [
        *[(job, "ok") for _ in range(week.DAYS) for job in ("sync", "dq", "bills")],
        ("overshoot", "ok"),
    ], [(o.job, o.status, o.error) for o in outcomes]
    week_days = [str(fleet.FIRST_DAY + timedelta(days=i)) for i in range(week.DAYS)]
    assert [day for day, again in _dq_days(db) if not again] == week_days  # each night: yesterday

    # Everything in the warehouse came through the sync: meters (ids as text) and every reading.
    meters = db.fetch_df("SELECT meter_id, account_id, building_id, dq_enabled FROM meters")
    assert set(meters.meter_id) == _scored_meters()  # gas is not scored
    assert set(meters.account_id) == {"1", "2"} and "101" in set(meters.building_id)
    landed = db.fetch_df("SELECT source, count(*) AS n FROM readings GROUP BY source")
    expected = readings[readings.meter_id.isin(_scored_meters())].groupby("source").size()
    assert landed.set_index("source")["n"].to_dict() == expected.to_dict()

    # The monthly overshoot tick of 2 April scanned March: a project for both office buildings.
    projects = db.fetch_df("SELECT building_id, month, status FROM projects")
    assert set(projects.building_id) == {"101", "201"} and set(projects.month) == {"2026-03"}


def _check_the_late_day(db) -> None:
    rescored = admin.rescored_days(db)
    assert list(rescored.day) == [str(week.LATE_DAY)]
    row = rescored.iloc[0]
    assert row.meters == len(week.LATE_METERS) and row.status == "ok"
    assert row.why.endswith("changed (s3) after the day was scored"), row.why
    # The raw feed looked offline that day until the packets came; the re-score resolved it.
    raw = db.fetch_df(
        "SELECT meter_id, status, status_by, status_note FROM dq_issues "
        "WHERE source = 'raw' AND start_ts >= ? AND start_ts < ?",
        (pd.Timestamp(week.LATE_DAY), pd.Timestamp(week.LATE_DAY) + pd.Timedelta(days=1)),
    )
    assert set(raw.meter_id) == set(week.LATE_METERS)
    assert set(raw.status) == {"resolved"} and set(raw.status_by) == {"system"}
    assert raw.status_note.str.contains("re-scored").all()


def _check_the_switched_off_meter(db, result: week.Rehearsal) -> None:
    # negative readings every night before: one issue that continued night after night
    # (core/dq/lifecycle.py), not one per night
    assert len(result.open_at_switch_off) >= 1
    issues = db.fetch_df(
        "SELECT issue_id, status, status_by, status_note, first_seen_run FROM dq_issues "
        "WHERE meter_id = ?",
        (week.SWITCHED_OFF,),
    ).set_index("issue_id")
    assert set(issues.index) == set(result.open_at_switch_off)  # nothing new after it
    assert set(issues.status) == {"resolved"} and set(issues.status_by) == {"system"}
    assert issues.status_note.str.startswith("meter no longer checked (DQ switched off").all()
    assert set(issues.first_seen_run) <= result.runs_at_switch_off
    logged = db.fetch_value(
        "SELECT count(*) FROM issue_events WHERE to_status = 'resolved' AND issue_id IN "
        f"({', '.join('?' for _ in issues.index)})",
        tuple(issues.index),
    )
    assert logged == len(issues)
    last = db.fetch_value(
        "SELECT max(day) FROM dq_meter_days WHERE meter_id = ?", (week.SWITCHED_OFF,)
    )
    assert pd.Timestamp(last) < pd.Timestamp(week.SWITCH_OFF_AT.date())  # not scored since
    assert (
        db.fetch_value("SELECT dq_enabled FROM meters WHERE meter_id = ?", (week.SWITCHED_OFF,))
        is False
    )


def _leaks(text: str) -> list[str]:
    """Account 2's names, meter ids and bill ids found in ``text`` (as whole tokens)."""
    return [
        name
        for name in sorted(fleet.names_of_account(2))
        if re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", text)
    ]


def _check_every_page(url: str, monkeypatch, tmp_path) -> None:
    cache = tmp_path / "cache.duckdb"
    monkeypatch.setenv("DQ_CACHE_PATH", str(cache))
    # The simulated week is in the past: the app's copy must keep readings that old.
    age = (datetime.now(UTC).date() - fleet.HISTORY_START).days + 1
    monkeypatch.setenv("DQ_CACHE_READINGS_DAYS", str(age))
    monkeypatch.setenv("DQ_AUTH_MODE", "users")
    monkeypatch.setenv("DQ_COOKIE_KEY", "rehearsal-cookie-key-" + "x" * 24)
    for role, name in USERS.items():
        auth.add_user(name, f"pw of {name}", role, [ACCOUNT])
    assert set(SHOWN) == {p.key for p in PAGES}, "add the new page to SHOWN"
    for page in PAGES:
        name = USERS[
            "staff" if "staff" in page.roles else "bse" if "bse" in page.roles else "admin"
        ]
        at = sign_in(home(url, monkeypatch), name, f"pw of {name}")
        at.switch_page(page.file).run()
        assert not at.exception, (page.key, at.exception)
        shown = sent(at)
        assert SHOWN[page.key] in shown, page.key
        rows = sum(len(df.value) for df in at.dataframe)
        charts = [el for el in at.main if getattr(el, "type", None) in CHARTS]
        metrics = [m.value for m in at.metric if m.value not in ("", "0", None)]
        assert rows or metrics, f"{page.key} shows no table rows and no metric"
        assert charts or page.key not in WITH_CHARTS, f"{page.key} shows no chart"
        assert not _leaks(shown), (page.key, _leaks(shown))
        if page.key == "offline":  # m-102-main went silent in both feeds: two rows, one meter
            assert sorted(at.dataframe[0].value["source"]) == ["platform", "raw"]
            assert at.metric[0].label == "Offline now" and at.metric[0].value == "1"
    assert cache.exists()  # the pages read the app's local copy of the warehouse


def test_a_week_in_production_shape(warehouse, platform, monkeypatch, tmp_path):
    readings = fleet.readings()
    for table in ("meters", "readings", "bills", "dq_issues"):  # the platform only, so far
        assert warehouse.fetch_value(f"SELECT count(*) FROM {table}") == 0

    result = week.rehearse(warehouse, platform, readings)

    _check_the_week(warehouse, result, readings)
    _check_the_late_day(warehouse)
    _check_the_switched_off_meter(warehouse, result)
    _check_every_page(warehouse.url, monkeypatch, tmp_path)


def test_the_worker_night_run_on_influxdb_readings_succeeds(influx_db, monkeypatch, db_path):
    """Only InfluxDB is configured (meters imported); the night's sync, then dq, both ok."""
    from core.ingest import import_frames

    client, influx_url = influx_db
    monkeypatch.setenv("DQ_PLATFORM_READINGS", "influxdb")
    monkeypatch.setenv("DQ_INFLUX_URL", influx_url)
    monkeypatch.setenv("DQ_RAW_READINGS", "none")
    db = open_warehouse(db_path)
    import_frames(db, meters=fleet.canonical_meters())
    night = date(2026, 3, 27)
    points = fleet.readings()
    points = points[
        (points.source == "platform") & (points.ts < pd.Timestamp(night) + pd.Timedelta(hours=2))
    ]
    write_influx(client, points)  # up to 02:00 of the night: the 27th is still filling
    assert db.fetch_value("SELECT count(*) FROM readings") == 0

    clock = Clock(datetime(2026, 3, 27, 1, 0, tzinfo=UTC))
    with simulated_time(clock):
        worker = Worker(db, clock=clock)
        worker.start_up()  # started before the night's ticks
        clock.now += timedelta(hours=1)
        worker.tick("sync")
        clock.now += timedelta(minutes=30)
        worker.tick("dq")

    assert [(o.job, o.status) for o in worker.outcomes] == [("sync", "ok"), ("dq", "ok")], [
        o.error for o in worker.outcomes
    ]
    assert _dq_days(db) == [(str(night - timedelta(days=1)), False)]  # the last complete day
    assert (
        db.fetch_value(
            "SELECT count(*) FROM dq_meter_days WHERE day = ?", (night - timedelta(days=1),)
        )
        > 0
    )
