import pandas as pd

from core.detectors import REGISTRY
from core.dq import postprocess

T0 = pd.Timestamp("2026-01-05 08:00")
Q = pd.Timedelta(minutes=15)


def _event(detector="spike_positive", start=0, slots=1, magnitude=1.0, severity="low", meter="m1"):
    return {
        "meter_id": meter, "detector": detector, "source": "platform",
        "start_ts": T0 + start * Q, "end_ts": T0 + (start + slots) * Q, "slots": slots,
        "hours": slots / 4, "magnitude": magnitude, "severity": severity, "clipped_start": False,
    }


def test_adjacent_findings_merge_with_highest_severity():
    events = postprocess.with_status(pd.DataFrame([
        _event(start=0, slots=2, magnitude=5, severity="low"),
        _event(start=3, slots=1, magnitude=7, severity="high"),  # one slot apart: merges
        _event(start=10, slots=1, magnitude=1),  # far: stays apart
        _event(start=4, slots=1, meter="m2"),  # other meter: untouched
    ]))
    out = postprocess.merge_adjacent(events).sort_values(["meter_id", "start_ts"])
    assert len(out) == 3
    first = out.iloc[0]
    assert (first.start_ts, first.end_ts) == (T0, T0 + 4 * Q)
    assert (first.slots, first.magnitude, first.severity) == (3, 12, "high")


def test_merge_keeps_detectors_apart():
    events = postprocess.with_status(pd.DataFrame([
        _event("zero_run", start=0, slots=8), _event("flatline", start=8, slots=8),
    ]))
    assert len(postprocess.merge_adjacent(events)) == 2


def test_short_flatline_becomes_not_an_issue_and_long_stays_open():
    min_hours = REGISTRY["flatline"].Params().min_hours
    short_slots = int(min_hours * 4) - 1
    long_slots = int(min_hours * 4) + 4
    events = pd.DataFrame([
        _event("flatline", start=0, slots=short_slots, meter="m1"),
        _event("flatline", start=0, slots=long_slots, meter="m2"),
        _event("zero_run", start=0, slots=1, meter="m3"),
    ])
    out = postprocess.run(events).set_index("meter_id")
    assert out.loc["m1", "status"] == "not_an_issue"
    assert "min_hours" in out.loc["m1", "status_note"]
    assert out.loc["m2", "status"] == "open"
    assert out.loc["m3", "status"] == "open"


def test_merge_happens_before_the_length_rule():
    min_hours = REGISTRY["flatline"].Params().min_hours
    half = int(min_hours * 4 / 2) + 1
    events = pd.DataFrame([
        _event("flatline", start=0, slots=half), _event("flatline", start=half + 1, slots=half),
    ])
    out = postprocess.run(events)
    assert len(out) == 1 and out.status[0] == "open"


def test_empty_events_pass_through():
    empty = pd.DataFrame(columns=list(_event()))
    assert postprocess.run(empty).empty
