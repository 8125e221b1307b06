"""Meter explorer queries: readings of both sources, issues in a window, scope and window limits."""

import pandas as pd
import pytest

from core import triage
from core.auth import User
from core.views import explorer

ADMIN = User("ada", "Ada", "admin", None)
STAFF_A = User("sam", "Sam", "staff", frozenset({"acc-a"}))
NOBODY = User("nil", "Nil", "staff", frozenset())
T0 = pd.Timestamp("2026-03-01")
SEEN = pd.Timestamp("2026-03-10 12:00").to_pydatetime()


def _meters():
    rows = [
        ("m-a1", "b-a", "acc-a", "Alpha Tower", "Alpha Corp"),
        ("m-a2", "b-a", "acc-a", "Alpha Tower", "Alpha Corp"),
        ("m-b1", "b-b", "acc-b", "Beta Plaza", "Beta Inc"),
    ]
    df = pd.DataFrame(
        rows, columns=["meter_id", "building_id", "account_id", "building_name", "account_name"]
    )
    return df.assign(
        kind="electricity",
        unit="kWh",
        timezone="UTC",
        dq_enabled=True,
        account_active=True,
        building_archived=False,
        interval_minutes=15,
    )


def _issue(db, issue_id, meter, account, start, end, severity="high", detector="spike_positive"):
    db.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, building_id, meter_id, source, start_ts, end_ts, "
        "severity, magnitude, first_seen_run, last_seen_run, status, status_by, status_at) VALUES "
        "(?, 'meter', ?, ?, 'b', ?, 'platform', ?, ?, ?, 5.0, 'r', 'r', 'open', 'system', ?)",
        (issue_id, detector, account, meter, start, end, severity, SEEN),
    )


@pytest.fixture
def db(fresh_db):
    fresh_db.insert_df("meters", _meters())
    ts = pd.date_range(T0, periods=10 * 96, freq="15min")  # 2026-03-01 .. 2026-03-10 23:45
    platform = pd.DataFrame({"meter_id": "m-a1", "ts": ts, "value": 1.0, "source": "platform"})
    raw = platform.assign(source="raw", value=1.1)
    other = platform.assign(meter_id="m-b1")
    fresh_db.insert_df("readings", pd.concat([platform, raw.iloc[:96], other]))
    _issue(
        fresh_db,
        "i-a",
        "m-a1",
        "acc-a",
        pd.Timestamp("2026-03-05 10:00"),
        pd.Timestamp("2026-03-05 11:00"),
    )
    _issue(
        fresh_db,
        "i-a-late",
        "m-a1",
        "acc-a",
        pd.Timestamp("2026-03-09 23:00"),
        pd.Timestamp("2026-03-10 02:00"),
        "low",
    )
    _issue(
        fresh_db,
        "i-b",
        "m-b1",
        "acc-b",
        pd.Timestamp("2026-03-05 10:00"),
        pd.Timestamp("2026-03-05 11:00"),
    )
    return fresh_db


def test_readings_of_both_sources_in_window(db):
    df = explorer.readings(db, ADMIN, "m-a1", "2026-03-01", "2026-03-02")
    assert list(df.columns) == ["ts", "value", "source"]
    assert df.groupby("source").size().to_dict() == {"platform": 96, "raw": 96}
    assert df.ts.min() == T0 and df.ts.max() == pd.Timestamp("2026-03-01 23:45")  # end is exclusive


def test_readings_accept_aware_times_as_utc(db):
    df = explorer.readings(
        db, ADMIN, "m-a1", pd.Timestamp("2026-03-02", tz="Europe/Paris"), "2026-03-02 01:00"
    )
    assert df.ts.min() == pd.Timestamp("2026-03-01 23:00")


def test_issues_overlapping_the_window_only(db):
    assert list(explorer.issues(db, ADMIN, "m-a1", "2026-03-05", "2026-03-06").issue_id) == ["i-a"]
    # an issue that starts before the window and runs into it is included
    assert list(explorer.issues(db, ADMIN, "m-a1", "2026-03-10", "2026-03-11").issue_id) == [
        "i-a-late"
    ]
    assert explorer.issues(
        db, ADMIN, "m-a1", "2026-03-05 11:00", "2026-03-06"
    ).empty  # end is exclusive
    assert list(explorer.issues(db, ADMIN, "m-a1", "2026-03-01", "2026-03-11").issue_id) == [
        "i-a",
        "i-a-late",
    ]


