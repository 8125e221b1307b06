"""daily_usage_high / daily_usage_low: a local day's total against the same weekday's history."""

import dataclasses

import numpy as np
import pytest

from core.detectors import _daily as daily
from core.detectors import daily_usage_high, daily_usage_low
from core.detectors._calendar import Calendar
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of

LAST = "2026-02-26"  # a Thursday: the scored day of a 28-day grid from 2026-01-30


def grid28(**kw):
    return make_grid(days=28, start="2026-01-30", **kw)


def scale_day(grid, day: str, factor: float) -> tuple[int, int]:
    first, last = slot_of(grid, f"{day} 00:00"), slot_of(grid, f"{day} 23:45") + 1
    grid.values[0, first:last] *= factor
    return first, last


def test_a_day_at_two_and_a_half_times_is_high_and_its_excess_the_magnitude():
    grid = grid28()
    usual = np.nansum(
        grid.values[0, slot_of(grid, "2026-02-19 00:00") : slot_of(grid, "2026-02-20 00:00")]
    )
    first, last = scale_day(grid, LAST, 2.5)
    found = detect(daily_usage_high, grid)
    assert events(found.mask[0]) == [(first, last)]
    assert found.magnitude.sum() == pytest.approx(1.5 * usual, rel=0.1)
    assert not detect(daily_usage_low, grid).mask.any()


def test_a_day_at_a_third_is_low():
    grid = grid28()
    first, last = scale_day(grid, LAST, 0.3)
    assert events(detect(daily_usage_low, grid).mask[0]) == [(first, last)]
    assert not detect(daily_usage_high, grid).mask.any()


def test_ordinary_days_and_a_real_load_step_are_quiet():
    grid = grid28()
    assert not detect(daily_usage_high, grid).mask.any()
    assert not detect(daily_usage_low, grid).mask.any()
    grid.values[0, slot_of(grid, "2026-02-23 00:00") :] *= 1.6  # a new tenant on Monday
    assert not detect(daily_usage_high, grid).mask.any()


def test_same_weekday_history_a_saturday_is_not_a_low_weekday():
    grid = make_grid(days=28, start="2026-02-01")  # the last day is Saturday 2026-02-28
    assert not detect(daily_usage_low, grid).mask.any()  # closed like every Saturday


def test_a_holiday_is_not_judged_and_not_history():
    grid = grid28(holidays=[27], night=4.0)  # the last day closed: a fifth of a working day
    assert events(detect(daily_usage_low, grid).mask[0])  # unlisted: flagged
    calendar = Calendar.parse(f"{LAST}")
    listed = dataclasses.replace(grid, holidays=calendar, cache={})
    assert not detect(daily_usage_low, listed).mask.any()
    per_account = dataclasses.replace(
        grid, holidays=Calendar.parse(f"acc-9:{LAST}"), account_ids=np.array(["acc-1"]), cache={}
    )
    assert detect(daily_usage_low, per_account).mask.any()  # another account's holiday


def test_an_incomplete_day_is_not_judged():
    grid = grid28()
    scale_day(grid, LAST, 0.3)
    grid.values[0, slot_of(grid, f"{LAST} 20:00") :] = np.nan
    assert not detect(daily_usage_low, grid).mask.any()


def test_local_days_follow_the_time_zone_through_dst():
    grid = make_grid(days=28, start="2026-02-12", tz="America/New_York")  # 2026-03-08: DST
    d = daily.days(grid)
    lengths = dict(zip(d.dates.astype(str), d.stops - d.starts, strict=True))
    assert lengths["2026-03-08"] == 92 and lengths["2026-03-07"] == 96
    assert not detect(daily_usage_low, grid).mask.any()  # 23 hours is not a low day


def test_net_meters_are_not_judged():
    grid = grid28()
    scale_day(grid, LAST, 0.3)
    net = dataclasses.replace(grid, bidirectional=np.array([True]), cache={})
    assert not detect(daily_usage_low, net).mask.any()


def test_a_noisy_meter_needs_a_bigger_jump():
    calm, wild = grid28(noise=0.02), grid28(noise=0.02)
    swing = np.random.default_rng(3).lognormal(0.0, 0.6, 28)  # days swing by ~60 %
    swing[-1] = 1.0
    wild.values[0] *= np.repeat(swing, 96)[: wild.n_slots]
    for grid in (calm, wild):
        scale_day(grid, LAST, 2.5)
    assert detect(daily_usage_high, calm).mask.any()
    assert not detect(daily_usage_high, wild).mask.any()
    assert detect(daily_usage_high, wild, k=1.0).mask.any()


def test_calendar_parsing():
    cal = Calendar.parse(" 2026-12-25, acc-01:2026-03-10  acc-01:2026-03-11 ")
    assert cal and not Calendar.parse("")
    days = np.array(["2026-03-10", "2026-12-25", "2026-01-01"], dtype="datetime64[D]")
    mask = cal.mask(np.array(["acc-01", "acc-02"]), days)
    assert mask.tolist() == [[True, True, False], [False, True, False]]
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="DQ_HOLIDAYS: '2026-13-01'"):
        Calendar.parse("2026-13-01")
