import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import demo

pytestmark = pytest.mark.slow

END = demo.DEFAULT_END_DAY
DAY_START = pd.Timestamp(END)
DAY_END = DAY_START + pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def fleet():
    return demo.generate()


@pytest.fixture(scope="module")
def platform(fleet):
    r = fleet.readings
    return r[r["source"] == "platform"]


def _window(frame, meter_id, start, end):
    sel = (frame["meter_id"] == meter_id) & (frame["ts"] >= start) & (frame["ts"] < end)
    return frame.loc[sel, "value"].to_numpy()


def _same_time_median(platform, meter_id, ts, weeks=4):
    """Median of the meter's values at the same UTC time and weekday in the previous weeks."""
    stamps = [ts - pd.Timedelta(weeks=w) for w in range(1, weeks + 1)]
    g = platform[platform["meter_id"] == meter_id]
    return float(g.loc[g["ts"].isin(stamps), "value"].median())


# --- determinism -------------------------------------------------------------------------


def test_same_seed_gives_equal_frames(fleet):
    again = demo.generate(seed=42)
    for name in ("meters", "readings", "bills", "injected", "oddities"):
        pd.testing.assert_frame_equal(getattr(fleet, name), getattr(again, name))
    assert again.ineligible_meter_ids == fleet.ineligible_meter_ids


def test_other_seed_gives_different_frames(fleet):
    other = demo.generate(seed=7)
    assert not other.readings["value"].head(1000).equals(fleet.readings["value"].head(1000))
    assert not other.injected.equals(fleet.injected)


# --- shape of the fleet -----------------------------------------------------------------------


def test_canonical_columns(fleet):
    assert list(fleet.meters.columns) == list(demo.METER_COLUMNS)
    assert list(fleet.readings.columns) == list(demo.READING_COLUMNS)
    assert list(fleet.bills.columns) == list(demo.BILL_COLUMNS)
    assert list(fleet.injected.columns) == list(demo.INJECTED_COLUMNS)
    assert fleet.readings["ts"].dt.tz is None
    assert set(fleet.readings["source"].unique()) == {"platform", "raw"}


def test_sizes_and_metadata(fleet):
    m = fleet.meters
    assert m["building_id"].nunique() == 40
    assert 260 <= len(m) <= 340
    assert m["meter_id"].is_unique and m["meter_id"].is_monotonic_increasing
    assert m["account_id"].nunique() == 5
    assert set(m["kind"]) == {"electricity", "water"}
    assert (m["unit"] == m["kind"].map({"electricity": "kWh", "water": "gal"})).all()
    assert set(m["timezone"]) == set(demo.TIMEZONES)
    assert m["building_name"].notna().all() and m["account_name"].notna().all()
    per_building = m.groupby("building_id")["kind"].value_counts().unstack()
    assert per_building["electricity"].between(4, 6).all()
    assert per_building["water"].between(2, 3).all()
    hourly = (m["interval_minutes"] == 60).mean()
    assert set(m["interval_minutes"]) == {15, 60} and 0.07 <= hourly <= 0.13


def test_ineligible_meters(fleet):
    m = fleet.meters
    assert (~m["dq_enabled"]).sum() >= 2
    inactive = m.loc[~m["account_active"], "account_id"].unique()
    assert len(inactive) == 1
    assert m.loc[~m["building_archived"] & m["account_active"], "account_id"].nunique() == 4
    assert m.loc[m["building_archived"], "building_id"].nunique() == 1
    expected = m.loc[~m["dq_enabled"] | ~m["account_active"] | m["building_archived"], "meter_id"]
    assert fleet.ineligible_meter_ids == frozenset(expected)


def test_readings_cover_the_days(fleet, platform):
    assert fleet.first_day == END - dt.timedelta(days=59)
    assert platform["ts"].min() == pd.Timestamp(fleet.first_day)
    assert platform["ts"].max() == DAY_END - pd.Timedelta(minutes=15)
    m = fleet.meters.set_index("meter_id")
    counts = platform.groupby("meter_id").size()
    untouched = m.index.difference(
        pd.Index(fleet.injected["meter_id"]).append(pd.Index(fleet.oddities["meter_id"]))
    )
    per_day = 60 * 24 * 60 // m.loc[untouched, "interval_minutes"]
    assert (counts[untouched] == per_day).all()
    hourly_ts = platform.loc[platform["meter_id"].map(m["interval_minutes"]) == 60, "ts"]
    assert (hourly_ts.dt.minute == 0).all()


