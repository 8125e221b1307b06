"""The overshoot job on a small hand-made warehouse."""

import json
import sys

import numpy as np
import pandas as pd
import pytest

from core.overshoot import demand, job

MONTH = "2026-03"
SPIKE_DAYS = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]  # Mon-Thu
BLOCKED_DAY = "2026-03-05"


def _meter(meter_id, building_id, interval=15, tz="UTC"):
    return {
        "meter_id": meter_id,
        "building_id": building_id,
        "account_id": "acct1",
        "kind": "electricity",
        "unit": "kWh",
        "building_name": f"Building {building_id}",
        "account_name": "Account 1",
        "timezone": tz,
        "dq_enabled": True,
        "account_active": True,
        "building_archived": False,
        "interval_minutes": interval,
    }


def _profile(ts: pd.DatetimeIndex, base: float, spike: float, spike_days) -> np.ndarray:
    """Night 20% of base, 06:00-16:00 at base; 06:00-07:00 at ``spike`` on ``spike_days``."""
    hour = ts.hour
    kw = np.where((hour >= 6) & (hour < 16), base, 0.2 * base)
    on = ts.normalize().isin(pd.to_datetime(spike_days)) & (hour == 6)
    return np.where(on, spike, kw)


def readings_frame(meter_id, base, spike, spike_days, interval=15):
    ts = pd.date_range("2026-02-28", "2026-04-02", freq=f"{interval}min", inclusive="left")
    kw = _profile(ts, base, spike, spike_days)
    return pd.DataFrame(
        {"meter_id": meter_id, "ts": ts, "value": kw * interval / 60, "source": "platform"}
    )


def build(db):
    """Buildings: A overshoots on 4 weekdays, B never, C = two meters (one hourly) whose sum
    overshoots by 8 kW while each alone stays below the 5 kW floor."""
    meters = pd.DataFrame(
        [
            _meter("mA", "A"),
            _meter("mB", "B"),
            _meter("mC1", "C"),
            _meter("mC2", "C", 60),
        ]
    )
    readings = pd.concat(
        [
            readings_frame("mA", 100.0, 150.0, SPIKE_DAYS),
            readings_frame("mB", 100.0, 100.0, []),
            readings_frame("mC1", 20.0, 24.0, SPIKE_DAYS[:3]),
            readings_frame("mC2", 20.0, 24.0, SPIKE_DAYS[:3], interval=60),
        ],
        ignore_index=True,
    )
    db.insert_df("meters", meters)
    db.insert_df("readings", readings)


def add_offline_issue(db, meter_id="mA", day=BLOCKED_DAY, status="open", severity="high"):
    start = pd.Timestamp(day) + pd.Timedelta(hours=5)
    db.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, building_id, meter_id, "
        "source, start_ts, end_ts, severity, first_seen_run, last_seen_run, status, status_by, "
        "status_at) VALUES (?, 'meter', 'offline', 'acct1', 'A', ?, 'platform', ?, ?, ?, 'r', "
        "'r', ?, 'system', ?)",
        ("iss1", meter_id, start, start + pd.Timedelta(hours=3), severity, status, start),
    )


wh = sys.modules[__name__]  # the helpers above, also used by tests/jobs/test_cli.py


def _table(db, name, order):
    return db.fetch_df(f"SELECT * FROM {name} ORDER BY {order}")


def test_single_and_two_meter_buildings(fresh_db):
    wh.build(fresh_db)
    s = job.run(fresh_db, wh.MONTH)
    assert s.status == "ok" and s.units_total == 3 and s.faults == 2
    faults = _table(fresh_db, "afdd_faults", "building_id").set_index("building_id")
    assert sorted(faults.index) == ["A", "C"]
    assert faults.loc["A", "overshoot_days"] == 4
    assert faults.loc["C", "overshoot_days"] == 3
    assert faults.loc["A", "worst_excess_kw"] == 50.0
    assert faults.loc["C", "worst_excess_kw"] == 8.0
    assert faults.loc["A", "est_monthly_cost"] == 50.0 * 15.0
    details = json.loads(faults.loc["A", "details"])
    assert details["overshoot_dates"].startswith("2026-03-02,2026-03-03")
    days = _table(fresh_db, "overshoot_days", "building_id, day")
    assert set(days["month"]) == {wh.MONTH} and len(days) == 3 * 31
    assert not days[days["building_id"] == "B"]["overshoot"].any()
    projects = _table(fresh_db, "projects", "building_id")
    assert list(projects["building_id"]) == ["A", "C"]
    assert set(projects["status"]) == {"DRAFT"} and not projects["void"].any()
    runs = fresh_db.fetch_df("SELECT job, status, issues_found FROM dq_runs")
    assert runs.to_dict("records") == [{"job": "overshoot", "status": "ok", "issues_found": 2}]


