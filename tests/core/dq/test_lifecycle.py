"""core/dq/lifecycle.py: issues that continue, close themselves when the problem stops, reopen."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from core import triage
from core.auth import User
from core.dq import job, lifecycle
from core.ingest import import_frames
from tests.fieldcases import gen
from tests.fieldcases.gen import END, Meter

ADA = User("ada", "Ada", "staff", None)
DAY = END.date()  # the day the problem has stopped
BEFORE = DAY - timedelta(days=1)  # the day the meter went silent


def _issues(db, detector):
    return db.fetch_df(
        "SELECT issue_id, start_ts, end_ts, status, status_by, status_note FROM dq_issues "
        "WHERE kind = 'meter' AND detector = ? ORDER BY start_ts",
        (detector,),
    )


def _events(db, issue_id):
    return db.fetch_all(
        "SELECT changed_by, from_status, to_status, note FROM issue_events WHERE issue_id = ? "
        "ORDER BY changed_at",
        (issue_id,),
    )


@pytest.fixture
def silent_then_back(any_db):
    """A meter silent from noon of BEFORE to its end, reporting normally again on DAY."""
    meter = Meter("m1")
    times = gen.slots(meter)
    v = gen.values(meter, times, seed=5)
    gone = (times >= pd.Timestamp(BEFORE) + pd.Timedelta(hours=12)) & (times < pd.Timestamp(DAY))
    import_frames(
        any_db,
        meters=gen.meters_frame([meter]),
        readings=gen.readings_frame(meter, v[~gone], times[~gone]),
    )
    job.run(any_db, BEFORE)
    found = _issues(any_db, "offline")
    assert list(found["status"]) == ["open"]  # the meter went offline on BEFORE
    return any_db, found["issue_id"][0]


def test_an_issue_closes_itself_when_the_meter_is_back(silent_then_back):
    db, issue = silent_then_back
    job.run(db, DAY)
    row = _issues(db, "offline").set_index("issue_id").loc[issue]
    assert (row["status"], row["status_by"]) == ("resolved", "system")
    assert f"stopped: the readings of {DAY} show the meter is back online" in row["status_note"]
    assert _events(db, issue)[-1][:3] == ("system", "open", "resolved")
    job.run(db, DAY)  # a rerun changes nothing
    assert _issues(db, "offline").set_index("issue_id").loc[issue, "status"] == "resolved"


def test_a_persons_status_wins_and_they_see_what_the_system_would_have_done(silent_then_back):
    db, issue = silent_then_back
    triage.set_status(db, ADA, issue, "acknowledged", note="technician booked")
    job.run(db, DAY)
    job.run(db, DAY)
    row = _issues(db, "offline").set_index("issue_id").loc[issue]
    assert (row["status"], row["status_by"]) == ("acknowledged", "ada")
    said = [e for e in _events(db, issue) if e[0] == "system"]
    assert len(said) == 1  # said once, not on every run
    assert said[0][1:3] == ("acknowledged", "acknowledged")
    assert said[0][3].startswith(lifecycle.WOULD_HAVE) and "back online" in said[0][3]


def test_a_silent_day_does_not_count_as_stopped(any_db):
    """No reading at all on the day shows nothing about whether a problem stopped."""
    meter = Meter("m1")
    times = gen.slots(meter)
    v = gen.values(meter, times, seed=5)
    keep = times < pd.Timestamp(BEFORE) + pd.Timedelta(hours=12)
    import_frames(
        any_db,
        meters=gen.meters_frame([meter]),
        readings=gen.readings_frame(meter, v[keep], times[keep]),
    )
    job.run(any_db, BEFORE)
    job.run(any_db, DAY)
    assert set(_issues(any_db, "offline")["status"]) == {"open"}


@pytest.fixture
def zero_nights(any_db):
    """A meter that reads zero for four night hours on BEFORE and again on DAY."""
    meter = Meter("m1")
    times = gen.slots(meter)
    v = gen.values(meter, times, seed=8)
    hour = np.asarray(times.hour)
    for day in (BEFORE, DAY):
        on = (np.asarray(times.date) == day) & (hour >= 1) & (hour < 5)
        v[on] = 0.0
    import_frames(
        any_db, meters=gen.meters_frame([meter]), readings=gen.readings_frame(meter, v, times)
    )
    return any_db


def test_a_problem_that_recurs_the_next_day_is_one_issue(zero_nights, monkeypatch):
    db = zero_nights
    job.run(db, BEFORE)
    first = _issues(db, "zero_run")
    assert len(first) == 1
    job.run(db, DAY)
    both = _issues(db, "zero_run")
    assert list(both["issue_id"]) == list(first["issue_id"])  # continued, not a new issue
    assert pd.Timestamp(both["end_ts"][0]).date() == DAY


def test_the_gap_setting_decides_what_counts_as_the_same(zero_nights, monkeypatch):
    monkeypatch.setenv("DQ_SAME_ISSUE_GAP_HOURS", "0")
    job.run(zero_nights, BEFORE)
    job.run(zero_nights, DAY)
    assert len(_issues(zero_nights, "zero_run")) == 2


def test_an_issue_the_system_closed_reopens_when_it_comes_back(zero_nights):
    db = zero_nights
    job.run(db, BEFORE)
    issue = _issues(db, "zero_run")["issue_id"][0]
    db.execute(  # as if a day in between had shown the readings moving again
        "UPDATE dq_issues SET status = 'resolved', status_note = 'stopped' WHERE issue_id = ?",
        (issue,),
    )
    job.run(db, DAY)
    found = _issues(db, "zero_run")
    assert list(found["issue_id"]) == [issue] and found["status"][0] == "open"
    assert _events(db, issue)[-1][:3] == ("system", "resolved", "open")


def test_an_issue_a_person_closed_stays_closed_and_a_new_one_opens(zero_nights):
    db = zero_nights
    job.run(db, BEFORE)
    issue = _issues(db, "zero_run")["issue_id"][0]
    triage.set_status(db, ADA, issue, "resolved", note="register fixed")
    job.run(db, DAY)
    found = _issues(db, "zero_run").set_index("issue_id")
    assert found.loc[issue, "status"] == "resolved" and len(found) == 2