def test_meters_for_is_scoped_and_searchable(db):
    assert list(explorer.meters_for(db, ADMIN).meter_id) == ["m-a1", "m-a2", "m-b1"]
    assert list(explorer.meters_for(db, STAFF_A).meter_id) == ["m-a1", "m-a2"]
    assert explorer.meters_for(db, NOBODY).empty
    assert list(explorer.meters_for(db, ADMIN, search="beta").meter_id) == ["m-b1"]
    assert explorer.meters_for(db, STAFF_A, search="beta").empty
    assert list(explorer.meters_for(db, ADMIN, search="  A2 ").meter_id) == ["m-a2"]
    assert len(explorer.meters_for(db, ADMIN, limit=2)) == 2
    assert explorer.meters_for(db, ADMIN, search="%' OR 1=1 --").empty  # a parameter, not SQL


@pytest.mark.parametrize(
    "call",
    [
        lambda db, u, m: explorer.meter(db, u, m),
        lambda db, u, m: explorer.readings(db, u, m, "2026-03-01", "2026-03-02"),
        lambda db, u, m: explorer.issues(db, u, m, "2026-03-01", "2026-03-02"),
        lambda db, u, m: explorer.default_window(db, u, m),
    ],
)
def test_other_accounts_meter_reads_like_an_unknown_one(db, call):
    with pytest.raises(explorer.NotFoundError) as other:
        call(db, STAFF_A, "m-b1")
    with pytest.raises(explorer.NotFoundError) as unknown:
        call(db, STAFF_A, "m-zz")
    assert str(other.value) == "Meter m-b1 does not exist"
    assert str(unknown.value) == "Meter m-zz does not exist"
    call(db, ADMIN, "m-b1")  # the admin sees it


def test_other_accounts_issue_reads_like_an_unknown_one(db):
    for issue in ("i-b", "i-nope"):
        with pytest.raises(explorer.NotFoundError, match=f"^Issue {issue} does not exist$"):
            explorer.issue_target(db, STAFF_A, issue)
    assert explorer.issue_target(db, ADMIN, "i-b")[0] == "m-b1"


def test_issue_target_window_has_margins_in_whole_days(db):
    meter_id, start, end = explorer.issue_target(db, STAFF_A, "i-a")
    assert (meter_id, start, end) == (
        "m-a1",
        pd.Timestamp("2026-03-03"),
        pd.Timestamp("2026-03-07"),
    )


def test_issue_target_window_is_clipped_to_the_data(db):
    # the data ends 2026-03-10 23:45: the day after the issue is not shown empty
    assert explorer.issue_target(db, STAFF_A, "i-a-late")[1:] == (
        pd.Timestamp("2026-03-07"),
        pd.Timestamp("2026-03-11"),
    )
    _issue(db, "i-first", "m-a1", "acc-a", T0, T0 + pd.Timedelta(hours=1))
    assert explorer.issue_target(db, STAFF_A, "i-first")[1] == T0


def test_issue_target_of_a_long_issue_keeps_its_end(db):
    _issue(
        db,
        "i-long",
        "m-a2",
        "acc-a",
        pd.Timestamp("2025-06-01"),
        pd.Timestamp("2026-03-10"),
        detector="offline",
    )
    _, start, end = explorer.issue_target(db, ADMIN, "i-long")  # m-a2 has no readings: no clipping
    assert end == pd.Timestamp("2026-03-11") and end - start == pd.Timedelta(
        days=explorer.MAX_WINDOW_DAYS
    )


def test_bill_issue_has_no_meter_target(db):
    db.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, bill_id, severity, first_seen_run, "
        "last_seen_run, status, status_by, status_at) VALUES ('bill-1', 'bill', 'x', 'acc-a', 'b1', 'low', 'r', 'r', "
        "'open', 'system', ?)",
        (SEEN,),
    )
    with pytest.raises(explorer.NotFoundError, match="not about a meter"):
        explorer.issue_target(db, STAFF_A, "bill-1")


def test_default_window_is_the_last_seven_days_of_data(db):
    assert explorer.default_window(db, ADMIN, "m-a1") == (
        pd.Timestamp("2026-03-04"),
        pd.Timestamp("2026-03-11"),
    )
    start, end = explorer.default_window(db, ADMIN, "m-a2")  # no data: the week up to today
    assert end - start == pd.Timedelta(days=7) and end > pd.Timestamp("2026-01-01")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-03-05", "2026-03-04", "ends .* before it starts"),
        ("2026-03-05", "2026-03-05", "ends .* before it starts"),
        ("2026-01-01", "2026-03-05", "spans 63 days; .* at most 62 days"),
    ],
)
def test_window_limits(db, start, end, message):
    with pytest.raises(explorer.WindowError, match=message):
        explorer.readings(db, ADMIN, "m-a1", start, end)
    with pytest.raises(explorer.WindowError, match=message):
        explorer.issues(db, ADMIN, "m-a1", start, end)


