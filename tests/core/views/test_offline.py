from datetime import date

import pandas as pd
import pytest

from core import runs, triage
from core.auth import User
from core.dq import store
from core.views import offline

DAY = pd.Timestamp("2026-03-10")
END = DAY + pd.Timedelta(days=1)  # the latest scored window end
LOADED = pd.Timestamp("2026-03-11 01:00")
ADMIN = User("ada", "Ada", "admin", None)
STAFF_A = User("sam", "Sam", "staff", frozenset({"acc-a"}))
OTHER = User("olly", "Olly", "staff", None)


def _meter(
    meter_id, account="acc-a", building="b1", enabled=True, archived=False, kind="electricity"
):
    return {
        "meter_id": meter_id,
        "building_id": building,
        "account_id": account,
        "kind": kind,
        "unit": "kWh" if kind == "electricity" else "gal",
        "building_name": f"Bldg {building}",
        "account_name": f"Name {account}",
        "timezone": "UTC",
        "dq_enabled": enabled,
        "account_active": True,
        "building_archived": archived,
        "interval_minutes": 15,
    }


def _issue(issue_id, meter_id, start, end=END, status="open", detector="offline", account="acc-a"):
    return {
        "issue_id": issue_id,
        "kind": "meter",
        "detector": detector,
        "account_id": account,
        "building_id": "b1",
        "meter_id": meter_id,
        "source": "platform",
        "start_ts": pd.Timestamp(start),
        "end_ts": end,
        "severity": "high",
        "magnitude": 1.0,
        "first_seen_run": "r1",
        "last_seen_run": "r1",
        "status": status,
        "status_by": "system",
        "status_at": LOADED,
    }


@pytest.fixture
def db(fresh_db):
    fresh_db.insert_df("meters", pd.DataFrame([
        _meter("m1"), _meter("m2"), _meter("m3", account="acc-b", building="b9"),
        _meter("m4", enabled=False), _meter("m5", kind="water"), _meter("m6", archived=True),
    ]))  # fmt: skip
    fresh_db.insert_df("readings", pd.DataFrame({
        "meter_id": ["m1", "m1", "m1", "m1", "m3"],
        "ts": pd.to_datetime(["2026-03-10 05:30", "2026-03-10 05:45", "2026-03-10 05:45",
                              "2026-03-09 00:00", "2026-03-10 01:00"]),
        "value": [3.0, 4.0, 99.0, 1.0, 7.0],
        "source": ["platform", "platform", "raw", "platform", "platform"],
    }))  # fmt: skip
    fresh_db.insert_df("dq_meter_days", pd.DataFrame({
        "meter_id": ["m1", "m3"], "account_id": ["acc-a", "acc-b"], "building_id": ["b1", "b9"],
        "day": [DAY.date(), DAY.date()], "source": "platform", "expected_points": 96,
        "present_points": [24, 4], "completeness": [0.25, 0.04], "flagged_points": [72, 92],
        "score": [0.25, 0.04], "run_id": "r1",
    }))  # fmt: skip
    fresh_db.insert_df("dq_issues", pd.DataFrame([
        _issue("now", "m1", "2026-03-10 06:00"),
        _issue("flat", "m1", "2026-03-10 06:00", detector="flatline"),
        _issue("done", "m2", "2026-03-10 02:00", status="resolved"),
        _issue("recovered", "m2", "2026-03-09 02:00", end=DAY + pd.Timedelta(hours=3)),
        _issue("b-side", "m3", "2026-03-10 01:15", account="acc-b"),
        _issue("ineligible", "m4", "2026-03-10 01:00"),
        _issue("archived", "m6", "2026-03-10 01:00"),
        _issue("dormant", "m5", "2026-02-20 00:00", status="acknowledged"),
    ]))  # fmt: skip
    return fresh_db


def test_now_excludes_resolved_recovered_ineligible_and_other_detectors(db):
    found = offline.offline_devices(db, ADMIN)
    assert found.as_of == END
    assert sorted(found.now["issue_id"]) == ["b-side", "now"]
    assert list(found.dormant["issue_id"]) == ["dormant"]
    assert found.dormant_days == 14