def test_raw_feed_for_about_a_fifth_of_meters(fleet, platform):
    r = fleet.readings
    raw = r[r["source"] == "raw"]
    assert 0.15 <= raw["meter_id"].nunique() / len(fleet.meters) <= 0.25
    both = raw.merge(platform, on=["meter_id", "ts"], suffixes=("_raw", "_plat"))
    assert len(both) == len(raw)
    differ = both[both["value_raw"] != both["value_plat"]]
    mismatch = fleet.injected[fleet.injected["detector"] == "raw_platform_mismatch"]
    assert set(differ["meter_id"]) == set(mismatch["meter_id"])


def test_water_is_exactly_zero_at_night_and_weekends(fleet, platform):
    m = fleet.meters.set_index("meter_id")
    leaks = fleet.injected.loc[fleet.injected["detector"] == "water_leak", "meter_id"]
    water = platform[
        (platform["meter_id"].map(m["kind"]) == "water") & ~platform["meter_id"].isin(leaks)
    ]  # a leak never reaches zero
    local = [
        g["ts"].dt.tz_localize("UTC").dt.tz_convert(tz)
        for tz, g in water.groupby(water["meter_id"].map(m["timezone"]))
    ]
    hour = pd.concat([lt.dt.hour for lt in local]).reindex(water.index)
    weekday = pd.concat([lt.dt.day_of_week for lt in local]).reindex(water.index)
    quiet = (hour < 4) | (hour >= 21) | (weekday >= 5)
    assert len(water[quiet]) > 10_000
    assert (water.loc[quiet, "value"] == 0).all()
    assert (water.loc[~quiet, "value"] > 0).mean() > 0.5
    assert (water["value"] == water["value"].round()).all()


def test_small_meters_have_1_kwh_resolution_and_repeat_at_night(fleet, platform):
    m = fleet.meters.set_index("meter_id")
    elec = platform[platform["meter_id"].map(m["kind"]) == "electricity"]
    stats = elec.groupby("meter_id")["value"].agg(
        integral=lambda v: bool((v == v.round()).all()), peak="max"
    )
    small = stats.index[stats["integral"] & (stats["peak"] <= 6)]
    assert len(small) >= 10
    values = elec.loc[elec["meter_id"] == small[0], "value"].to_numpy()
    change = np.flatnonzero(np.diff(values) != 0)
    assert np.diff(change).max() >= 16  # the same value for 4 h or more
    assert (~stats["integral"]).sum() >= 100  # the others have 0.01 kWh resolution


# --- injected problems ---------------------------------------------------------------------


def test_every_detector_injected_on_distinct_eligible_meters(fleet):
    inj = fleet.injected
    assert set(inj["detector"]) == set(demo.DETECTORS)
    assert inj.groupby("detector")["meter_id"].nunique().min() >= 8
    assert inj["meter_id"].is_unique
    assert not set(inj["meter_id"]) & fleet.ineligible_meter_ids
    m = fleet.meters.set_index("meter_id")
    assert (m.loc[inj["meter_id"], "interval_minutes"] == 15).all()
    assert ((inj["source"] == "raw") == (inj["detector"] == "raw_platform_mismatch")).all()


def test_injections_overlap_the_scored_day_and_are_slot_aligned(fleet):
    inj = fleet.injected
    assert fleet.last_day == END
    assert ((inj["start_ts"] < DAY_END) & (inj["end_ts"] > DAY_START)).all()
    assert (inj["end_ts"] > inj["start_ts"]).all() and (inj["end_ts"] <= DAY_END).all()
    for col in ("start_ts", "end_ts"):
        assert (inj[col] == inj[col].dt.floor("15min")).all()


def test_injections_are_visible_in_the_readings(fleet, platform):
    r = fleet.readings
    mine = r[r["meter_id"].isin(fleet.injected["meter_id"])]
    raw, platform = mine[mine["source"] == "raw"], mine[mine["source"] == "platform"]
    m = fleet.meters.set_index("meter_id")

    def hours(row):
        return (row.end_ts - row.start_ts) / pd.Timedelta(hours=1)

    for row in fleet.injected.itertuples():
        got = _window(platform, row.meter_id, row.start_ts, row.end_ts)
        tag = f"{row.detector} on {row.meter_id}"
        if row.detector == "missing_data":
            assert len(got) == 0 and 1 <= hours(row) <= 6, tag
            assert len(_window(platform, row.meter_id, row.end_ts, DAY_END)) > 0, tag
        elif row.detector == "offline":
            assert len(_window(platform, row.meter_id, row.start_ts, DAY_END)) == 0, tag
            assert row.start_ts <= DAY_END - pd.Timedelta(hours=6), tag
        elif row.detector == "flatline":
            assert m.at[row.meter_id, "kind"] == "electricity", tag
            assert 6 <= hours(row) <= 12 and len(set(got)) == 1 and got[0] > 0, tag
        elif row.detector == "zero_run":
            assert (got == 0).all() and len(got) == hours(row) * 4, tag
            if m.at[row.meter_id, "kind"] == "water":
                assert hours(row) == 72 and row.end_ts == DAY_END, tag
            else:
                assert 3 <= hours(row) <= 8, tag
        elif row.detector == "negative_value":
            assert 1 <= len(got) <= 3 and (got < 0).all(), tag
        elif row.detector == "spike_positive":
            normal = _same_time_median(platform, row.meter_id, row.start_ts)
            assert 1 <= len(got) <= 2 and got.min() >= 3 * normal, tag
        elif row.detector == "spike_negative":
            normal = _same_time_median(platform, row.meter_id, row.start_ts)
            assert 1 <= len(got) <= 2 and (got > 0).all() and got.max() <= 0.15 * normal, tag
        elif row.detector == "raw_platform_mismatch":
            ratio = _window(raw, row.meter_id, row.start_ts, row.end_ts) / got
            assert 2 <= hours(row) <= 8 and ((ratio > 1.25) & (ratio < 2.05)).all(), tag
    counts = fleet.injected.assign(water=fleet.injected["meter_id"].map(m["kind"]) == "water")
    assert counts.loc[counts["detector"] == "zero_run", "water"].sum() >= 2


