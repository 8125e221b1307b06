"""Morning-overshoot detection: the criteria at their edges on hand-made demand."""

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from core.overshoot.detect import Params, building_days, faults

BASE = {"night": 20.0, "plateau": 100.0, "evening": 150.0}


def profile(minute, night=20.0, plateau=100.0, evening=150.0, spike=None, spike_kw=0.0):
    """kW at local minutes of day: night, plateau 06-16, an evening bump 16-17, then night."""
    kw = np.where((minute >= 360) & (minute < 960), plateau, night)
    kw = np.where((minute >= 960) & (minute < 1020), evening, kw)
    if spike is not None:
        kw = np.where((minute >= spike[0] * 60) & (minute < spike[1] * 60), spike_kw, kw)
    return kw.astype(float)


def month_demand(building, month, tz="UTC", overrides=None, base=None, minutes=15):
    """A month of demand for one building: ``overrides`` maps a date to profile kwargs."""
    start = pd.Timestamp(month + "-01").tz_localize(tz)
    end = (pd.Timestamp(month + "-01") + pd.offsets.MonthBegin(1)).tz_localize(tz)
    utc = pd.date_range(
        start.tz_convert("UTC"), end.tz_convert("UTC"), freq=f"{minutes}min", inclusive="left"
    )
    local = utc.tz_convert(tz)
    minute = np.asarray(local.hour * 60 + local.minute)
    kw = profile(minute, **(base or BASE))
    for day, kwargs in (overrides or {}).items():
        sel = np.asarray(local.date == pd.Timestamp(day).date())
        kw[sel] = profile(minute[sel], **{**(base or BASE), **kwargs})[...]
    return pd.DataFrame(
        {"building_id": building, "ts": utc.tz_localize(None), "kw": kw, "timezone": tz}
    )


def spike(kw, hours=(7, 8)):
    return {"spike": hours, "spike_kw": kw}


def run(demand, params=None, blocked=None, month="2026-03"):
    days = building_days(demand, params, blocked)
    return days, faults(days, month, params)


# March 2026: the 2nd is a Monday, the 7th a Saturday.
def test_exactly_three_overshoot_days_is_a_fault_two_is_not():
    three = {f"2026-03-0{d}": spike(130) for d in (2, 3, 4)}
    days, f = run(month_demand("b3", "2026-03", overrides=three))
    assert days["overshoot"].sum() == 3
    assert f["building_id"].tolist() == ["b3"] and f.loc[0, "overshoot_days"] == 3
    assert f.loc[0, "top_hits"] == 0 and f.loc[0, "reason"] == "days"
    two = {f"2026-03-0{d}": spike(130) for d in (2, 3)}
    _, f2 = run(month_demand("b2", "2026-03", overrides=two))
    assert f2.empty


def test_weekend_overshoot_does_not_count():
    over = {"2026-03-02": spike(130), "2026-03-03": spike(130), "2026-03-07": spike(130)}
    days, f = run(month_demand("b", "2026-03", overrides=over))
    sat = days[days["day"] == pd.Timestamp("2026-03-07")].iloc[0]
    assert not sat["weekday"] and not sat["counted"] and not sat["overshoot"]
    assert f.empty


def test_one_strong_overshoot_on_the_months_peak_day_is_a_fault():
    days, f = run(month_demand("b", "2026-03", overrides={"2026-03-10": spike(200)}))
    assert days["overshoot"].sum() == 1
    row = f.iloc[0]
    assert row["overshoot_days"] == 1 and row["top_hits"] == 1 and row["reason"] == "top"
    assert row["worst_day"] == dt.date(2026, 3, 10) and row["worst_excess_kw"] == 100
    assert row["top_threshold_kw"] == 150  # 85th pct of the counted daily peaks


def test_mild_overshoots_below_the_floor_or_ratio_are_not_faults():
    small = {"night": 5.0, "plateau": 40.0, "evening": 40.0}
    mild = {f"2026-03-0{d}": spike(44) for d in (2, 3, 4, 5)}  # +4 kW: 10% but < 5 kW
    days, f = run(month_demand("small", "2026-03", overrides=mild, base=small))
    assert not days["overshoot"].any() and f.empty
    ratio = {f"2026-03-0{d}": spike(108) for d in (2, 3, 4, 5)}  # +8 kW but < 10%
    days, f = run(month_demand("ratio", "2026-03", overrides=ratio))
    assert not days["overshoot"].any() and f.empty
    # +12 kW passes 10% and 5 kW, but a 700 kW month peak raises the floor to 14 kW
    peak = {f"2026-03-0{d}": spike(112) for d in (2, 3, 4)} | {"2026-03-20": {"evening": 700.0}}
    days, f = run(month_demand("frac", "2026-03", overrides=peak))
    assert days["floor_kw"].max() == pytest.approx(14.0)
    assert not days["overshoot"].any() and f.empty


