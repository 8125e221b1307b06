import pandas as pd

from core.detectors import REGISTRY
from core.dq import postprocess

T0 = pd.Timestamp("2026-01-05 08:00")
Q = pd.Timedelta(minutes=15)


def _event(detector="spike_positive", start=0, slots=1, magnitude=1.0, severity="low", meter="m1"):
    return {
        "meter_id": meter,
        "detector": detector,
        "source": "platform",
        "start_ts": T0 + start * Q,
        "end_ts": T0 + (start + slots) * Q,
        "slots": slots,
        "hours": slots / 4,
        "magnitude": magnitude,
        "severity": severity,
        "clipped_start": False,
    }


def test_adjacent_findings_merge_with_highest_severity():
    events = postprocess.with_status(
        pd.DataFrame(
            [
                _event(start=0, slots=2, magnitude=5, severity="low"),
                _event(start=3, slots=1, magnitude=7, severity="high"),  # one slot apart: merges
                _event(start=10, slots=1, magnitude=1),  # far: stays apart
                _event(start=4, slots=1, meter="m2"),  # other meter: untouched
            ]
        )
    )
    out = postprocess.merge_adjacent(events).sort_values(["meter_id", "start_ts"])
    assert len(out) == 3
    first = out.iloc[0]
    assert (first.start_ts, first.end_ts) == (T0, T0 + 4 * Q)
    assert (first.slots, first.magnitude, first.severity) == (3, 12, "high")


def test_merge_keeps_detectors_apart():
    events = postprocess.with_status(
        pd.DataFrame(
            [
                _event("zero_run", start=0, slots=8),
                _event("flatline", start=8, slots=8),
            ]
        )
    )
    assert len(postprocess.merge_adjacent(events)) == 2


def test_short_flatline_becomes_not_an_issue_and_long_stays_open():
    min_hours = REGISTRY["flatline"].Params().min_hours
    short_slots = int(min_hours * 4) - 1
    long_slots = int(min_hours * 4) + 4
    events = pd.DataFrame(
        [
            _event("flatline", start=0, slots=short_slots, meter="m1"),
            _event("flatline", start=0, slots=long_slots, meter="m2"),
            _event("zero_run", start=0, slots=1, meter="m3"),
        ]
    )
    out = postprocess.run(events).set_index("meter_id")
    assert out.loc["m1", "status"] == "not_an_issue"
    assert "min_hours" in out.loc["m1", "status_note"]
    assert out.loc["m2", "status"] == "open"
    assert out.loc["m3", "status"] == "open"


def test_merge_happens_before_the_length_rule():
    min_hours = REGISTRY["flatline"].Params().min_hours
    half = int(min_hours * 4 / 2) + 1
    events = pd.DataFrame(
        [
            _event("flatline", start=0, slots=half),
            _event("flatline", start=half + 1, slots=half),
        ]
    )
    out = postprocess.run(events)
    assert len(out) == 1 and out.status[0] == "open"


def test_empty_events_pass_through():
    empty = pd.DataFrame(columns=list(_event()))
    assert postprocess.run(empty).empty


# --- steps added for field conditions (issue 14) ---------------------------------------------


def test_usage_day_defers_to_a_finding_on_its_readings():
    events = postprocess.run(
        pd.DataFrame(
            [
                _event("daily_usage_high", start=0, slots=96, meter="m1"),
                _event("unit_change", start=40, slots=56, meter="m1"),
                _event(
                    "daily_usage_low", start=0, slots=96, meter="m2"
                ),  # nothing wrong with readings
            ]
        )
    ).set_index(["meter_id", "detector"])
    assert events.loc[("m1", "daily_usage_high"), "status"] == "not_an_issue"
    assert "unit_change" in events.loc[("m1", "daily_usage_high"), "status_note"]
    assert events.loc[("m1", "unit_change"), "status"] == "open"
    assert events.loc[("m2", "daily_usage_low"), "status"] == "open"


def test_a_steady_leak_explains_its_flatline():
    events = postprocess.run(
        pd.DataFrame(
            [
                _event("water_leak", start=0, slots=96),
                _event("flatline", start=4, slots=24),
                _event("flatline", start=4, slots=24, meter="m2"),
            ]
        )
    ).set_index(["meter_id", "detector"])
    assert events.loc[("m1", "flatline"), "status"] == "not_an_issue"
    assert events.loc[("m2", "flatline"), "status"] == "open"


def test_one_finding_per_meter_detectors_merge_across_gaps():
    events = postprocess.with_status(
        pd.DataFrame(
            [
                _event("water_leak", start=0, slots=10, magnitude=3.0),
                _event("water_leak", start=30, slots=10, magnitude=0.0),  # after a 5-hour gap
                _event("missing_data", start=0, slots=1),
                _event("missing_data", start=30, slots=1),
            ]
        )
    )
    out = postprocess.merge_adjacent(events).set_index("detector")
    assert len(out.loc[["water_leak"]]) == 1 and out.loc["water_leak", "magnitude"] == 3.0
    assert len(out.loc[["missing_data"]]) == 2  # ordinary detectors keep the 15-minute rule


def test_gaps_explained_by_readings_off_the_grid_are_not_an_issue():
    day = (T0.normalize(), T0.normalize() + pd.Timedelta(days=1))
    events = postprocess.run(
        pd.DataFrame(
            [
                _event("missing_data", start=0, slots=1, meter="m1"),
                _event("missing_data", start=9, slots=2, meter="m1"),  # 3 slots missing in all
                _event("missing_data", start=0, slots=6, meter="m2"),  # 6 missing, 2 skipped
                _event("missing_data", start=0, slots=1, meter="m3"),  # none skipped
            ]
        )
    )
    off_grid = pd.Series({"m1": 3.0, "m2": 2.0})
    out = postprocess.explain_off_grid(events, off_grid, day, 15).set_index("meter_id")
    assert (out.loc["m1", "status"] == "not_an_issue").all()
    assert "skipped by the import as off the slot grid" in out.loc["m1", "status_note"].iloc[0]
    assert out.loc["m2", "status"] == "open" and out.loc["m3", "status"] == "open"


def test_mutes_turn_open_findings_of_the_pair_muted():
    events = postprocess.run(
        pd.DataFrame(
            [
                _event("flatline", start=0, slots=32, meter="m1"),
                _event("flatline", start=100, slots=8, meter="m1"),  # short: stays not_an_issue
                _event("zero_run", start=0, slots=32, meter="m1"),
                _event("flatline", start=0, slots=32, meter="m2"),
            ]
        )
    )
    mutes = pd.DataFrame(
        [
            {
                "meter_id": "m1",
                "detector": "flatline",
                "reason": "CT broken",
                "created_by": "ada",
                "until_day": pd.Timestamp("2026-01-09"),
            }
        ]
    )
    out = postprocess.apply_mutes(events, mutes)
    status = out.groupby(["meter_id", "detector", "slots"])["status"].first()
    assert status[("m1", "flatline", 32)] == "muted"
    assert status[("m1", "flatline", 8)] == "not_an_issue"
    assert status[("m1", "zero_run", 32)] == "open" and status[("m2", "flatline", 32)] == "open"
    note = out.loc[out["status"] == "muted", "status_note"].iloc[0]
    assert note == "muted by ada until 2026-01-09: CT broken"
