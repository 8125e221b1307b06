"""The bill job on a small hand-made warehouse, with a fake registry and normaliser.

The fakes follow the contract of core/bills/__init__.py (REGISTRY of modules with NAME,
Params, check) and core/bills/normalise.py (normalise -> bills, skipped, notes), so these
tests pin the job's behaviour whatever the real checks find; the last test runs the real ones.
"""

import json
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core import triage
from core.auth import User
from core.bills import REGISTRY, interval, job, source
from core.bills.base import RESULT_COLUMNS
from core.dq import store
from core.errors import ConfigError, WarehouseError
from core.issue_ids import read_key

ALICE = User("alice", "Alice", "staff", None)
RUN_DATE = date(2026, 3, 10)

METERS = pd.DataFrame(
    {
        "meter_id": ["m1", "m2", "m3"],
        "building_id": ["b1", "b2", "b2"],
        "account_id": ["a1", "a2", "a2"],
        "kind": "electricity",
        "unit": "kWh",
        "building_name": None,
        "account_name": None,
        "timezone": ["UTC", "America/New_York", "UTC"],
        "dq_enabled": True,
        "account_active": True,
        "building_archived": False,
        "interval_minutes": [15, 60, 15],
    }
)


def _bill(bill_id, meter_id, start, end, usage, cost=100.0, **over):
    row = {
        "bill_id": bill_id,
        "account_id": "a1" if meter_id in ("m1", "m9") else "a2",
        "building_id": "b1" if meter_id in ("m1", "m9") else "b2",
        "meter_id": meter_id,
        "commodity": "electricity",
        "period_start": pd.Timestamp(start).date(),
        "period_end": pd.Timestamp(end).date(),
        "usage": usage,
        "usage_unit": "kWh",
        "cost": cost,
        "demand_kw": 10.0,
        "estimated": False,
    }
    row.update(over)
    return row


BILLS = pd.DataFrame(
    [
        _bill("B1", "m1", "2026-01-01", "2026-01-31", 96 * 31 * 1.0),
        _bill("B2", "m1", "2026-02-01", "2026-02-28", 0.0, estimated=True),
        _bill("B3", "m2", "2026-01-05", "2026-02-04", 0.0, usage_unit="KWH"),
        _bill("BAD", "m1", "2026-03-05", "2026-03-01", 50.0),
        _bill("ORPHAN", "m9", "2026-01-01", "2026-01-31", 10.0),
    ]
)


def _readings():
    """m1: every 15-minute slot of January 2026, 1 kWh each (the bill B1 matches exactly)."""
    ts = pd.date_range("2026-01-01", "2026-02-01", freq="15min", inclusive="left")
    return pd.DataFrame({"meter_id": "m1", "ts": ts, "value": 1.0, "source": "platform"})


@pytest.fixture
def warehouse(fresh_db, monkeypatch):
    fresh_db.insert_df("meters", METERS)
    fresh_db.insert_df("bills", BILLS)
    fresh_db.insert_df("readings", _readings())
    monkeypatch.setattr(job, "_normalise", fake_normalise)
    return fresh_db


# ---- the fakes ---------------------------------------------------------------------------


def fake_normalise(raw, meters):
    """Skip an end before its start and an unknown meter; lower-case 'KWH' with a note."""
    bills = raw.copy()
    backwards = bills.period_end < bills.period_start
    unknown = bills.meter_id.notna() & ~bills.meter_id.isin(meters.meter_id)
    skipped = pd.concat(
        [
            pd.DataFrame(
                {"bill_id": bills.bill_id[backwards], "reason": "period_end is before period_start"}
            ),
            pd.DataFrame(
                {"bill_id": bills.bill_id[unknown], "reason": "meter_id is not a known meter"}
            ),
        ],
        ignore_index=True,
    )
    bills = bills[~backwards & ~unknown].copy()
    upper = bills.usage_unit == "KWH"
    notes = pd.DataFrame({"bill_id": bills.bill_id[upper], "note": "usage_unit 'KWH' read as kWh"})
    bills.loc[upper, "usage_unit"] = "kWh"
    bills["days"] = (bills.period_end - bills.period_start).dt.days + 1
    bills = bills.sort_values(["meter_id", "period_start"], ignore_index=True)
    return bills, skipped.reset_index(drop=True), notes.reset_index(drop=True)