def test_benign_oddities_and_ineligible_problems(fleet, platform):
    odd = fleet.oddities
    assert list(odd.columns) == list(demo.ODDITY_COLUMNS)
    assert not set(odd["meter_id"]) & set(fleet.injected["meter_id"])
    closed = odd[odd["oddity"] == "holiday_closure"]
    m = fleet.meters.set_index("meter_id")
    assert m.loc[closed["meter_id"], "building_id"].nunique() == 1
    assert (odd.loc[odd["oddity"] == "load_doubled", "end_ts"] <= DAY_END).all()
    assert (odd["oddity"] == "load_doubled").sum() >= 2
    problems = odd[odd["oddity"] == "ineligible_problem"]
    assert len(problems) >= 4 and set(problems["meter_id"]) <= fleet.ineligible_meter_ids
    # the closed building's electricity runs at night load all day: the day looks like a night
    elec = closed[closed["meter_id"].map(m["kind"]) == "electricity"].iloc[0]
    day = _window(platform, elec.meter_id, elec.start_ts, elec.end_ts)
    assert day.max() <= 1.3 * np.median(day)


# --- bills -------------------------------------------------------------------------------------


def test_bills_are_monthly_contiguous_and_consistent(fleet, platform):
    bills = fleet.bills
    elec = fleet.meters.loc[fleet.meters["kind"] == "electricity", "meter_id"]
    assert bills["bill_id"].is_unique
    assert set(bills["meter_id"]) == set(elec)
    assert (bills.groupby("meter_id").size() == 13).all()
    assert (bills["commodity"] == "electricity").all() and (bills["usage_unit"] == "kWh").all()
    assert isinstance(bills["period_start"].iloc[0], dt.date)
    for _, g in bills.groupby("meter_id"):
        starts, ends = list(g["period_start"]), list(g["period_end"])
        assert all(s == e + dt.timedelta(days=1) for s, e in zip(starts[1:], ends, strict=False))
        assert ends[-1] <= END < ends[-1] + dt.timedelta(days=32)
        assert all(28 <= (e - s).days + 1 <= 31 for s, e in zip(starts, ends, strict=True))
    assert (bills["usage"] > 0).all() and (bills["cost"] > bills["usage"] * 0.1).all()
    assert (bills["demand_kw"] > 0).all() and bills["estimated"].mean() < 0.1
    # a fully covered period equals the sum of the meter's platform readings
    touched = set(fleet.injected["meter_id"]) | set(fleet.oddities["meter_id"])
    covered = bills[(bills["period_start"] >= fleet.first_day) & ~bills["meter_id"].isin(touched)]
    assert len(covered) > 50
    for row in covered.head(20).itertuples():
        got = _window(
            platform,
            row.meter_id,
            pd.Timestamp(row.period_start),
            pd.Timestamp(row.period_end) + pd.Timedelta(days=1),
        )
        assert row.usage == pytest.approx(got.sum(), abs=0.01)


# --- other sizes -------------------------------------------------------------------------------


def test_small_fleet_and_other_end_day():
    small = demo.generate(seed=3, end_day=dt.date(2024, 11, 2), days=14, n_buildings=8)
    assert small.meters["building_id"].nunique() == 8
    assert small.readings["ts"].max() == pd.Timestamp("2024-11-02 23:45")
    assert set(small.injected["detector"]) == set(demo.DETECTORS)
    assert small.injected["meter_id"].is_unique
    assert (small.bills.groupby("meter_id").size() == 13).all()


def test_rejects_too_small_inputs():
    with pytest.raises(ValueError, match="days"):
        demo.generate(days=3)
    with pytest.raises(ValueError, match="n_buildings"):
        demo.generate(n_buildings=2)