def test_each_meter_alone_does_not_overshoot(fresh_db):
    # Same warehouse with only one of C's meters: 4 kW excess is under the 5 kW floor.
    wh.build(fresh_db)
    fresh_db.execute("UPDATE meters SET dq_enabled = false WHERE meter_id = 'mC2'")
    job.run(fresh_db, wh.MONTH)
    assert fresh_db.fetch_value("SELECT count(*) FROM afdd_faults WHERE building_id = 'C'") == 0


def test_rerun_is_idempotent(fresh_db):
    wh.build(fresh_db)
    job.run(fresh_db, wh.MONTH)
    before = {
        t: _table(fresh_db, t, o)
        for t, o in [
            ("overshoot_days", "building_id, day"),
            ("afdd_faults", "building_id"),
            ("projects", "project_id"),
            ("project_events", "project_id"),
        ]
    }
    job.run(fresh_db, wh.MONTH)
    for t, o in [
        ("overshoot_days", "building_id, day"),
        ("afdd_faults", "building_id"),
        ("projects", "project_id"),
        ("project_events", "project_id"),
    ]:
        after = _table(fresh_db, t, o)
        drop = [c for c in ("run_id",) if c in after.columns]
        pd.testing.assert_frame_equal(before[t].drop(columns=drop), after.drop(columns=drop))


def test_blocked_day_does_not_count(fresh_db):
    wh.build(fresh_db)
    wh.add_offline_issue(fresh_db)
    _, blocked, _ = demand.load_month(fresh_db, wh.MONTH)
    assert blocked.to_dict("records") == [
        {"building_id": "A", "day": pd.Timestamp(wh.BLOCKED_DAY).date()}
    ]
    job.run(fresh_db, wh.MONTH)
    assert (
        fresh_db.fetch_value("SELECT overshoot_days FROM afdd_faults WHERE building_id = 'A'") == 3
    )
    row = fresh_db.fetch_df(
        "SELECT blocked, counted, overshoot FROM overshoot_days WHERE building_id = 'A' "
        "AND day = ?",
        (pd.Timestamp(wh.BLOCKED_DAY).date(),),
    ).iloc[0]
    assert bool(row["blocked"]) and not bool(row["counted"]) and not bool(row["overshoot"])


def test_low_or_resolved_issue_does_not_block(fresh_db):
    wh.build(fresh_db)
    wh.add_offline_issue(fresh_db, status="resolved")
    _, blocked, _ = demand.load_month(fresh_db, wh.MONTH)
    assert blocked.empty


def test_failing_building_is_a_unit_failure(fresh_db, monkeypatch):
    wh.build(fresh_db)
    real = job.detect.building_days

    def flaky(d, p=None, blocked=None):
        if "B" in set(d["building_id"]):
            raise ValueError("bad data")
        return real(d, p, blocked)

    monkeypatch.setattr(job.detect, "building_days", flaky)
    s = job.run(fresh_db, wh.MONTH)
    assert s.status == "partial" and [u for u, _ in s.failures] == ["B"]
    assert s.faults == 2
    assert fresh_db.fetch_value("SELECT status FROM dq_runs") == "partial"