@dataclass(frozen=True)
class NoParams:
    """No parameters."""


def _check(name, fn):
    return SimpleNamespace(NAME=name, Params=NoParams, check=fn)


def _zero_usage(ctx, params):
    b = ctx.bills[ctx.bills.usage == 0]
    return pd.DataFrame(
        {
            "bill_id": b.bill_id,
            "meter_id": b.meter_id,
            "severity": "medium",
            "magnitude": 0.0,
            "details": [
                {"usage_per_day": np.float64(0.0), "ratio": float("nan")} for _ in range(len(b))
            ],
        }
    )[RESULT_COLUMNS]


def _stale_bill(ctx, params):
    last = ctx.bills.groupby("meter_id").period_end.max()
    ends = ctx.meters.meter_id.map(last)
    cutoff = pd.Timestamp(ctx.run_date) - pd.Timedelta(days=45)
    stale = ctx.meters[ends.isna() | (ends < cutoff)]
    return pd.DataFrame(
        {
            "bill_id": None,
            "meter_id": stale.meter_id,
            "severity": "low",
            "magnitude": 1.0,
            "details": [{"last_period_end": ends.get(i)} for i in stale.index],
        }
    )[RESULT_COLUMNS]


def _interval_gap(ctx, params):
    """Echo interval usage: one finding per bill with readings (to see what the job passed)."""
    u = ctx.interval_usage.merge(ctx.bills[["bill_id", "meter_id"]], on="bill_id")
    return pd.DataFrame(
        {
            "bill_id": u.bill_id,
            "meter_id": u.meter_id,
            "severity": "low",
            "magnitude": u.coverage,
            "details": [{"interval_sum": s} for s in u.interval_sum],
        }
    )[RESULT_COLUMNS]


def _boom(ctx, params):
    raise RuntimeError("division by zero in rate table")


def _fails_on_m2(ctx, params):
    if (ctx.bills.meter_id == "m2").any():
        raise ValueError("corrupt m2 history")
    return _zero_usage(ctx, params)


FAKE = {
    "zero_usage": _check("zero_usage", _zero_usage),
    "stale_bill": _check("stale_bill", _stale_bill),
}


def _issues(db):
    return db.fetch_df("SELECT * FROM dq_issues ORDER BY detector, bill_id, meter_id")


def _snapshot(db):
    return db.fetch_df(
        "SELECT issue_id, kind, detector, bill_id, meter_id, account_id, building_id, source, "
        "start_ts, end_ts, severity, magnitude, details, first_seen_run, status, status_by, "
        "status_at, status_note FROM dq_issues ORDER BY issue_id"
    )


# ---- tests -------------------------------------------------------------------------------


def test_findings_are_stored_as_bill_issues_with_the_bills_figures(warehouse):
    summary = job.run(warehouse, RUN_DATE, registry=FAKE)
    rows = _issues(warehouse)
    assert set(rows.kind) == {"bill"} and set(rows.source) == {"bill"}
    zero = rows[rows.detector == "zero_usage"].set_index("bill_id")
    assert sorted(zero.index) == ["B2", "B3"]
    b2 = zero.loc["B2"]
    assert (b2.meter_id, b2.account_id, b2.building_id) == ("m1", "a1", "b1")
    assert b2.start_ts == pd.Timestamp("2026-02-01") and b2.end_ts == pd.Timestamp("2026-03-01")
    assert (b2.severity, b2.magnitude, b2.status, b2.status_by) == ("medium", 0.0, "open", "system")
    assert b2.issue_id == store.bill_issue_id("zero_usage", "B2", "m1", read_key(warehouse))
    details = json.loads(b2.details)
    assert details == {
        "usage_per_day": 0.0,
        "ratio": None,
        "period": "2026-02-01/2026-02-28",
        "days": 28,
        "usage": 0.0,
        "usage_unit": "kWh",
        "cost": 100.0,
        "demand_kw": 10.0,
        "estimated": True,
    }
    assert json.loads(zero.loc["B3"].details)["notes"] == ["usage_unit 'KWH' read as kWh"]
    # stale_bill without a bill: ids from the meter, no period.
    stale = rows[rows.detector == "stale_bill"].set_index("meter_id")
    assert sorted(stale.index) == ["m3"]  # m1 and m2 have bills ending after Jan 24
    assert stale.loc["m3"].bill_id is None or pd.isna(stale.loc["m3"].bill_id)
    assert (stale.loc["m3"].account_id, stale.loc["m3"].building_id) == ("a2", "b2")
    assert pd.isna(stale.loc["m3"].start_ts) and pd.isna(stale.loc["m3"].end_ts)
    assert json.loads(stale.loc["m3"].details) == {"last_period_end": None}
    run = warehouse.fetch_df("SELECT * FROM dq_runs").iloc[0]
    assert (run.job, run.run_id, run.issues_found) == ("bills", summary.run_id, 3)
    assert json.loads(run.params)["date"] == "2026-03-10"
    assert summary.issues_found == 3 and summary.units_total == 5


