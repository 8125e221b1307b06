"""The overshoot job on a small hand-made warehouse."""

import json
import sys

import numpy as np
import pandas as pd

from core.overshoot import demand, job

MONTH = "2026-03"
SPIKE_DAYS = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]  # Mon-Thu
BLOCKED_DAY = "2026-03-05"


def _meter(meter_id, building_id, interval=15, tz="UTC"):
    return {
        "meter_id": meter_id, "building_id": building_id, "account_id": "acct1",
        "kind": "electricity", "unit": "kWh", "building_name": f"Building {building_id}",
        "account_name": "Account 1", "timezone": tz, "dq_enabled": True,
        "account_active": True, "building_archived": False, "interval_minutes": interval,
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
    meters = pd.DataFrame([
        _meter("mA", "A"), _meter("mB", "B"), _meter("mC1", "C"), _meter("mC2", "C", 60),
    ])
    readings = pd.concat([
        readings_frame("mA", 100.0, 150.0, SPIKE_DAYS),
        readings_frame("mB", 100.0, 100.0, []),
        readings_frame("mC1", 20.0, 24.0, SPIKE_DAYS[:3]),
        readings_frame("mC2", 20.0, 24.0, SPIKE_DAYS[:3], interval=60),
    ], ignore_index=True)
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
    before = {t: _table(fresh_db, t, o) for t, o in [
        ("overshoot_days", "building_id, day"), ("afdd_faults", "building_id"),
        ("projects", "project_id"), ("project_events", "project_id"),
    ]}
    job.run(fresh_db, wh.MONTH)
    for t, o in [("overshoot_days", "building_id, day"), ("afdd_faults", "building_id"),
                 ("projects", "project_id"), ("project_events", "project_id")]:
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
    assert fresh_db.fetch_value(
        "SELECT overshoot_days FROM afdd_faults WHERE building_id = 'A'"
    ) == 3
    row = fresh_db.fetch_df(
        "SELECT blocked, counted, overshoot FROM overshoot_days WHERE building_id = 'A' "
        "AND day = ?", (pd.Timestamp(wh.BLOCKED_DAY).date(),)
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
