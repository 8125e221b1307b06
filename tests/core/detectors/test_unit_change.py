"""unit_change: a sustained jump by a unit factor, one finding instead of thousands of spikes."""

import numpy as np
import pytest

from core.detectors import spike_negative, spike_positive, unit_change
from tests.core.detectors.gridmaker import detect, events, make_grid, slot_of

LAST = "2026-02-21"  # the last day of a 21-day grid from 2026-02-01


def change(grid, since: str, factor: float) -> int:
    first = slot_of(grid, since)
    grid.values[0, first:] *= factor
    return first


@pytest.mark.parametrize("factor", [1000.0, 0.001])
def test_wh_and_kwh_mixed_up_mid_day_is_one_finding(factor):
    grid = make_grid(days=21, start="2026-02-01")
    first = change(grid, f"{LAST} 10:00", factor)
    found = detect(unit_change, grid)
    assert events(found.mask[0]) == [(first, grid.n_slots)]
    assert found.magnitude.sum() == pytest.approx(factor, rel=0.1)
    assert not detect(spike_positive, grid).mask[0, first:].any()  # not thousands of spikes
    assert not detect(spike_negative, grid).mask[0, first:].any()


def test_litres_as_gallons_through_the_night_is_found():
    grid = make_grid(days=21, start="2026-02-01", night=10.0, day=40.0)
    first = change(grid, "2026-02-20 14:00", 3.785)  # since yesterday afternoon
    found = detect(unit_change, grid)
    assert events(found.mask[0]) == [(first, grid.n_slots)]
    assert found.magnitude.sum() == pytest.approx(3.785, rel=0.1)


def test_litres_as_gallons_seen_only_in_working_hours_waits_for_the_night():
    grid = make_grid(days=21, start="2026-02-01")
    first, last = slot_of(grid, f"{LAST} 09:00"), slot_of(grid, f"{LAST} 17:00")
    grid.values[0, first:last] *= 3.785  # too like a busy day: no quiet hours yet
    assert not detect(unit_change, grid).mask.any()


def test_a_closure_at_a_quarter_of_the_day_load_is_not_a_unit_change():
    # night 10.6 and day 40: a closed working day reads 1 / 3.785 of its expected value
    grid = make_grid(days=21, start="2026-02-02", night=10.6, day=40.0, holidays=[17])
    assert not detect(unit_change, grid).mask.any()


def test_load_doubled_for_a_day_and_ordinary_noise_are_quiet():
    grid = make_grid(days=21, start="2026-02-01", noise=0.1)
    assert not detect(unit_change, grid).mask.any()
    change(grid, f"{LAST} 00:00", 2.0)
    assert not detect(unit_change, grid).mask.any()


def test_a_loose_clamp_reading_its_noise_floor_is_not_a_unit_change():
    grid = make_grid(days=21, start="2026-02-01", night=20.0, day=60.0)
    first = slot_of(grid, f"{LAST} 06:00")
    rng = np.random.default_rng(1)
    grid.values[0, first:] = rng.uniform(0.01, 0.06, grid.n_slots - first)
    assert not detect(unit_change, grid).mask.any()


def test_short_changes_are_not_reported():
    grid = make_grid(days=21, start="2026-02-01")
    first, last = slot_of(grid, f"{LAST} 10:00"), slot_of(grid, f"{LAST} 12:00")
    grid.values[0, first:last] *= 1000
    assert not detect(unit_change, grid).mask.any()


def test_severity():
    grades = unit_change.severity(np.array([1.0, 24.0]), np.ones(2), unit_change.Params())
    assert list(grades) == ["medium", "high"]
