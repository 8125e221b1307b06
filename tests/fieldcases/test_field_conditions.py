"""Field conditions: one small case per way real meter data differs from a clean simulation.

Each case builds a tiny fleet with the field generator (tests/fieldcases/gen.py, written apart
from the demo), goes through the real importer (CSV files or DataFrames) and the real DQ job,
and asserts the findings it must and must not produce.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.db import open_warehouse
from core.dq import job
from core.ingest import import_files, import_frames
from tests.fieldcases import gen
from tests.fieldcases.gen import END, Meter

DAY = END.date()


@pytest.fixture
def wh(tmp_path):
    db = open_warehouse(f"duckdb:///{tmp_path}/field.duckdb")
    yield db
    db.close()


def run(db, day=DAY):
    summary = job.run(db, day)
    assert summary.status == "ok", summary.failures
    return summary


def issues(db, status: str | None = "open") -> pd.DataFrame:
    sql = (
        "SELECT issue_id, meter_id, detector, source, start_ts, end_ts, severity, magnitude, "
        "status, status_by, status_note FROM dq_issues WHERE kind = 'meter'"
    )
    df = db.fetch_df(sql + (" AND status = ?" if status else ""), [status] if status else [])
    return df.sort_values(["meter_id", "detector", "start_ts"], ignore_index=True)


def detectors(db, meter_id: str | None = None) -> list[str]:
    df = issues(db)
    if meter_id is not None:
        df = df[df["meter_id"] == meter_id]
    return sorted(df["detector"])


def feed(meter: Meter, seed: int = 1, **kw) -> tuple[pd.DatetimeIndex, np.ndarray]:
    times = gen.slots(meter, **kw)
    return times, gen.values(meter, times, seed=seed)


def load(db, meters: list[Meter], readings: list[pd.DataFrame], tmp_path=None):
    """Import through CSV files when ``tmp_path`` is given (the CLI's path), else DataFrames."""
    if tmp_path is None:
        return import_frames(db, meters=gen.meters_frame(meters), readings=pd.concat(readings))
    m, r = tmp_path / "meters.csv", tmp_path / "readings.csv"
    m.write_text(gen.meters_frame(meters).to_csv(index=False))
    r.write_text(gen.to_csv_text(pd.concat(readings)))
    return import_files(db, meters=m, readings=r)


# --- gateway clocks -------------------------------------------------------------------------


def test_gateway_jitter_is_one_clock_drift_not_a_missing_data_storm(wh, tmp_path):
    meter = Meter("jittery")
    times, v = feed(meter)
    late = gen.jitter(len(times), 10, 50)  # every reading stamped 10-50 s after its slot
    report = load(wh, [meter], [gen.readings_frame(meter, v, times, late)], tmp_path)
    assert report.bad_rows.empty and report.file(str(tmp_path / "readings.csv")).rows_loaded == len(
        v
    )
    run(wh)
    found = issues(wh)
    assert list(found["detector"]) == ["clock_drift"]
    assert found["severity"].iloc[0] == "low"
    assert found["magnitude"].iloc[0] == pytest.approx(np.median(late), abs=3)


def test_symmetric_jitter_is_no_finding(wh):
    meter = Meter("ntp")
    times, v = feed(meter)
    load(wh, [meter], [gen.readings_frame(meter, v, times, gen.jitter(len(times), -20, 20))])
    run(wh)
    assert detectors(wh) == []


def test_a_drifting_clock_is_reported_once_across_days(wh):
    meter = Meter("drifting")
    times, v = feed(meter, end=END + pd.Timedelta(days=2), days=31)
    since = END - pd.Timedelta(days=6)
    offsets = gen.drifting_clock(times, since, per_day_s=20)  # 2 minutes late by the end
    load(wh, [meter], [gen.readings_frame(meter, v, times, offsets)])
    for day in pd.date_range(END, periods=3).date:
        run(wh, day)
    found = issues(wh)
    assert list(found["detector"]) == ["clock_drift"]  # one issue over three daily runs
    assert 30 < found["magnitude"].iloc[0] < 150


def test_a_clock_minutes_late_beyond_the_tolerance_is_reported_per_meter_not_per_reading(wh):
    meter, ok = Meter("late5min"), Meter("ontime", building_id="b2")
    times, v = feed(meter)
    offsets = np.where(np.arange(len(times)) % 4 == 0, 250.0, 100.0)  # a quarter 4 min late
    frames = [
        gen.readings_frame(meter, v, times, offsets),
        gen.readings_frame(ok, gen.values(ok, times, seed=5), times),
    ]
    report = load(wh, [meter, ok], frames)
    bad = report.bad_rows
    assert len(bad) == 1 and bad["meter_id"].iloc[0] == "late5min"  # one line for the meter
    assert (
        bad["reason"].iloc[0].startswith(f"row {bad['line'].iloc[0]}: {len(times) // 4} readings")
    )
    run(wh)
    assert detectors(wh, "late5min") == ["clock_drift"]  # not hundreds of missing_data
    explained = issues(wh, "not_an_issue")
    assert set(explained["detector"]) <= {"missing_data", "flatline"}
    assert detectors(wh, "ontime") == []


# --- what the feed does to rows ---------------------------------------------------------------


def test_duplicated_and_resent_rows(wh, tmp_path):
    meter = Meter("dupes")
    times, v = feed(meter)
    frame = gen.readings_frame(meter, v, times)
    resent = frame.iloc[-40:].copy()
    resent["ts"] += pd.Timedelta(seconds=70)  # resent later with a rounded value
    resent["value"] = resent["value"].round(0)
    report = load(wh, [meter], [frame, frame.iloc[:500], resent], tmp_path)
    r = report.file(str(tmp_path / "readings.csv"))
    assert (r.exact_duplicates, r.conflicting_duplicates, r.rows_loaded) == (500, 40, len(v))
    kept = wh.fetch_df("SELECT ts, value FROM readings ORDER BY ts")["value"].to_numpy()
    np.testing.assert_allclose(kept, v)  # the on-time reading beat the resent one
    assert "closest to the slot boundary" in report.summary()
    run(wh)
    assert detectors(wh) == []


def test_late_rows_after_the_day_was_scored(wh):
    meter = Meter("lagging")
    times, v = feed(meter)
    cut = len(v) - 12  # the last 3 hours arrive late
    load(wh, [meter], [gen.readings_frame(meter, v[:cut], times[:cut])])
    run(wh)
    assert detectors(wh) == ["missing_data"]
    load(wh, [meter], [gen.readings_frame(meter, v[cut:], times[cut:])])
    run(wh)
    assert detectors(wh) == []
    gap = issues(wh, "resolved")
    assert list(gap["detector"]) == ["missing_data"] and gap["status_by"].iloc[0] == "system"


# --- calendars and clocks of the building -------------------------------------------------------


@pytest.mark.parametrize("day", ["2026-03-08", "2025-11-02"], ids=["spring_forward", "fall_back"])
def test_dst_days_are_ordinary_days(wh, day):
    meters = [
        Meter("ny15", timezone="America/New_York"),
        Meter("ny60", timezone="America/New_York", interval_minutes=60, building_id="b2"),
    ]
    end = pd.Timestamp(day) + pd.Timedelta(days=1)
    frames = []
    for i, meter in enumerate(meters):
        times, v = feed(meter, seed=10 + i, end=end)
        frames.append(gen.readings_frame(meter, v, times))
    load(wh, meters, frames)
    for d in (pd.Timestamp(day).date(), end.date()):  # the UTC days covering the local day
        run(wh, d)
    assert detectors(wh) == []


def test_hourly_feed_is_clean_and_its_stuck_register_is_found(wh):
    clean, stuck = (
        Meter("h1", interval_minutes=60),
        Meter("h2", interval_minutes=60, building_id="b2"),
    )
    times, v1 = feed(clean, seed=3)
    _, v2 = feed(stuck, seed=4)
    v2[-14:-4] = v2[-14]  # ten identical hourly readings on the scored day
    load(
        wh,
        [clean, stuck],
        [gen.readings_frame(clean, v1, times), gen.readings_frame(stuck, v2, times)],
    )
    run(wh)
    assert detectors(wh, "h1") == []
    assert detectors(wh, "h2") == ["flatline"]


def test_coarse_submeter_holding_its_night_load_over_the_weekend(wh):
    # a 1 kWh-resolution sub-meter of a small load: hours of identical readings every night
    coarse = Meter("coarse", resolution=1.0, base=3.0, peak=14.0, noise=0.03)
    tenth = Meter("tenth", resolution=0.1, base=30.0, peak=90.0, noise=0.03, building_id="b2")
    end = pd.Timestamp("2026-03-16")  # a Monday: the weekend is in the last two days
    times, vc = feed(coarse, seed=6, end=end)
    _, vt = feed(tenth, seed=7, end=end)
    local = times.tz_localize("UTC").tz_convert(tenth.timezone)
    frozen = np.flatnonzero((local >= "2026-03-16 01:00") & (local < "2026-03-16 05:00"))
    vt[frozen] = vt[frozen[0]]  # frozen four hours at its night level
    load(
        wh,
        [coarse, tenth],
        [gen.readings_frame(coarse, vc, times), gen.readings_frame(tenth, vt, times)],
    )
    run(wh, end.date())
    assert detectors(wh, "coarse") == []
    assert detectors(wh, "tenth") == ["flatline"]


def test_holiday_closure(wh, monkeypatch):
    office = Meter("office", base=20.0, peak=160.0, closed=[str(DAY)])
    water = Meter(
        "water", kind="water", resolution=1.0, peak=60.0, closed=[str(DAY)], building_id="b1"
    )
    times, v = feed(office, seed=8)
    _, w = feed(water, seed=9)
    load(
        wh,
        [office, water],
        [gen.readings_frame(office, v, times), gen.readings_frame(water, w, times)],
    )
    run(wh)
    # no data fault: at most the usage checks notice the day, as the calendar does not list it
    assert set(detectors(wh)) <= {"daily_usage_low"}
    monkeypatch.setenv("DQ_HOLIDAYS", f"a1:{DAY}")
    run(wh)
    assert detectors(wh) == []


def test_a_real_load_step_is_operation_not_a_fault(wh):
    meter = Meter("tenant", base=30.0, peak=100.0)
    times, v = feed(meter, seed=11)
    step = times >= END - pd.Timedelta(days=3)
    v[step] = np.round(v[step] * 1.6, 2)  # a new tenant moved in three days ago
    load(wh, [meter], [gen.readings_frame(meter, v, times)])
    run(wh)
    assert detectors(wh) == []


def test_solar_net_meter_is_normal_when_marked_bidirectional(wh):
    net = Meter("solar", base=15.0, peak=45.0, solar_peak=90.0, extra={"bidirectional": True})
    unmarked = Meter("solar2", base=15.0, peak=45.0, solar_peak=90.0, building_id="b2")
    times, v = feed(net, seed=19)
    assert (v < 0).sum() > 100 and (v[-96:] < 0).any()  # the premise: it exports at midday
    load(
        wh,
        [net, unmarked],
        [gen.readings_frame(net, v, times), gen.readings_frame(unmarked, v, times)],
    )
    run(wh)
    assert detectors(wh, "solar") == []
    assert "negative_value" in detectors(wh, "solar2")


def test_meter_replaced_mid_day_is_one_negative_value(wh):
    meter = Meter("swapped")
    times, v = feed(meter, seed=13)
    swap = len(v) - 40  # 14:00 UTC on the scored day
    v = gen.register_deltas(v, swap, old_register=183_406.2)
    v[swap - 2 : swap] = np.nan  # half an hour without readings during the swap
    load(wh, [meter], [gen.readings_frame(meter, v, times)])
    run(wh)
    found = issues(wh)
    assert sorted(found["detector"]) == ["missing_data", "negative_value"]
    neg = found[found["detector"] == "negative_value"].iloc[0]
    assert neg["severity"] == "high" and neg["start_ts"] == times[swap]


def test_unit_change_is_one_issue_not_thousands_of_spikes(wh):
    meter = Meter("wh_as_kwh", timezone="UTC")
    times, v = feed(meter, seed=14)
    change = len(v) - 44  # from 13:00 the gateway reports Wh
    v[change:] = np.round(v[change:] * 1000, 2)
    load(wh, [meter], [gen.readings_frame(meter, v, times)])
    run(wh)
    found = issues(wh)
    assert list(found["detector"]) == ["unit_change"]
    assert found["start_ts"].iloc[0] == times[change]
    assert found["magnitude"].iloc[0] == pytest.approx(1000, rel=0.2)


def test_water_leak_and_a_normal_water_meter(wh):
    leaking = Meter("toilet", kind="water", resolution=1.0, peak=50.0)
    normal = Meter("sink", kind="water", resolution=1.0, peak=50.0, building_id="b2")
    times, v = feed(leaking, seed=15)
    _, w = feed(normal, seed=16)
    v[-96:] += 2.0  # a running toilet since midnight: 2 gal every 15 min
    load(
        wh,
        [leaking, normal],
        [gen.readings_frame(leaking, v, times), gen.readings_frame(normal, w, times)],
    )
    run(wh)
    assert detectors(wh, "sink") == []
    found = issues(wh)
    assert list(found["detector"]) == ["water_leak"]
    assert found["magnitude"].iloc[0] == pytest.approx(8.0)  # gal per hour


def test_ineligible_meters_get_nothing(wh):
    meters = [
        Meter("off", extra={"dq_enabled": False}),
        Meter("gone", extra={"account_active": False}, account_id="a2"),
        Meter("closed", extra={"building_archived": True}, building_id="b3"),
    ]
    frames = []
    for i, meter in enumerate(meters):
        times, v = feed(meter, seed=20 + i)
        v[-30:-10] = -5.0  # faults that would be reported on an eligible meter
        frames.append(gen.readings_frame(meter, v, times))
    load(wh, meters, frames)
    run(wh)
    assert wh.fetch_value("SELECT count(*) FROM dq_issues") == 0
    assert wh.fetch_value("SELECT count(*) FROM dq_meter_days") == 0
