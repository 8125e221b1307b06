"""water_leak: a water meter that stopped reaching zero flow while it normally does nightly."""

import dataclasses

import numpy as np
import pytest

from core.detectors import water_leak
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of

WATER = {"kind": "water", "day": 20.0, "resolution": 1.0, "days": 21}


def leak(grid, since: str, rate: float) -> int:
    first = slot_of(grid, since)
    grid.values[0, first:] += rate
    return first


def test_a_day_without_a_zero_hour_is_a_leak_and_its_rate_the_magnitude():
    grid = make_grid(**WATER)
    first = leak(grid, "2026-02-22 00:00", 2.0)  # the last day: 2 gal every 15 min
    found = detect(water_leak, grid)
    assert events(found.mask[0]) == [(first, grid.n_slots)]
    assert found.magnitude.sum() == pytest.approx(8.0)  # gal per hour: the night flow


def test_a_leak_over_several_days_is_one_finding_from_its_first_day():
    grid = make_grid(**WATER)
    first = leak(grid, "2026-02-19 00:00", 1.0)
    assert events(detect(water_leak, grid).mask[0]) == [(first, grid.n_slots)]


def test_normal_water_meter_and_electricity_are_quiet():
    assert not detect(water_leak, make_grid(**WATER)).mask.any()
    assert not detect(water_leak, make_grid(days=21)).mask.any()  # electricity: never zero


def test_a_meter_that_never_reaches_zero_anyway_is_not_a_leak():
    grid = make_grid(**WATER)
    grid.values[0] += 1.0  # always flows, history included
    assert not detect(water_leak, grid).mask.any()


def test_an_incomplete_day_is_not_judged():
    grid = make_grid(**WATER)
    leak(grid, "2026-02-22 00:00", 2.0)
    grid.values[0, slot_of(grid, "2026-02-22 12:00") :] = np.nan  # half the day missing
    assert not detect(water_leak, grid).mask.any()


def test_a_confirmed_earlier_leak_is_not_history():
    grid = make_grid(days=28, kind="water", day=20.0, resolution=1.0)
    grid.values[0, : slot_of(grid, "2026-02-12 00:00")] += 1.0  # leaked 10 days, then fixed
    leak(grid, "2026-03-01 00:00", 1.0)  # and again on the last day
    assert not detect(water_leak, grid, nightly_share=0.9).mask.any()  # 17/27 nights dry
    excluded = np.zeros(grid.values.shape, dtype=bool)
    excluded[0, : slot_of(grid, "2026-02-12 00:00")] = True  # people confirmed that leak
    confirmed = dataclasses.replace(grid, excluded=excluded, cache={})
    assert detect(water_leak, confirmed, nightly_share=0.9).mask.any()


def test_hourly_water_meter():
    grid = make_grid(slot_minutes=60, **WATER)
    first = leak(grid, "2026-02-22 00:00", 3.0)
    found = detect(water_leak, grid)
    assert events(found.mask[0]) == [(first, grid.n_slots)]
    assert found.magnitude.sum() == pytest.approx(3.0)


def test_severity_by_rate():
    grades = water_leak.severity(np.ones(3), np.array([1.0, 5.0, 50.0]), water_leak.Params())
    assert list(grades) == ["low", "medium", "high"]