def test_rerun_is_idempotent_and_keeps_a_persons_status(warehouse):
    job.run(warehouse, RUN_DATE, registry=FAKE)
    before = _snapshot(warehouse)
    picked = before.issue_id[0]
    triage.set_status(warehouse, ALICE, picked, "ignored", note="meter replaced in February")
    second = job.run(warehouse, RUN_DATE, registry=FAKE)
    after = _snapshot(warehouse)
    assert after.issue_id.is_unique and list(after.issue_id) == list(before.issue_id)
    row = after.set_index("issue_id").loc[picked]
    assert (row.status, row.status_by, row.status_note) == (
        "ignored",
        "alice",
        "meter replaced in February",
    )
    rest = lambda df: df[df.issue_id != picked].drop(columns="status_note").reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(rest(after), rest(before))
    assert after[after.issue_id != picked].status_note.isna().all()
    assert set(warehouse.fetch_df("SELECT last_seen_run FROM dq_issues").last_seen_run) == {
        second.run_id
    }
    assert second.resolved == 0


def test_skipped_bills_are_recorded_as_partial_and_the_rest_is_checked(warehouse):
    summary = job.run(warehouse, RUN_DATE, registry=FAKE)
    assert summary.status == "partial" and summary.skipped == 2
    failures = dict(summary.failures)
    assert failures["BAD"] == "skipped: period_end is before period_start"
    assert failures["ORPHAN"] == "skipped: meter_id is not a known meter"
    assert summary.notes == [("B3", "usage_unit 'KWH' read as kWh")]
    run = warehouse.fetch_df("SELECT * FROM dq_runs WHERE run_id = ?", (summary.run_id,)).iloc[0]
    assert (run.status, run.units_total, run.units_failed) == ("partial", 5, 2)
    assert "BAD: skipped: period_end is before period_start" in run.error
    assert "ORPHAN" in run.error
    assert (
        warehouse.fetch_value("SELECT count(*) FROM dq_issues WHERE detector = 'zero_usage'") == 2
    )


def test_a_raising_check_is_recorded_by_name_and_the_others_are_stored(warehouse):
    registry = {"boom": _check("boom", _boom), **FAKE}
    summary = job.run(warehouse, RUN_DATE, registry=registry)
    failures = dict(summary.failures)
    assert (
        "check boom raised RuntimeError: division by zero in rate table" in failures["check:boom"]
    )
    assert not [u for u in failures if u.startswith("m")]  # broken check, not broken meters
    stored = warehouse.fetch_df("SELECT detector, count(*) AS n FROM dq_issues GROUP BY detector")
    assert dict(zip(stored.detector, stored.n, strict=True)) == {"zero_usage": 2, "stale_bill": 1}
    run = warehouse.fetch_df("SELECT status, error FROM dq_runs").iloc[0]
    assert run.status == "partial" and "check:boom: check boom raised RuntimeError" in run.error


def test_a_check_raising_on_one_meter_keeps_every_other_meters_findings(warehouse):
    summary = job.run(
        warehouse, RUN_DATE, registry={"zero_usage": _check("zero_usage", _fails_on_m2)}
    )
    failures = dict(summary.failures)
    assert failures["m2"] == "check zero_usage raised ValueError: corrupt m2 history"
    assert "check:zero_usage" not in failures
    assert list(warehouse.fetch_df("SELECT bill_id FROM dq_issues").bill_id) == ["B2"]