def test_chunks_give_the_same_tables(fresh_db):
    wh.build(fresh_db)
    one = job.run(fresh_db, wh.MONTH, chunk_meters=1)  # one building per chunk, prefetched
    tables = [
        ("overshoot_days", "building_id, day"),
        ("afdd_faults", "building_id"),
        ("projects", "project_id"),
    ]
    before = {t: _table(fresh_db, t, o).drop(columns=["run_id"], errors="ignore")
              for t, o in tables}  # fmt: skip
    whole = job.run(fresh_db, wh.MONTH, chunk_meters=1000)  # every building in one chunk
    assert (one.faults, one.units_total) == (whole.faults, whole.units_total) == (2, 3)
    assert whole.projects["unchanged"] == 2
    for t, o in tables:
        after = _table(fresh_db, t, o).drop(columns=["run_id"], errors="ignore")
        pd.testing.assert_frame_equal(after, before[t])


def test_run_reports_seconds_by_stage(fresh_db):
    wh.build(fresh_db)
    s = job.run(fresh_db, wh.MONTH)
    assert set(s.seconds) == {"load", "detect", "write_days", "faults", "sync", "finish"}
    assert all(v >= 0 for v in s.seconds.values())


def _local_readings(meter_id, tz, spike_days):
    """15-minute readings whose profile follows local time: night 20 kW, 06:00-16:00 100 kW,
    06:00-07:00 150 kW on ``spike_days`` (local dates)."""
    utc = pd.date_range("2026-02-27", "2026-04-03", freq="15min", inclusive="left")
    local = utc.tz_localize("UTC").tz_convert(tz)
    hour = local.hour
    kw = np.where((hour >= 6) & (hour < 16), 100.0, 20.0)
    on = np.asarray(pd.Index(local.date).isin([pd.Timestamp(d).date() for d in spike_days]))
    kw = np.where(on & (hour == 6), 150.0, kw)
    return pd.DataFrame({"meter_id": meter_id, "ts": utc, "value": kw / 4, "source": "platform"})


def test_dst_month_in_europe_through_the_warehouse(fresh_db):
    # Berlin springs forward on Sunday 2026-03-29: 23 local hours, 92 slots.
    spikes = ["2026-03-26", "2026-03-27", "2026-03-30", "2026-03-31"]  # Thu, Fri, Mon, Tue
    fresh_db.insert_df("meters", pd.DataFrame([wh._meter("mB", "berlin", tz="Europe/Berlin")]))
    fresh_db.insert_df("readings", _local_readings("mB", "Europe/Berlin", spikes))
    s = job.run(fresh_db, wh.MONTH)
    assert s.faults == 1
    days = _table(fresh_db, "overshoot_days", "day").set_index("day")
    assert len(days) == 31 and (days["completeness"] == 1.0).all()  # 92 of 92 on the 29th
    hits = days[days["overshoot"]]
    assert [d.strftime("%Y-%m-%d") for d in hits.index] == spikes
    # startup at 06:00 local on both sides of the change (UTC would say 05:00, then 04:00)
    weekdays = days[[d.weekday() < 5 for d in days.index]]
    assert (pd.to_datetime(weekdays["startup_time"]).dt.hour == 6).all()
    assert (weekdays["excess_kw"].where(weekdays["overshoot"], 50.0) == 50.0).all()
    fault = fresh_db.fetch_df("SELECT * FROM afdd_faults").iloc[0]
    assert fault["overshoot_days"] == 4 and fault["worst_day"] == pd.Timestamp("2026-03-26")


def test_draft_overwritten_and_in_progress_untouched_through_the_job(fresh_db):
    wh.build(fresh_db)
    job.run(fresh_db, wh.MONTH)
    fresh_db.execute(
        "UPDATE projects SET status = 'IN_PROGRESS', updated_by = 'bse1' WHERE building_id = 'C'"
    )
    kept = _table(fresh_db, "projects", "project_id").query("building_id == 'C'")
    # A's mornings now reach 170 kW: its DRAFT takes the new evidence
    fresh_db.execute("UPDATE readings SET value = 170.0 / 4 WHERE meter_id = 'mA' AND value = 37.5")
    s = job.run(fresh_db, wh.MONTH)
    assert s.projects["updated"] == 1 and s.projects["kept"] == 1
    projects = _table(fresh_db, "projects", "project_id")
    a = projects.set_index("building_id").loc["A"]
    assert a["est_monthly_cost"] == 70.0 * 15.0 and a["status"] == "DRAFT"
    assert "+70.0 kW" in a["summary"] and a["updated_by"] == "system"
    pd.testing.assert_frame_equal(projects.query("building_id == 'C'"), kept)
    assert fresh_db.fetch_value("SELECT count(*) FROM project_events") == 2  # creations only


