import json
from datetime import date

import pandas as pd
import pytest

from core.auth import User
from core.views import overview

D1, D2 = date(2026, 3, 9), date(2026, 3, 10)
ADMIN = User("ada", "Ada", "admin", None)
STAFF_A = User("sam", "Sam", "staff", frozenset({"acc-a"}))
STAFF_B = User("bo", "Bo", "staff", frozenset({"acc-b"}))
T = pd.Timestamp


def _run(run_id, day, finished, status="ok", error=None):
    return {
        "run_id": run_id,
        "job": "dq",
        "params": json.dumps({"date": str(day)}),
        "started_at": T(finished) - pd.Timedelta(minutes=5),
        "finished_at": T(finished),
        "status": status,
        "units_total": 3,
        "units_failed": 2 if error else 0,
        "issues_found": 4,
        "error": error,
    }


def _issue(issue_id, account, detector, severity, start, run="r2", status="open", by="system"):
    meter = {"acc-a": "m1", "acc-b": "m3"}[account]
    return {
        "issue_id": issue_id,
        "kind": "meter",
        "detector": detector,
        "account_id": account,
        "building_id": "b1" if account == "acc-a" else "b3",
        "meter_id": meter,
        "source": "platform",
        "start_ts": T(start),
        "end_ts": T(start) + pd.Timedelta(hours=4),
        "severity": severity,
        "first_seen_run": run,
        "last_seen_run": "r2",
        "status": status,
        "status_by": by,
        "status_at": T("2026-03-11 01:00"),
    }


@pytest.fixture
def db(fresh_db):
    return _fill(fresh_db)


def _fill(fresh_db):
    meters = [("m1", "b1", "acc-a"), ("m2", "b2", "acc-a"), ("m3", "b3", "acc-b")]
    fresh_db.insert_df("meters", pd.DataFrame([{
        "meter_id": m, "building_id": b, "account_id": a, "kind": "electricity", "unit": "kWh",
        "building_name": f"Bldg {b}", "account_name": f"Name {a}", "timezone": "UTC",
        "dq_enabled": True, "account_active": True, "building_archived": False,
        "interval_minutes": 15,
    } for m, b, a in meters]))  # fmt: skip
    scores = {(D1, "m1"): 1.0, (D1, "m2"): 1.0, (D1, "m3"): 0.0,
              (D2, "m1"): 0.5, (D2, "m2"): 1.0, (D2, "m3"): 0.2}  # fmt: skip
    fresh_db.insert_df("dq_meter_days", pd.DataFrame([{
        "meter_id": m, "account_id": "acc-b" if m == "m3" else "acc-a",
        "building_id": {"m1": "b1", "m2": "b2", "m3": "b3"}[m], "day": d, "source": "platform",
        "expected_points": 96, "present_points": 96, "completeness": 1.0 if m != "m1" else 0.75,
        "flagged_points": 0, "score": s, "run_id": "r1" if d == D1 else "r2",
    } for (d, m), s in scores.items()]))  # fmt: skip
    fresh_db.insert_df("dq_runs", pd.DataFrame([
        _run("r1", D1, "2026-03-10 01:00"),
        _run("r2", D2, "2026-03-11 01:00", "partial", "m1: platform: boom\nm3: bang: secret-b"),
    ]))  # fmt: skip
    fresh_db.insert_df("dq_issues", pd.DataFrame([
        _issue("a1", "acc-a", "offline", "high", "2026-03-10 06:00"),
        _issue("a2", "acc-a", "flatline", "low", "2026-03-10 07:00", status="acknowledged"),
        _issue("a3", "acc-a", "flatline", "medium", "2026-03-09 07:00", run="r1", status="resolved"),
        _issue("a4", "acc-a", "flatline", "low", "2026-03-10 08:00", status="not_an_issue"),
        _issue("b1", "acc-b", "flatline", "high", "2026-03-10 01:00"),
        _issue("b2", "acc-b", "offline", "high", "2026-03-09 01:00", run="r1", status="ignored"),
    ]))  # fmt: skip
    fresh_db.insert_df("issue_events", pd.DataFrame({
        "issue_id": ["a3", "a3", "a3", "b2"],
        "changed_at": [T("2026-03-10 03:00"), T("2026-03-10 07:00"), T("2026-03-10 09:00"),
                       T("2026-03-10 11:00")],
        "changed_by": ["sam", "sam", "sam", "bo"],
        "from_status": ["open", "acknowledged", "resolved", "open"],
        "to_status": ["acknowledged", "resolved", "open", "ignored"],
        "note": None,
    }))  # fmt: skip
    return fresh_db