def test_rerun_resolves_what_is_gone_but_not_what_was_not_judged(warehouse):
    job.run(warehouse, RUN_DATE, registry=FAKE)
    ids = _issues(warehouse).set_index(["detector", "bill_id"]).issue_id
    warehouse.execute("UPDATE bills SET usage = 900 WHERE bill_id IN ('B2', 'B3')")  # data fixed
    # zero_usage now breaks on m2, so B3's issue is not judged and must stay open.
    registry = {**FAKE, "zero_usage": _check("zero_usage", _fails_on_m2)}
    summary = job.run(warehouse, RUN_DATE, registry=registry)
    status = _issues(warehouse).set_index("issue_id")
    assert status.loc[ids["zero_usage", "B2"], "status"] == "resolved"
    assert status.loc[ids["zero_usage", "B3"], "status"] == "open"
    assert summary.resolved == 1
    event = warehouse.fetch_df("SELECT * FROM issue_events").iloc[0]
    assert (event.issue_id, event.from_status, event.to_status, event.changed_by) == (
        ids["zero_usage", "B2"],
        "open",
        "resolved",
        "system",
    )
    # A broken check resolves nothing of its own.
    job.run(warehouse, RUN_DATE, registry={"zero_usage": _check("zero_usage", _boom)})
    assert _issues(warehouse).set_index("issue_id").loc[ids["zero_usage", "B3"], "status"] == "open"


def test_bad_findings_are_recorded_and_dropped(warehouse):
    def sloppy(ctx, params):
        return pd.DataFrame(
            {
                "bill_id": ["B1", "NOPE", None],
                "meter_id": ["m1", "m1", None],
                "severity": ["critical", "low", "low"],
                "magnitude": [1.0, 1.0, 1.0],
                "details": [{}, {}, {}],
            }
        )

    summary = job.run(warehouse, RUN_DATE, registry={"sloppy": _check("sloppy", sloppy)})
    failures = dict(summary.failures)
    assert "severity critical is not one of low, medium, high" in failures["B1"]
    assert "bill_id is not a checked bill" in failures["NOPE"]
    assert "neither bill_id nor meter_id" in failures["check:sloppy"]
    assert warehouse.fetch_value("SELECT count(*) FROM dq_issues") == 0


def test_a_check_reporting_a_bill_twice_keeps_the_worst_finding(warehouse):
    def twice(ctx, params):
        return pd.DataFrame(
            {
                "bill_id": ["B1", "B1"],
                "meter_id": ["m1", "m1"],
                "severity": ["high", "low"],
                "magnitude": [5.0, 9.0],
                "details": [{"n": 1}, {"n": 2}],
            }
        )

    job.run(warehouse, RUN_DATE, registry={"twice": _check("twice", twice)})
    row = _issues(warehouse).iloc[0]
    assert len(_issues(warehouse)) == 1 and (row.severity, row.magnitude) == ("high", 5.0)


def test_interval_usage_is_passed_to_the_checks(warehouse):
    job.run(warehouse, RUN_DATE, registry={"echo": _check("echo", _interval_gap)})
    rows = _issues(warehouse)
    assert list(rows.bill_id) == ["B1"]  # only m1 has readings, only in January
    assert rows.magnitude[0] == 1.0
    assert json.loads(rows.details[0])["interval_sum"] == 96 * 31