def test_month_without_faults_voids_system_drafts_only(fresh_db):
    wh.build(fresh_db)
    job.run(fresh_db, wh.MONTH)
    fresh_db.execute(
        "UPDATE projects SET status = 'IN_PROGRESS', updated_by = 'bse1' WHERE building_id = 'C'"
    )
    before = _table(fresh_db, "projects", "building_id").set_index("building_id")
    s = job.run(fresh_db, "2026-04")  # the readings stop on 2026-04-01: no fault in April
    assert s.faults == 0 and s.projects["voided"] == 1 and s.projects["kept"] == 0
    after = _table(fresh_db, "projects", "building_id").set_index("building_id")
    assert bool(after.loc["A", "void"]) and after.loc["A", "month"] == wh.MONTH  # evidence kept
    pd.testing.assert_frame_equal(after.loc[["C"]], before.loc[["C"]])


# ---- faults and projects in PostgreSQL (integration) --------------------------------------


@pytest.fixture
def projects_pg(fresh_db, pg_url):
    """The projects tables in a PostgreSQL schema of their own (dropped afterwards)."""
    from core.overshoot import store

    return store.projects_db(fresh_db, pg_url)


@pytest.mark.integration
def test_faults_and_projects_in_postgres(fresh_db, projects_pg):
    wh.build(fresh_db)
    s = job.run(fresh_db, wh.MONTH, projects=projects_pg)
    assert s.faults == 2 and s.projects["created"] == 2
    assert fresh_db.fetch_value("SELECT count(*) FROM afdd_faults") == 0  # not the warehouse
    faults = _table(projects_pg, "afdd_faults", "building_id")
    assert faults["building_id"].tolist() == ["A", "C"]
    assert faults["worst_excess_kw"].tolist() == [50.0, 8.0]
    projects_pg.execute(
        "UPDATE projects SET status = 'IN_PROGRESS', updated_by = 'bse1' WHERE building_id = 'C'"
    )
    before = {t: _table(projects_pg, t, o) for t, o in [
        ("afdd_faults", "building_id"), ("projects", "project_id"),
        ("project_events", "project_id"),
    ]}  # fmt: skip
    again = job.run(fresh_db, wh.MONTH, projects=projects_pg)
    assert again.projects["unchanged"] == 1 and again.projects["kept"] == 1
    for t, o in [
        ("afdd_faults", "building_id"),
        ("projects", "project_id"),
        ("project_events", "project_id"),
    ]:
        after = _table(projects_pg, t, o)
        drop = [c for c in ("run_id",) if c in after.columns]
        pd.testing.assert_frame_equal(before[t].drop(columns=drop), after.drop(columns=drop))
    # April has no fault: A's system DRAFT is voided in PostgreSQL, C's stays as the BSE set it
    job.run(fresh_db, "2026-04", projects=projects_pg)
    p = _table(projects_pg, "projects", "building_id").set_index("building_id")
    assert bool(p.loc["A", "void"]) and p.loc["C", "status"] == "IN_PROGRESS"


def test_a_month_without_readings_is_partial_and_keeps_projects(fresh_db):
    """Readings not landed (no sync yet) must not look like a clean month that voids drafts."""
    wh.build(fresh_db)
    job.run(fresh_db, wh.MONTH)
    before = _table(fresh_db, "projects", "building_id")
    s = job.run(fresh_db, "2025-11")  # months before any reading
    assert s.status == "partial" and s.faults == 0
    assert "no readings of 2025-11" in dict(s.failures)["readings"]
    pd.testing.assert_frame_equal(_table(fresh_db, "projects", "building_id"), before)