def test_hours_and_last_value_come_from_the_reading_before_the_start(db):
    row = offline.offline_devices(db, ADMIN).now.set_index("issue_id").loc["now"]
    assert row["hours_offline"] == 18.0
    assert (row["last_value"], row["last_ts"]) == (4.0, pd.Timestamp("2026-03-10 05:45"))
    assert row["last_reading"] == "4 kWh"
    assert (row["kind"], row["unit"], row["building_name"]) == ("electricity", "kWh", "Bldg b1")
    dormant = offline.offline_devices(db, ADMIN).dormant.iloc[0]
    assert pd.isna(dormant["last_value"]) and pd.isna(dormant["last_ts"])  # never reported
    assert dormant["last_reading"] == "none"
    assert dormant["hours_offline"] == 19 * 24


def test_dormant_threshold_is_read_at_call_time(db, monkeypatch):
    monkeypatch.setenv("DQ_DORMANT_DAYS", "30")
    found = offline.offline_devices(db, ADMIN)
    assert "dormant" in set(found.now["issue_id"]) and found.dormant.empty


def test_scope_hides_other_accounts(db):
    found = offline.offline_devices(db, STAFF_A)
    assert list(found.now["issue_id"]) == ["now"]
    assert set(found.now["account_id"]) == {"acc-a"}
    nobody = offline.offline_devices(db, User("n", "N", "staff", frozenset()))
    assert nobody.as_of is None and nobody.now.empty


def test_a_meter_silent_in_both_feeds_is_two_rows_and_one_meter(db):
    raw = _issue("now-raw", "m1", "2026-03-10 06:00") | {"source": "raw"}
    db.insert_df("dq_issues", pd.DataFrame([raw]))
    found = offline.offline_devices(db, ADMIN)
    rows = found.now[found.now["meter_id"] == "m1"]
    assert sorted(rows["source"]) == ["platform", "raw"]  # each feed's issue, to triage apart
    assert offline.counts(found, DAY.date()) == offline.Counts(
        offline_now=2, not_contacted=2, went_offline=2, dormant=1
    )  # m1 and m3 (b-side), not three rows
    triage.apply(db, ADMIN, [triage.Change("now-raw", "acknowledged", "contacted",
                                           expected_status_at=LOADED.to_pydatetime())])  # fmt: skip
    assert offline.counts(offline.offline_devices(db, ADMIN), DAY.date()).not_contacted == 2


def test_empty_warehouse(fresh_db):
    found = offline.offline_devices(fresh_db, ADMIN)
    assert found.as_of is None and found.now.empty and found.dormant.empty


def test_owner_edit_keeps_status_and_note_and_is_audited(db):
    rows = offline.offline_devices(db, STAFF_A).now
    changes = offline.changes(rows, {"now": {"owner": "sam", "next_step": " call site "}})
    assert offline.save(db, STAFF_A, changes).saved == ["now"]
    got = db.fetch_all("SELECT owner, next_step, status FROM dq_issues WHERE issue_id = 'now'")
    assert got == [("sam", "call site", "open")]
    assert db.fetch_all("SELECT changed_by, from_status, to_status FROM issue_events") == [
        ("sam", "open", "open")
    ]


def test_mark_contacted_only_touches_ticked_rows_and_keeps_edits(db):
    rows = offline.offline_devices(db, ADMIN).now
    first, second = rows["issue_id"]
    edits = {first: {"select": True, "owner": "ada"}, second: {"next_step": "visit"}}
    changes = offline.changes(rows, edits, *offline.CONTACTED)
    offline.save(db, ADMIN, changes)
    got = dict(db.fetch_all("SELECT issue_id, status || '/' || coalesce(status_note, '') "
                            "FROM dq_issues WHERE issue_id IN ('now', 'b-side')"))  # fmt: skip
    assert got == {first: "acknowledged/contacted", second: "open/"}
    assert (
        offline.changes(rows, {first: {"select": True}}) == []
    )  # no status given: nothing to save