def test_scores_by_account_and_building_use_the_latest_day(db):
    acc = overview.scores(db, ADMIN, "account").set_index("account_id")
    assert acc.loc["acc-a", ["meters", "score"]].tolist() == [2, 0.75]
    assert acc.loc["acc-a", "completeness"] == pytest.approx(0.875)
    assert acc.loc["acc-a", "account_name"] == "Name acc-a"
    assert list(acc.index) == ["acc-b", "acc-a"]  # worst first
    bld = overview.scores(db, ADMIN, "building")
    assert bld[["building_id", "building_name", "score"]].values.tolist() == [
        ["b3", "Bldg b3", 0.2],
        ["b1", "Bldg b1", 0.5],
        ["b2", "Bldg b2", 1.0],
    ]


def test_open_issue_counts_by_detector_and_severity(db):
    counts = overview.open_issue_counts(db, ADMIN)
    assert counts.loc["flatline"].to_dict() == {"high": 1, "medium": 0, "low": 1, "total": 2}
    assert counts.loc["offline"].to_dict() == {"high": 1, "medium": 0, "low": 0, "total": 1}


def test_trend_has_one_row_per_day_with_score_and_new_issues(db):
    trend = overview.trend(db, ADMIN)  # starts at the first scored day, not 30 days back
    assert trend["day"].tolist() == [T(D1), T(D2)]
    assert trend["score"].round(4).tolist() == [round(2 / 3, 4), round(1.7 / 3, 4)]
    # a4 was dismissed by post-processing (system not_an_issue): not a new issue
    assert trend["new_issues"].tolist() == [2, 3]
    assert overview.trend_chart(trend).to_dict()["vconcat"]


def test_trend_keeps_unscored_days_inside_the_range_and_stops_at_30_days(db):
    db.execute("UPDATE dq_meter_days SET day = ? WHERE day = ?", (date(2026, 3, 7), D1))
    assert overview.trend(db, ADMIN)["score"].isna().tolist() == [False, True, True, False]
    db.execute(
        "UPDATE dq_meter_days SET day = ? WHERE day = ?", (date(2026, 1, 1), date(2026, 3, 7))
    )
    trend = overview.trend(db, ADMIN)
    assert len(trend) == 1 and trend["day"].iloc[0] == T(D2)
    assert len(overview.trend(db, ADMIN, days=90)) == 69


def test_mean_time_to_resolve_uses_the_first_closing_event(db):
    mttr = overview.time_to_resolve(db, ADMIN).set_index("detector")
    # a3: detected by r1 (finished 03-10 01:00), first closed 03-10 07:00 -> 6 h
    # b2: detected by r1, ignored 03-10 11:00 -> 10 h
    assert mttr.loc["flatline"].tolist() == [1, 6.0]
    assert mttr.loc["offline"].tolist() == [1, 10.0]


def test_run_summary_counts_and_failures(db):
    run = overview.run_summary(db, ADMIN)
    assert (run["day"], run["status"], run["meters_scored"], run["issues_found"]) == (
        "2026-03-10",
        "partial",
        3,
        6,
    )
    assert run["failures"].values.tolist() == [["m1", "platform: boom"], ["m3", "bang: secret-b"]]


def test_scoped_user_sees_no_number_from_other_accounts(db):
    run = overview.run_summary(db, STAFF_A)
    assert (run["meters_scored"], run["issues_found"]) == (2, 4)
    assert run["failures"]["meter_id"].tolist() == ["m1"]
    assert set(overview.scores(db, STAFF_A, "building")["building_id"]) == {"b1", "b2"}
    assert set(overview.scores(db, STAFF_A)["account_id"]) == {"acc-a"}
    assert set(overview.open_issue_counts(db, STAFF_A).index) == {"offline", "flatline"}
    assert overview.open_issue_counts(db, STAFF_A)["high"].sum() == 1
    assert overview.trend(db, STAFF_A)["new_issues"].sum() == 3  # a1, a2, a3
    assert overview.time_to_resolve(db, STAFF_A)["detector"].tolist() == ["flatline"]
    b_run = overview.run_summary(db, STAFF_B)
    assert b_run["failures"]["meter_id"].tolist() == ["m3"]


