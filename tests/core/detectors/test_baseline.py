"""Shared statistics: time-of-week profile, resolution, floor/high, scale, caching."""

import numpy as np
import pandas as pd
import pytest

from core.detectors import _baseline as baseline
from tests.core.detectors.gridmaker import make_grid, slot_of, tiny_grid, with_values


def test_expected_follows_local_time_across_dst():
    grid = make_grid(days=28, tz="America/New_York", start="2026-02-23")
    local = grid.local_times()
    grid = with_values(
        grid,
        (local.hour * 100 + local.minute + 1000.0 * (local.day_of_week >= 5)).to_numpy()[None, :],
    )
    np.testing.assert_array_equal(baseline.expected(grid), grid.values)


def test_expected_is_robust_to_a_few_bad_days():
    clean = make_grid(days=28)
    dirty = make_grid(days=28)
    dirty.values[0, : 3 * 96] = 0.0  # three weekdays of zeros
    dirty.values[0, 10 * 96 : 11 * 96] *= 5
    np.testing.assert_allclose(baseline.expected(dirty), baseline.expected(clean), rtol=0.05)


def test_weekday_and_weekend_profiles_differ():
    grid = make_grid(days=14)
    wed, sat = slot_of(grid, "2026-02-11 12:00"), slot_of(grid, "2026-02-14 12:00")
    expected = baseline.expected(grid)[0]
    assert expected[wed] == pytest.approx(40, rel=0.05)
    assert expected[sat] == pytest.approx(10, rel=0.05)


def test_thin_groups_fall_back_to_all_days_then_meter_median():
    grid = make_grid(days=2)  # Mon + Tue: 2 samples per weekday group, none for weekends
    profile = baseline.profile(grid)["median"]
    assert not np.isnan(profile).any()
    per_day = baseline.slots_per_day(grid)
    np.testing.assert_allclose(profile[:, :per_day], profile[:, per_day:])
    single = tiny_grid([[np.nan, 4.0, np.nan, 6.0]])
    profile = baseline.profile(single)["median"][0]
    sampled = [1, 3, per_day + 1, per_day + 3]  # weekend groups borrow the all-days value
    assert profile[sampled].tolist() == [4.0, 6.0, 4.0, 6.0]  # one sample each: that sample
    meter_median = baseline.value_quantiles(single)["median"][0]
    assert (np.delete(profile, sampled) == meter_median).all()  # no sample: the meter median


def test_resolution():
    coarse = make_grid(days=7, night=3, day=15, resolution=1.0, noise=0.05)
    fine = make_grid(days=7, noise=0.03)
    assert baseline.resolution(coarse)[0] == 1.0
    assert 0 < baseline.resolution(fine)[0] < 0.5
    constant = tiny_grid([[5.0] * 10, [np.nan] * 10])
    assert baseline.resolution(constant).tolist() == [baseline.DEFAULT_RESOLUTION] * 2
    with_ref = tiny_grid([[1.0, 2.0, 3.0, 4.0]], reference=np.array([[0.0, 0.5, 1.0, 1.5]]))
    assert baseline.resolution(with_ref, "reference")[0] == 0.5
    assert baseline.resolution(tiny_grid([[1.0, 2.0]]), "reference")[0] == 1.0
    with pytest.raises(ValueError, match="Unknown grid source"):
        baseline.resolution(coarse, "nope")


def test_floor_high_and_band():
    grid = make_grid(days=14)
    assert baseline.floor(grid)[0] == pytest.approx(10, rel=0.1)
    assert baseline.high(grid)[0] == pytest.approx(40, rel=0.1)
    band = baseline.floor_band(grid, resolutions=2, fraction=0.1)[0]
    assert band == pytest.approx(baseline.floor(grid)[0] + 3.0, rel=0.1)


def test_scale_is_per_time_of_week_and_at_least_resolution():
    grid = make_grid(days=28, n_meters=20, noise=0.05)
    noon, night = slot_of(grid, "2026-02-18 12:00"), slot_of(grid, "2026-02-18 03:00")
    scale = baseline.scale(grid)
    assert np.median(scale[:, noon]) == pytest.approx(0.05 * 40, rel=0.25)  # sigma by day
    assert np.median(scale[:, night]) == pytest.approx(0.05 * 10, rel=0.25)  # ... and night
    coarse = make_grid(days=21, night=3, day=15, resolution=1.0, noise=0.01)
    assert (baseline.scale(coarse) >= 1.0).all()


def test_active_share():
    water = make_grid(days=28, kind="water", day=20.0, resolution=1.0)
    share = baseline.active_share(water, baseline.resolution(water))[0]
    assert share == pytest.approx(5 * 10 / (7 * 24), abs=0.03)  # open 10 h on weekdays


def test_statistics_are_memoized_per_grid():
    grid = make_grid(days=7)
    assert baseline.expected(grid) is baseline.expected(grid)
    assert baseline.resolution(grid) is baseline.resolution(grid)
    assert any(key.startswith("detectors.") for key in grid.cache)
    assert isinstance(grid.local_times(), pd.DatetimeIndex)
    assert baseline.expected(grid).flags["C_CONTIGUOUS"]  # fast flat indexing downstream