def test_stale_edit_is_refused(db):
    rows = offline.offline_devices(db, STAFF_A).now
    triage.set_status(db, OTHER, "now", "acknowledged", note="on it")
    result = offline.save(db, STAFF_A, offline.changes(rows, {"now": {"owner": "sam"}}))
    assert result.saved == [] and "after you loaded it" in result.refused[0][1]
    assert db.fetch_value("SELECT owner FROM dq_issues WHERE issue_id = 'now'") is None


def test_mark_resolved_drops_the_meter_from_the_list(db):
    rows = offline.offline_devices(db, STAFF_A).now
    offline.save(db, STAFF_A, offline.changes(rows, {"now": {"select": True}}, *offline.RESOLVED))
    assert offline.offline_devices(db, STAFF_A).now.empty


def test_edits_are_keyed_by_the_issue_shown_at_that_position(db):
    shown = offline.offline_devices(db, ADMIN).now
    first, second = shown["issue_id"]
    edited = {"1": {"owner": "ada"}, 0: {"select": True}, 7: {"owner": "gone"}}
    assert offline.edits_by_issue(shown, edited) == {
        first: {"select": True},
        second: {"owner": "ada"},
    }  # row 7 is not on screen: dropped


def test_changes_follow_the_issue_not_the_row_position(db):
    """A list reloaded in another order (a colleague's change) gets each edit on its issue."""
    shown = offline.offline_devices(db, ADMIN).now
    first, second = shown["issue_id"]
    edits = offline.edits_by_issue(shown, {1: {"owner": "ada"}})
    reordered = shown.iloc[::-1].reset_index(drop=True)
    (change,) = offline.changes(reordered, edits)
    row = shown.set_index("issue_id").loc[second]
    assert (change.issue_id, change.owner, change.status) == (second, "ada", row["status"])
    assert change.expected_status_at == pd.Timestamp(row["status_at"]).to_pydatetime()
    assert offline.changes(shown[shown["issue_id"] == first], edits) == []  # not listed: left out


def test_csv_has_both_lists(db):
    found = offline.offline_devices(db, ADMIN)
    csv = pd.read_csv(pd.io.common.BytesIO(offline.csv_bytes(found.now, found.dormant)))
    assert list(csv.columns) == offline.CSV_COLUMNS
    assert csv["dormant"].tolist() == [False, False, True]


def test_a_dq_rerun_keeps_owner_and_next_step(fresh_db):
    meters = pd.DataFrame({"meter_id": ["m1"], "account_id": ["acc-a"], "building_id": ["b1"]})
    event = pd.DataFrame([{
        "meter_id": "m1", "detector": "offline", "source": "platform",
        "start_ts": pd.Timestamp("2026-03-10 06:00"), "end_ts": END, "slots": 72, "hours": 18.0,
        "magnitude": 18.0, "severity": "high", "clipped_start": False, "status": "open",
        "status_note": None,
    }])  # fmt: skip

    def rerun():
        run = runs.Run("dq", {"date": str(date(2026, 3, 10))})
        with fresh_db.transaction() as tx:
            store.upsert_issues(tx, event, meters, run)

    rerun()
    issue = fresh_db.fetch_value("SELECT issue_id FROM dq_issues")
    triage.apply(fresh_db, STAFF_A, [triage.Change(issue, "open", owner="sam", next_step="call")])
    rerun()
    assert fresh_db.fetch_all("SELECT owner, next_step FROM dq_issues") == [("sam", "call")]


def test_figures_count_offline_uncontacted_new_and_dormant_meters(db):
    db.execute("UPDATE dq_issues SET status = 'acknowledged' WHERE issue_id = 'b-side'")
    found = offline.offline_devices(db, ADMIN)
    assert offline.figures(found, DAY.date()) == [
        ("Offline now", 2),
        ("Not contacted yet", 1),
        ("Went offline on 2026-03-10", 2),
        ("Dormant (> 14 days)", 1),
    ]
    assert offline.figures(found, date(2026, 3, 11))[2] == ("Went offline on 2026-03-11", 0)
