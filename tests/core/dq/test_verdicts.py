"""People's verdicts change the detectors: baselines, mutes and precision from verdicts."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from core import triage
from core.auth import User
from core.dq import evaluate, job, mutes
from core.ingest import import_frames
from tests.fieldcases import gen
from tests.fieldcases.gen import END, Meter

ADA = User("ada", "Ada", "staff", None)
SAM = User("sam", "Sam", "staff", frozenset({"a2"}))
BEA = User("bea", "Bea", "bse", None)
DAY = END.date()


def _issues(db, detector=None):
    df = db.fetch_df(
        "SELECT issue_id, meter_id, detector, start_ts, end_ts, status, status_by, status_note "
        "FROM dq_issues WHERE kind = 'meter' ORDER BY start_ts"
    )
    return df if detector is None else df[df["detector"] == detector].reset_index(drop=True)


@pytest.fixture
def leaked_twice(any_db):
    """A water meter that leaked for ten days three weeks ago, and leaks again on the scored day.

    Returns the warehouse and the last day of the first leak.
    """
    meter = Meter("w1", kind="water", resolution=1.0, peak=50.0)
    times = gen.slots(meter, days=45)
    v = gen.values(meter, times, seed=31)
    day = (times - times[0]) // pd.Timedelta(days=1)
    v[(day >= 15) & (day < 25)] += 1.0
    v[day == 44] += 2.0
    import_frames(
        any_db, meters=gen.meters_frame([meter]), readings=gen.readings_frame(meter, v, times)
    )
    return any_db, (times[0] + pd.Timedelta(days=24)).date()


def test_a_confirmed_fault_is_left_out_of_the_baseline(leaked_twice):
    db, first_leak = leaked_twice
    job.run(db, first_leak)  # the first leak is found ...
    old = _issues(db, "water_leak")
    assert len(old) == 1
    job.run(db, DAY)  # ... unjudged, its ten days make "never reaching zero" look normal
    assert len(_issues(db, "water_leak")) == 1
    triage.set_status(db, ADA, old["issue_id"][0], "resolved", note="valve replaced")
    job.run(db, DAY)  # confirmed: those days are no longer what is normal for this meter
    found = _issues(db, "water_leak")
    assert len(found) == 2 and found["status"].iloc[1] == "open"


def test_a_not_an_issue_window_stays_in_the_baseline(leaked_twice):
    db, first_leak = leaked_twice
    job.run(db, first_leak)
    old = _issues(db, "water_leak")
    triage.set_status(db, ADA, old["issue_id"][0], "not_an_issue", note="irrigation season")
    job.run(db, DAY)
    assert len(_issues(db, "water_leak")) == 1  # it was normal, so today's flow is too


@pytest.fixture
def flagged(any_db):
    """Two meters of two accounts, each with a negative reading on the scored day."""
    meters = [Meter("m1", account_id="a1"), Meter("m2", account_id="a2", building_id="b2")]
    frames = []
    for i, meter in enumerate(meters):
        times = gen.slots(meter)
        v = gen.values(meter, times, seed=40 + i)
        v[-20] = -3.0
        frames.append(gen.readings_frame(meter, v, times))
    import_frames(any_db, meters=gen.meters_frame(meters), readings=pd.concat(frames))
    job.run(any_db, DAY)
    return any_db


def test_mute_hides_findings_until_the_day_after_it_ends(flagged):
    db = flagged
    mute_id = mutes.mute(db, ADA, "m1", "negative_value", DAY, "CT being replaced", today=DAY)
    found = _issues(db, "negative_value").set_index("meter_id")
    assert found.loc["m1", "status"] == "muted"  # the open issue is muted at once
    assert found.loc["m1", "status_note"] == f"muted by ada until {DAY}: CT being replaced"
    assert found.loc["m2", "status"] == "open"
    events = db.fetch_all("SELECT changed_by, from_status, to_status FROM issue_events")
    assert events == [("ada", "open", "muted")]
    job.run(db, DAY)  # a rerun within the mute keeps it muted
    assert _issues(db, "negative_value").set_index("meter_id").loc["m1", "status"] == "muted"
    # the day after the mute ends, the same finding comes back
    tomorrow = DAY + timedelta(days=1)
    db.execute("DELETE FROM readings WHERE ts >= ?", [pd.Timestamp(tomorrow)])
    more = gen.slots(Meter("m1"), end=pd.Timestamp(tomorrow), days=1)
    v = gen.values(Meter("m1"), more, seed=9)
    v[5] = -2.0
    import_frames(db, readings=gen.readings_frame(Meter("m1"), v, more))
    job.run(db, tomorrow)
    back = _issues(db, "negative_value")
    back = back[back["meter_id"] == "m1"]
    assert list(back["status"]) == ["muted", "open"]
    assert mutes.active(db, ADA, "m1", day=tomorrow).empty
    assert len(mutes.active(db, ADA, "m1", day=DAY)) == 1
    assert mute_id in set(mutes.active(db, ADA, day=DAY)["mute_id"])


def test_muted_findings_are_not_in_the_to_do_list_but_count_as_flagged(flagged):
    from core.views import issues as issue_list

    db = flagged
    mutes.mute(db, ADA, "m1", "negative_value", DAY + timedelta(days=7), "known", today=DAY)
    listed = set(
        db.fetch_df(
            f"SELECT issue_id FROM dq_issues WHERE status IN "
            f"({', '.join(repr(s) for s in issue_list.DEFAULT_STATUSES)})"
        )["issue_id"]
    )
    muted = set(_issues(db, "negative_value").query("status == 'muted'")["issue_id"])
    assert muted and not muted & listed  # the Issues page lists the default statuses
    job.run(db, DAY)
    days = db.fetch_df("SELECT meter_id, flagged_points FROM dq_meter_days").set_index("meter_id")
    assert days.loc["m1", "flagged_points"] == days.loc["m2", "flagged_points"] == 1


def test_ending_a_mute_reopens_its_findings(flagged):
    db = flagged
    mute_id = mutes.mute(db, ADA, "m1", "negative_value", DAY, "known", today=DAY)
    assert mutes.end(db, ADA, mute_id) == 1
    assert _issues(db, "negative_value").set_index("meter_id").loc["m1", "status"] == "open"
    with pytest.raises(mutes.MuteError, match="does not exist or has ended"):
        mutes.end(db, ADA, mute_id)


def test_mutes_are_checked_and_scoped(flagged):
    db = flagged
    with pytest.raises(mutes.MuteError, match="role 'bse' cannot mute"):
        mutes.mute(db, BEA, "m1", "negative_value", DAY, "x", today=DAY)
    with pytest.raises(mutes.MuteError, match="Meter m1 does not exist"):
        mutes.mute(db, SAM, "m1", "negative_value", DAY, "x", today=DAY)  # another account
    with pytest.raises(mutes.MuteError, match="Unknown detector 'nope'"):
        mutes.mute(db, ADA, "m1", "nope", DAY, "x", today=DAY)
    with pytest.raises(mutes.MuteError, match="give a reason"):
        mutes.mute(db, ADA, "m1", "negative_value", DAY, "  ", today=DAY)
    with pytest.raises(mutes.MuteError, match="in the past"):
        mutes.mute(db, ADA, "m1", "negative_value", DAY - timedelta(days=1), "x", today=DAY)
    mutes.mute(db, SAM, "m2", "negative_value", DAY, "mine", today=DAY)
    assert set(mutes.active(db, SAM, day=DAY)["meter_id"]) == {"m2"}
    assert set(mutes.active(db, ADA, day=DAY)["meter_id"]) == {"m2"}


def test_a_person_can_take_one_muted_finding_back(flagged):
    db = flagged
    mutes.mute(db, ADA, "m1", "negative_value", DAY, "known", today=DAY)
    issue_id = _issues(db, "negative_value").set_index("meter_id").loc["m1", "issue_id"]
    triage.set_status(db, ADA, issue_id, "acknowledged", note="fixing it anyway")
    job.run(db, DAY)  # a person's status wins over the mute
    assert _issues(db, "negative_value").set_index("meter_id").loc["m1", "status"] == "acknowledged"
    with pytest.raises(triage.TriageError, match="cannot go from acknowledged to muted"):
        triage.set_status(db, ADA, issue_id, "muted")


def test_precision_from_verdicts_per_detector(flagged):
    db = flagged
    ids = _issues(db, "negative_value").set_index("meter_id")["issue_id"]
    triage.set_status(db, ADA, ids["m1"], "resolved", note="sign fixed")
    triage.set_status(db, ADA, ids["m2"], "not_an_issue", note="export")
    table = evaluate.precision(db, DAY, 30).set_index("detector")
    row = table.loc["negative_value"]
    assert (row.judged, row.confirmed, row.not_an_issue, row.precision) == (2, 1, 1, 0.5)
    scoped = evaluate.precision(db, DAY, 30, SAM).set_index("detector").loc["negative_value"]
    assert (scoped.judged, scoped.not_an_issue, scoped.precision) == (1, 1, 0.0)
    assert evaluate.precision(db, DAY + timedelta(days=60), 30).empty  # outside the window


def test_system_statuses_are_not_verdicts(flagged):
    db = flagged
    db.execute("UPDATE dq_issues SET status = 'not_an_issue', status_by = 'system'")
    table = evaluate.precision(db, DAY, 30)
    assert (table["judged"] == 0).all() and table["precision"].isna().all()


def test_evaluate_command_prints_the_table(flagged, monkeypatch, capsys):
    from jobs.cli import main

    db = flagged
    ids = _issues(db, "negative_value")["issue_id"]
    triage.set_status(db, ADA, ids[0], "acknowledged")
    monkeypatch.setenv("DQ_WAREHOUSE", db.url)
    assert main(["evaluate", "--date", str(DAY), "--days", "7"]) == 0
    out = capsys.readouterr().out
    assert "Precision from people's verdicts" in out and "negative_value" in out
    assert "100%" in out
    assert main(["evaluate", "--date", str(DAY), "--format", "csv"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv[0] == ",".join(evaluate.COLUMNS)