def test_interval_usage_counts_local_days_and_coverage(fresh_db):
    ts = pd.date_range("2026-02-28 20:00", "2026-04-01 10:00", freq="1h")
    ts = ts[ts != pd.Timestamp("2026-03-15 12:00")]  # one hour missing inside the period
    readings = pd.DataFrame({"meter_id": "m2", "ts": ts, "value": 2.0, "source": "platform"})
    raw = pd.DataFrame({"meter_id": "m2", "ts": ts, "value": 9.0, "source": "raw"})  # ignored
    fresh_db.insert_df("readings", pd.concat([readings, raw]))
    bills = pd.DataFrame(
        {
            "bill_id": ["MAR", "NOMETER", "NOREAD"],
            "meter_id": ["m2", None, "m1"],
            "building_id": "b2",
            "period_start": pd.to_datetime(["2026-03-01", "2026-03-01", "2026-03-01"]),
            "period_end": pd.to_datetime(["2026-03-31", "2026-03-31", "2026-03-31"]),
        }
    )
    out = interval.interval_usage(fresh_db, bills, METERS).set_index("bill_id")
    assert list(out.index) == ["MAR"]
    # New York in March 2026: DST starts on the 8th, so 31 local days are 743 hours.
    assert out.loc["MAR", "expected"] == 743
    # Local days: 2026-03-01 05:00 UTC (EST midnight) to 2026-04-01 04:00 UTC (EDT midnight).
    assert out.loc["MAR", "present"] == 742
    assert out.loc["MAR", "interval_sum"] == 742 * 2.0
    assert out.loc["MAR", "coverage"] == pytest.approx(742 / 743)


def test_nothing_to_check_is_an_ok_run(fresh_db, monkeypatch):
    monkeypatch.setattr(job, "_normalise", fake_normalise)
    summary = job.run(fresh_db, RUN_DATE, registry={"zero_usage": FAKE["zero_usage"]})
    assert (summary.status, summary.units_total, summary.issues_found) == ("ok", 0, 0)


def test_bills_that_cannot_be_read_mark_the_run_failed(fresh_db, monkeypatch):
    def down(db, url=None):
        raise WarehouseError("bills table unreadable")

    monkeypatch.setattr(source, "load_bills", down)
    with pytest.raises(WarehouseError):
        job.run(fresh_db, RUN_DATE, registry=FAKE)
    run = fresh_db.fetch_df("SELECT status, error FROM dq_runs").iloc[0]
    assert run.status == "failed" and "bills table unreadable" in run.error


# ---- with a platform database: its bills land in the warehouse first -----------------------


def _platform_meters(meters=METERS):
    """What the platform mapping's meters query returns (core/bills/platform_bills.sql)."""
    return meters.drop(columns=["bidirectional"], errors="ignore")


def _fake_platform(monkeypatch, bills, meters=METERS):
    """Serve ``bills`` and ``meters`` as the platform database at postgresql://platform/db."""
    calls = []

    def read(db, url):
        calls.append(url)
        return bills.copy(), _platform_meters(meters)

    monkeypatch.setitem(source.SOURCES, "postgresql", read)
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", "postgresql://reader:pw@platform/db")
    return calls


def test_the_platform_bills_land_in_the_warehouse_and_are_checked_there(fresh_db, monkeypatch):
    monkeypatch.setattr(job, "_normalise", fake_normalise)
    calls = _fake_platform(monkeypatch, BILLS[BILLS.bill_id.isin(["B1", "B2", "B3"])])
    fresh_db.insert_df("bills", BILLS[BILLS.bill_id == "BAD"])  # gone from the platform since
    fresh_db.insert_df("readings", _readings())

    summary = job.run(fresh_db, RUN_DATE, registry={"zero_usage": FAKE["zero_usage"]})

    assert calls == ["postgresql://reader:pw@platform/db"]
    assert (summary.status, summary.units_total) == ("ok", 3)
    stored = fresh_db.fetch_df("SELECT bill_id FROM bills ORDER BY bill_id")
    assert stored.bill_id.tolist() == ["B1", "B2", "B3"]  # landed; BAD removed with the platform
    assert fresh_db.fetch_value("SELECT count(*) FROM meters") == 3
    assert sorted(_issues(fresh_db).bill_id) == ["B2", "B3"]