def test_days_with_missing_data_do_not_count():
    over = {f"2026-03-0{d}": spike(130) for d in (2, 3, 4)}
    demand = month_demand("b", "2026-03", overrides=over)
    local_day = demand["ts"].dt.normalize()
    holes = demand.index[local_day == pd.Timestamp("2026-03-04")][::5]  # 20% missing
    demand = demand.drop(holes)
    days, f = run(demand)
    day = days.set_index("day").loc[pd.Timestamp("2026-03-04")]
    assert day["completeness"] == pytest.approx(0.8, abs=0.01) and not day["counted"]
    assert f.empty
    # NaN kW is missing too
    demand2 = month_demand("b", "2026-03", overrides=over)
    demand2.loc[demand2["ts"].dt.normalize() == pd.Timestamp("2026-03-04"), "kw"] = np.nan
    assert run(demand2)[1].empty


def test_a_blocked_day_does_not_count():
    over = {f"2026-03-0{d}": spike(130) for d in (2, 3, 4)}
    demand = month_demand("b", "2026-03", overrides=over)
    assert not run(demand)[1].empty
    blocked = pd.DataFrame({"building_id": ["b"], "day": [dt.date(2026, 3, 3)]})
    days, f = run(demand, blocked=blocked)
    assert days["blocked"].sum() == 1 and days["overshoot"].sum() == 2
    assert f.empty


@pytest.mark.parametrize(
    ("tz", "month", "dst_day", "slots", "over_days"),
    [
        ("America/New_York", "2026-03", "2026-03-08", 92, (9, 10, 11)),
        ("America/New_York", "2026-11", "2026-11-01", 100, (2, 3, 4)),
        ("Europe/Berlin", "2026-03", "2026-03-29", 92, (27, 30, 31)),  # Fri, then Mon-Tue
        ("Europe/Berlin", "2026-10", "2026-10-25", 100, (26, 27, 28)),
    ],
)
def test_dst_month_keeps_local_windows(tz, month, dst_day, slots, over_days):
    over = {f"{month}-{d:02d}": spike(130) for d in over_days}
    demand = month_demand("ny", month, tz=tz, overrides=over)
    days, f = run(demand, month=month)
    assert days["completeness"].eq(1.0).all()
    assert days.set_index("day").loc[pd.Timestamp(dst_day), "expected_slots"] == slots
    hits = days[days["overshoot"]]
    assert sorted(hits["day"].dt.day) == list(over_days)
    assert (hits["morning_peak_ts"].dt.hour == 7).all()  # 07:00 local, not shifted an hour
    assert (days.loc[days["weekday"], "startup_minute"] == 360).all()
    assert f.loc[0, "overshoot_days"] == 3


def test_two_meters_whose_sum_overshoots():
    base = {"night": 5.0, "plateau": 30.0, "evening": 30.0}
    over = {f"2026-03-0{d}": spike(34) for d in (2, 3, 4)}  # +4 kW per meter: below 5 kW
    meters = []
    for meter in ("m1", "m2"):
        m = month_demand("b", "2026-03", overrides=over, base=base)
        meters.append(m.assign(meter_id=meter, kwh=m["kw"] / 4).drop(columns="kw"))
    readings = pd.concat(meters)
    for meter, part in readings.groupby("meter_id"):
        alone = part.assign(kw=part["kwh"] * 4)
        assert run(alone)[1].empty, meter
    demand = (
        readings.groupby(["building_id", "ts", "timezone"], as_index=False)["kwh"]
        .sum()
        .assign(kw=lambda d: d["kwh"] * 4)
    )
    days, f = run(demand)
    assert days["overshoot"].sum() == 3
    assert f.loc[0, "worst_excess_kw"] == pytest.approx(8.0)


def test_estimated_cost_is_worst_excess_times_rate():
    over = {"2026-03-02": spike(130), "2026-03-03": spike(150), "2026-03-04": spike(140)}
    params = Params(demand_rate_per_kw=12.5)
    _, f = run(month_demand("b", "2026-03", overrides=over), params)
    row = f.iloc[0]
    assert row["worst_day"] == dt.date(2026, 3, 3) and row["worst_excess_kw"] == 50
    assert row["est_monthly_cost"] == pytest.approx(50 * 12.5)
    assert row["overshoot_dates"] == "2026-03-02,2026-03-03,2026-03-04"