def test_longest_window_is_allowed(db):
    df = explorer.readings(db, ADMIN, "m-a1", "2026-01-10", "2026-03-13")
    assert len(df) == 10 * 96 + 96


def test_changes_only_for_edited_rows_with_the_status_first_seen(db):
    loaded = explorer.issues(db, ADMIN, "m-a1", "2026-03-01", "2026-03-11")
    seen = {}
    assert explorer.changes(loaded, loaded.copy(), seen) == []
    assert seen == {"i-a": SEEN, "i-a-late": SEEN}
    edited = loaded.copy()
    edited.loc[1, ["status", "status_note"]] = ["acknowledged", "checking"]
    seen["i-a-late"] = pd.Timestamp("2026-03-09").to_pydatetime()  # when the user began editing
    assert explorer.changes(loaded, edited, seen) == [
        triage.Change(
            "i-a-late", "acknowledged", "checking", pd.Timestamp("2026-03-09").to_pydatetime()
        )
    ]
    result = triage.apply(db, ADMIN, explorer.changes(loaded, edited, seen))
    assert result.saved == [] and "after you loaded it" in result.refused[0][1]


def test_chart_carries_no_names_and_marks_the_linked_issue(db):
    points = explorer.readings(db, ADMIN, "m-a1", "2026-03-05", "2026-03-06")
    found = explorer.issues(db, ADMIN, "m-a1", "2026-03-05", "2026-03-06")
    spec = explorer.chart(points, found, "kWh", highlight="i-a").to_dict()
    text = str(spec)
    for secret in ("m-a1", "acc-a", "Alpha", "i-a"):
        assert secret not in text
    rect, line = spec["layer"]
    assert rect["mark"]["type"] == "rect" and line["mark"]["type"] == "line"
    assert rect["encoding"]["x2"]["field"] == "end_ts"
    assert {t["field"] for t in rect["encoding"]["tooltip"]} >= {
        "detector",
        "severity",
        "magnitude",
        "status",
    }
    assert (
        explorer.chart(points, found.iloc[:0], "kWh").to_dict()["layer"][0]["mark"]["type"]
        == "line"
    )


def _name(kind, id_, name=None):
    """How the page names things outside screen-share mode: the name, else the id."""
    return str(name or id_)


def test_picker_labels_and_byline_name_meter_building_and_account(db):
    options = explorer.meters_for(db, ADMIN, "")
    labels = explorer.picker_labels(options, _name)
    assert labels["m-a1"] == "m-a1 · electricity · Alpha Tower · Alpha Corp"
    masked = explorer.picker_labels(options, lambda kind, id_, name=None: f"{kind} X")
    assert masked["m-b1"] == "Meter X · electricity · Building X · Account X"
    m = explorer.meter(db, ADMIN, "m-a1")
    line = explorer.byline({**m, "building_name": "[Tower](http://e.example)"}, _name)
    assert line.startswith("Electricity in kWh every 15 min · ")
    assert "](http" not in line  # names from data are text, never a link
    assert line.endswith("local time zone UTC; times here are UTC")


def test_the_issue_table_marks_the_linked_issue_and_links_the_sandbox(db):
    found = explorer.issues(db, ADMIN, "m-a1", T0, T0 + pd.Timedelta(days=10))
    view = explorer.table(found, "m-a1", "i-a")
    assert view.index.name == "issue_id" and list(view.index) == list(found["issue_id"])
    assert list(view.columns)[0] == "linked" and list(view["linked"]) == [
        i == "i-a" for i in found["issue_id"]
    ]
    assert view.at["i-a", "sandbox"] == "sandbox?model=spike_positive&meter=m-a1&day=2026-03-05"
    plain = explorer.table(found, "m-a1", None, links=False)
    assert "linked" not in plain and "sandbox" not in plain


def test_save_messages_say_what_was_saved_and_refused():
    both = triage.BulkResult(saved=["i-1", "i-2"], refused=[("i-3", "Issue i-3 changed")])
    assert explorer.save_messages(both) == [
        ("success", "Saved 2 change(s)."),
        ("error", "Issue i-3 changed"),
        ("info", "Undo a refused edit in the table (or reload) and edit again."),
    ]
    assert explorer.save_messages(triage.BulkResult(saved=["i-1"])) == [
        ("success", "Saved 1 change(s).")
    ]