def test_bills_the_import_rejects_are_failed_units_naming_the_bill(fresh_db, monkeypatch):
    monkeypatch.setattr(job, "_normalise", fake_normalise)
    wrong_account = _bill("WRONG", "m1", "2026-01-01", "2026-01-31", 5.0, account_id="a2")
    bills = pd.concat([BILLS, pd.DataFrame([wrong_account])], ignore_index=True)
    _fake_platform(monkeypatch, bills)
    fresh_db.insert_df("readings", _readings())

    summary = job.run(fresh_db, RUN_DATE, registry={"zero_usage": FAKE["zero_usage"]})

    assert summary.status == "partial"
    failed = dict(summary.failures)
    assert {"BAD", "ORPHAN", "WRONG"} <= set(failed)
    assert failed["WRONG"].startswith("not synced from the platform: ")
    assert "a1" in failed["WRONG"] and "a2" in failed["WRONG"]  # both accounts named
    assert "m9" in failed["ORPHAN"]
    stored = set(fresh_db.fetch_df("SELECT bill_id FROM bills").bill_id)
    assert stored == {"B1", "B2", "B3"}  # the good bills landed and were checked
    assert sorted(_issues(fresh_db).bill_id) == ["B2", "B3"]
    error = fresh_db.fetch_value("SELECT error FROM dq_runs WHERE run_id = ?", [summary.run_id])
    assert "WRONG: not synced from the platform" in error


def test_a_platform_that_is_down_checks_the_bills_synced_before(warehouse, monkeypatch):
    before = warehouse.fetch_df("SELECT * FROM bills ORDER BY bill_id")
    monkeypatch.setenv("DQ_CONNECT_TIMEOUT_SECONDS", "2")
    url = "postgresql://bills:hunter2@127.0.0.1:1/platform"  # nothing listens on port 1
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", url)

    summary = job.run(warehouse, RUN_DATE, registry={"zero_usage": FAKE["zero_usage"]})

    assert summary.status == "partial"  # not failed: the bills synced before were checked
    reason = dict(summary.failures)["platform"]
    assert "postgresql://bills:***@127.0.0.1:1/platform" in reason and "hunter2" not in reason
    assert reason.endswith("the bills synced before were checked")
    assert summary.units_total == len(BILLS)
    assert sorted(_issues(warehouse).bill_id) == ["B2", "B3"]
    pd.testing.assert_frame_equal(
        warehouse.fetch_df("SELECT * FROM bills ORDER BY bill_id"), before
    )
    run = warehouse.fetch_df("SELECT status, error FROM dq_runs").iloc[0]
    assert run.status == "partial" and "hunter2" not in run.error


def test_a_platform_url_of_an_unknown_kind_fails_the_run(warehouse, monkeypatch):
    """A bad setting is not an outage: the run fails and says which setting."""
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", "mysql://bills:hunter2@db.example/platform")
    with pytest.raises(ConfigError, match="DQ_PLATFORM_DB_URL"):
        job.run(warehouse, RUN_DATE, registry=FAKE)
    run = warehouse.fetch_df("SELECT status, error FROM dq_runs").iloc[0]
    assert run.status == "failed" and "hunter2" not in run.error
    assert _issues(warehouse).empty


def test_the_real_checks_run_on_the_hand_made_warehouse(fresh_db):
    """The real checks run end to end on the hand-made warehouse."""
    fresh_db.insert_df("meters", METERS)
    fresh_db.insert_df("bills", BILLS)
    fresh_db.insert_df("readings", _readings())
    summary = job.run(fresh_db, RUN_DATE)
    assert not [u for u, _ in summary.failures if u.startswith("check:")], summary.failures
    assert {"BAD", "ORPHAN"} <= {u for u, _ in summary.failures}
    rows = _issues(fresh_db)
    assert set(rows.kind) <= {"bill"} and set(rows.detector) <= set(REGISTRY)
    again = job.run(fresh_db, RUN_DATE)
    assert again.issues_found == summary.issues_found
    assert fresh_db.fetch_value("SELECT count(*) FROM dq_issues") == len(rows)


# ---- a person's edit racing a rerun that no longer finds the issue -----------------------


@pytest.fixture
def any_warehouse(any_db, monkeypatch):
    """The hand-made warehouse on DuckDB and on PostgreSQL."""
    any_db.insert_df("meters", METERS)
    any_db.insert_df("bills", BILLS)
    any_db.insert_df("readings", _readings())
    monkeypatch.setattr(job, "_normalise", fake_normalise)
    return any_db


ZERO_USAGE_ONLY = {"zero_usage": FAKE["zero_usage"]}