def test_several_buildings_and_hourly_slots():
    over = {f"2026-03-0{d}": spike(130) for d in (2, 3, 4)}
    demand = pd.concat(
        [
            month_demand("a", "2026-03", overrides=over),
            month_demand("h", "2026-03", tz="Europe/Berlin", overrides=over, minutes=60),
            month_demand("n", "2026-03"),
        ]
    )
    days, f = run(demand)
    assert days.groupby("building_id")["expected_slots"].max().to_dict() == {
        "a": 96,
        "h": 24,
        "n": 96,
    }
    assert sorted(f["building_id"]) == ["a", "h"]


def test_two_overshoot_days_fault_only_when_one_is_a_top_peak():
    plain = {"2026-03-02": spike(130), "2026-03-03": spike(130)}
    days, f = run(month_demand("b", "2026-03", overrides=plain))
    assert days["overshoot"].sum() == 2 and f.empty  # 130 kW < the 150 kW top-15% threshold
    one_top = {"2026-03-02": spike(130), "2026-03-03": spike(200)}
    days, f = run(month_demand("b", "2026-03", overrides=one_top))
    row = f.iloc[0]
    assert (row["overshoot_days"], row["top_hits"], row["reason"]) == (2, 1, "top")
    assert row["top_threshold_kw"] == 150 and row["worst_day"] == dt.date(2026, 3, 3)
    # a morning peak equal to the threshold is in the top share (>=)
    _, f = run(month_demand("b", "2026-03", overrides={"2026-03-02": spike(150)}))
    assert (f.loc[0, "top_threshold_kw"], f.loc[0, "top_hits"], f.loc[0, "reason"]) == (
        150,
        1,
        "top",
    )


def test_overshoots_on_low_days_are_not_top_peaks():
    # A quiet Monday/Tuesday (plateau 60 kW, no evening bump) with a 75 kW start-up: +15 kW,
    # +25 %, so each is an overshoot day, but 75 kW is far below the month's 150 kW peaks.
    low = {"plateau": 60.0, "evening": 60.0, "spike": (7, 8), "spike_kw": 75.0}
    days, f = run(month_demand("b", "2026-03", overrides={"2026-03-02": low, "2026-03-03": low}))
    hits = days[days["overshoot"]]
    assert sorted(hits["day"].dt.day) == [2, 3]
    assert hits["excess_kw"].tolist() == [15.0, 15.0] and hits["daily_peak_kw"].max() == 75.0
    assert f.empty
    # a third one is a fault by count, still without a top hit
    three = {f"2026-03-0{d}": low for d in (2, 3, 4)}
    _, f = run(month_demand("b", "2026-03", overrides=three))
    assert (f.loc[0, "overshoot_days"], f.loc[0, "top_hits"], f.loc[0, "reason"]) == (3, 0, "days")


@pytest.mark.parametrize(
    ("min_complete", "missing", "counted"),
    [(0.90, 9, True), (0.90, 10, False), (0.875, 12, True), (0.875, 13, False)],
)  # 87/96 = 0.906, 86/96 = 0.896; 84/96 = 0.875 exactly: at the share counts
def test_completeness_boundary(min_complete, missing, counted):
    over = {f"2026-03-0{d}": spike(130) for d in (2, 3, 4)}
    demand = month_demand("b", "2026-03", overrides=over)
    night = demand.index[
        (demand["ts"].dt.normalize() == pd.Timestamp("2026-03-04")) & (demand["ts"].dt.hour >= 20)
    ][:missing]  # evening slots: the morning, plateau and night medians are unchanged
    days, f = run(demand.drop(night), Params(min_complete=min_complete))
    day = days.set_index("day").loc[pd.Timestamp("2026-03-04")]
    assert day["present_slots"] == 96 - missing
    assert day["completeness"] == pytest.approx((96 - missing) / 96)
    assert bool(day["counted"]) is counted and bool(day["overshoot"]) is counted
    assert (f.loc[0, "overshoot_days"] == 3) if counted else f.empty


def test_duplicate_rows_keep_the_first_in_any_order():
    over = {f"2026-03-0{d}": spike(130) for d in (2, 3, 4)}
    demand = month_demand("b", "2026-03", overrides=over)
    doubled = pd.concat([demand, demand.assign(kw=demand["kw"] * 3)], ignore_index=True)
    expected = building_days(demand)
    pd.testing.assert_frame_equal(building_days(doubled), expected)
    shuffled = doubled.sample(frac=1.0, random_state=3)
    first = shuffled.drop_duplicates(["building_id", "ts"])
    pd.testing.assert_frame_equal(building_days(shuffled), building_days(first))