def test_user_whose_meters_did_not_fail_sees_an_ok_run(db):
    db.execute("UPDATE dq_runs SET error = 'm3: bang' WHERE run_id = 'r2'")
    run = overview.run_summary(db, STAFF_A)
    assert run["status"] == "ok" and run["failures"].empty


def test_empty_warehouse(fresh_db):
    assert overview.run_summary(fresh_db, ADMIN) is None
    assert overview.last_day(fresh_db, ADMIN) is None
    assert overview.scores(fresh_db, ADMIN).empty
    assert overview.open_issue_counts(fresh_db, ADMIN).empty
    assert overview.trend(fresh_db, ADMIN).empty
    assert overview.time_to_resolve(fresh_db, ADMIN).empty


# ---- time to fix per owner and per account (issue 16) --------------------------------------

NOW = T("2026-03-12 01:00").to_pydatetime()


def _assign(db, **who):
    for issue_id, name in who.items():
        db.execute("UPDATE dq_issues SET assignee = ? WHERE issue_id = ?", (name, issue_id))


def test_time_to_fix_per_owner_counts_open_age_and_median_days_to_close(db):
    _assign(db, a1="sam", a3="sam", b1="bo")
    df = overview.time_to_fix(db, ADMIN, "assignee", 30, NOW).set_index("assignee")
    assert list(df.index) == ["(unassigned)", "bo", "sam"]  # one open issue each: by name
    assert df.loc["sam"].to_dict() == {
        "open": 1, "median_open_days": 1.0, "oldest_open_days": 1.0,  # a1: found 03-11 01:00
        "closed": 1, "median_days_to_close": 0.25,  # a3: found 03-10 01:00, resolved 07:00
    }  # fmt: skip
    assert df.loc["(unassigned)", ["open", "closed"]].tolist() == [1, 1]  # a2 open, b2 ignored
    assert df.loc["(unassigned)", "median_days_to_close"] == pytest.approx(10 / 24)
    assert df.loc["bo", "closed"] == 0 and pd.isna(df.loc["bo", "median_days_to_close"])


def test_time_to_fix_per_account_and_the_window(db):
    df = overview.time_to_fix(db, ADMIN, "account", 90, NOW).set_index("account_id")
    assert df.loc["acc-a", ["account_name", "open", "closed"]].tolist() == ["Name acc-a", 2, 1]
    assert df.loc["acc-a", "median_open_days"] == 1.0
    assert df.loc["acc-b", "median_days_to_close"] == pytest.approx(10 / 24)
    short = overview.time_to_fix(db, ADMIN, "account", 1, NOW).set_index("account_id")
    assert short["closed"].tolist() == [0, 0]  # both closings were more than a day ago
    assert short["open"].tolist() == [2, 1]  # open issues count whatever the window


def test_time_to_fix_shows_only_owners_of_the_users_accounts(db):
    _assign(db, a1="sam", b1="bo", b2="bo")
    df = overview.time_to_fix(db, STAFF_A, "assignee", 90, NOW)
    assert set(df["assignee"]) == {"sam", "(unassigned)"}  # bo holds only acc-b's issues
    assert df["closed"].sum() == 1  # a3 only; b2 is acc-b's
    accounts = overview.time_to_fix(db, STAFF_A, "account", 90, NOW)
    assert accounts["account_id"].tolist() == ["acc-a"]


@pytest.mark.parametrize("seed", range(5))
def test_the_weighted_median_is_the_median_of_the_repeated_values(seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    values = rng.integers(0, 20, 12).astype(float)
    weights = rng.integers(1, 5, 12).astype(float)
    expected = np.median(np.repeat(values, weights.astype(int)))
    assert overview._weighted_median(values, weights) == expected


def test_time_to_fix_runs_on_every_engine(any_db):
    db = _fill(any_db)
    _assign(db, a1="sam", a3="sam")
    df = overview.time_to_fix(db, ADMIN, "assignee", 30, NOW).set_index("assignee")
    assert df.loc["sam", ["open", "closed", "median_days_to_close"]].tolist() == [1, 1, 0.25]