def _fixed_and_found_again(db):
    """First run finds B2 and B3 with zero usage; then the bills are fixed (the rerun finds
    nothing at all with ZERO_USAGE_ONLY). Returns the two issue ids by bill."""
    job.run(db, RUN_DATE, registry=ZERO_USAGE_ONLY)
    ids = dict(db.fetch_all("SELECT bill_id, issue_id FROM dq_issues"))
    assert sorted(ids) == ["B2", "B3"]
    db.execute("UPDATE bills SET usage = 900 WHERE bill_id IN ('B2', 'B3')")
    return ids


def test_rerun_keeps_a_status_set_between_its_read_and_its_write(any_warehouse, monkeypatch):
    """The person's edit becomes visible to the rerun after it picked B2's issue as stale (on
    PostgreSQL without the lock a concurrent commit does exactly this; here it is written through
    the rerun's own transaction so the gap is deterministic on every engine)."""
    ids = _fixed_and_found_again(any_warehouse)
    real_resolve = store.resolve

    def person_edits_then_resolve(tx, picked, run):
        assert picked == sorted(ids.values())  # the rerun picked both as no longer found
        tx.execute(
            "UPDATE dq_issues SET status = 'ignored', status_by = 'alice', status_note = ? "
            "WHERE issue_id = ?",
            ("meter replaced in February", ids["B2"]),
        )
        return real_resolve(tx, picked, run)

    monkeypatch.setattr(store, "resolve", person_edits_then_resolve)
    summary = job.run(any_warehouse, RUN_DATE, registry=ZERO_USAGE_ONLY)
    assert summary.resolved == 1
    rows = any_warehouse.fetch_df("SELECT bill_id, status, status_by, status_note FROM dq_issues")
    got = {r.bill_id: (r.status, r.status_by, r.status_note) for r in rows.itertuples()}
    assert got == {
        "B2": ("ignored", "alice", "meter replaced in February"),
        "B3": ("resolved", "system", f"no longer detected by run {summary.run_id}"),
    }
    assert any_warehouse.fetch_all("SELECT issue_id, changed_by FROM issue_events") == [
        (ids["B3"], "system")
    ]


@pytest.mark.parametrize("any_url", ["postgres"], indirect=True)
def test_rerun_finding_nothing_waits_for_a_persons_edit_in_flight(any_warehouse, monkeypatch):
    """A person's transaction has read B2's issue when a rerun that finds nothing starts; the
    rerun must wait for it (dq_issues lock before its read) and keep the person's status."""
    import threading
    import time

    db = any_warehouse
    ids = _fixed_and_found_again(db)
    original_check = triage._check
    read, go, out = threading.Event(), threading.Event(), {}

    def check_then_hold(tx, user, change):
        result = original_check(tx, user, change)
        read.set()  # the person's transaction holds the lock and has read the issue
        assert go.wait(60)
        return result

    def rerun():
        try:
            out["summary"] = job.run(db, RUN_DATE, registry=ZERO_USAGE_ONLY)
        except Exception as exc:  # noqa: BLE001 - asserted below
            out["error"] = exc

    monkeypatch.setattr(triage, "_check", check_then_hold)
    person = threading.Thread(
        target=triage.set_status, args=(db, ALICE, ids["B2"], "acknowledged", "calling the utility")
    )
    person.start()
    assert read.wait(60)
    job_thread = threading.Thread(target=rerun)
    job_thread.start()
    deadline = time.monotonic() + 60
    while not db.fetch_value(  # the rerun is blocked behind the person's transaction
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    ):
        assert job_thread.is_alive(), out
        assert time.monotonic() < deadline
        time.sleep(0.05)
    go.set()
    person.join(60)
    job_thread.join(60)
    assert "error" not in out, out
    assert out["summary"].resolved == 1
    rows = db.fetch_df("SELECT bill_id, status, status_by, status_note FROM dq_issues")
    got = {r.bill_id: (r.status, r.status_by) for r in rows.itertuples()}
    assert got == {"B2": ("acknowledged", "alice"), "B3": ("resolved", "system")}
    assert sorted(db.fetch_all("SELECT issue_id, changed_by FROM issue_events")) == sorted(
        [(ids["B2"], "alice"), (ids["B3"], "system")]
    )