def test_categorical_input_gives_the_same_days():
    over = {f"2026-03-0{d}": spike(130) for d in (2, 3, 4)}
    demand = pd.concat(
        [
            month_demand("b2", "2026-03", tz="Europe/Berlin", overrides=over),
            month_demand("a1", "2026-03", tz="America/New_York"),
        ],
        ignore_index=True,
    )
    plain = building_days(demand)
    cats = demand.astype(
        {"building_id": pd.CategoricalDtype(["z9", "b2", "a1"]), "timezone": "category"}
    )  # unsorted, with an unused category
    pd.testing.assert_frame_equal(building_days(cats), plain)
    assert plain["building_id"].tolist()[0] == "a1"  # sorted by building id


# ---- Params.from_settings -----------------------------------------------------------------


def test_params_from_settings_defaults_are_the_issue_defaults():
    assert Params.from_settings() == Params()


def test_params_from_settings_reads_the_overshoot_settings(monkeypatch):
    for name, value in {
        "DQ_OVERSHOOT_MORNING_HOURS": "05:30-10:00",
        "DQ_OVERSHOOT_PLATEAU_HOURS": "12:00 - 15:45",
        "DQ_OVERSHOOT_MIN_RATIO": "0.2",
        "DQ_OVERSHOOT_FLOOR_KW": "0",
        "DQ_OVERSHOOT_FLOOR_PEAK_FRACTION": "0.05",
        "DQ_OVERSHOOT_MIN_COMPLETE": "0.8",
        "DQ_OVERSHOOT_MIN_DAYS": "4",
        "DQ_OVERSHOOT_TOP_FRACTION": "0.1",
        "DQ_DEMAND_RATE_PER_KW": "20.5",
    }.items():
        monkeypatch.setenv(name, value)
    p = Params.from_settings()
    assert dataclasses.astuple(p) == dataclasses.astuple(
        Params(
            morning_start_h=5.5,
            morning_end_h=10.0,
            plateau_start_h=12.0,
            plateau_end_h=15.75,
            night_end_h=5.5,
            min_ratio=0.2,
            floor_kw=0.0,
            floor_peak_fraction=0.05,
            min_complete=0.8,
            min_days=4,
            top_fraction=0.1,
            demand_rate_per_kw=20.5,
        )
    )
    # ... and they change what the scan finds: three overshoot days no longer make a fault
    three = {f"2026-03-0{d}": spike(130) for d in (2, 3, 4)}
    demand = month_demand("b", "2026-03", overrides=three)
    assert not run(demand)[1].empty and run(demand, p)[1].empty


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DQ_OVERSHOOT_MORNING_HOURS", "11:00-04:00", "the window must start before it ends"),
        ("DQ_OVERSHOOT_MORNING_HOURS", "abc", "expected HH:MM-HH:MM"),
        ("DQ_OVERSHOOT_MORNING_HOURS", "04:00", "expected HH:MM-HH:MM"),
        ("DQ_OVERSHOOT_PLATEAU_HOURS", "11:00-25:00", "the window must start before it ends"),
        ("DQ_OVERSHOOT_PLATEAU_HOURS", "11:00-16:00-18:00", "expected HH:MM-HH:MM"),
    ],
)
def test_params_from_settings_rejects_a_bad_window(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"Setting {name}={value!r}: {message}"):
        Params.from_settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DQ_OVERSHOOT_MIN_COMPLETE", "1.5", "must be a share between 0 and 1"),
        ("DQ_OVERSHOOT_TOP_FRACTION", "2", "must be a share between 0 and 1"),
        ("DQ_OVERSHOOT_MIN_RATIO", "-0.1", "must be positive"),
        ("DQ_OVERSHOOT_MIN_DAYS", "three", "is not a valid int"),
    ],
)
def test_params_from_settings_rejects_a_bad_number(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name) as info:
        Params.from_settings()
    assert message in str(info.value)


def test_many_buildings_at_once_equal_each_building_alone():
    # Many rows share few timestamps: local times come from a (zone, timestamp) table then;
    # one building alone converts row by row. Both must agree, DST days included.
    parts = []
    for i, tz in enumerate(["America/New_York", "Europe/Berlin"] * 4):
        over = {f"2026-03-{d:02d}": spike(130 + 10 * i) for d in (9, 10, 30)}
        parts.append(month_demand(f"b{i}", "2026-03", tz=tz, overrides=over))
    demand = pd.concat(parts, ignore_index=True)
    together = building_days(demand)
    alone = pd.concat([building_days(p) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(together, alone)
    assert together["expected_slots"].min() == 92 and together["overshoot"].sum() == 24
    assert (together.loc[together["overshoot"], "morning_peak_ts"].dt.hour == 7).all()
