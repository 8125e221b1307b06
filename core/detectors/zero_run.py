"""zero_run: the meter reads exactly zero for hours while it is expected to consume.

A run of exact zeros is flagged when it lasts at least the kind's minimum (``min_hours``
for electricity, ``water_min_hours`` for water) and the meter's expected time-of-week
profile expects consumption (expected > ``expected_resolutions`` resolutions) on a share
of the run's slots of at least ``expected_fraction`` x the meter's usual share. For a
meter that always consumes (electricity with a night load) the usual share is ~1, so this
is "expected on at least half the run"; for an office water meter that only draws during
opening hours (~30 % of the week) a zero run over working days still qualifies, while a
run over nights, weekends and a holiday does not. Water meters read 0 most nights and
weekends, and a closed building's water meter can stay at 0 from one evening to the
morning after a holiday, hence the longer water minimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import baseline
from core.detectors.base import Detection, Grid, grade
from core.detectors.runs import find_runs

NAME = "zero_run"
MAGNITUDE_UNIT = "kWh or gal expected"  # sum of the expected profile over the run
SOURCES = ("platform", "raw")


@dataclass(frozen=True)
class Params:
    """Parameters of the zero_run detector.

    Parameters
    ----------
    min_hours : float
        Shortest zero run of an electricity (non-water) meter, in hours (default 2).
    water_min_hours : float
        Shortest zero run of a water meter, in hours (default 48).
    expected_resolutions : float
        A slot "expects consumption" when its expected value exceeds this many meter
        resolutions (default 1).
    expected_fraction : float
        The share of the run's slots that expect consumption must reach this fraction of
        the meter's usual share over the grid (default 0.5).
    medium_hours : float
        A run at least this long is ``medium`` severity (default 6).
    high_hours : float
        A run at least this long is ``high`` severity (default 24).
    """

    min_hours: float = 2.0
    water_min_hours: float = 48.0
    expected_resolutions: float = 1.0
    expected_fraction: float = 0.5
    medium_hours: float = 6.0
    high_hours: float = 24.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark zero runs that are long enough while consumption is expected."""
    runs = find_runs(grid.values == 0)
    is_water = (np.asarray(grid.kinds) == "water")[runs.row]
    min_slots = np.where(
        is_water,
        grid.hours_to_slots(params.water_min_hours),
        grid.hours_to_slots(params.min_hours),
    )
    runs = runs.select(runs.length >= min_slots)
    if len(runs) == 0:
        return Detection.empty(grid)

    threshold = params.expected_resolutions * baseline.resolution(grid)
    expected = runs.take(baseline.expected(grid))
    share = runs.reduce_cells(np.add, expected > threshold[runs.cell_rows()]) / runs.length
    usual = baseline.active_share(grid, threshold)[runs.row]
    keep = (share > 0) & (share >= params.expected_fraction * usual)
    lost = np.clip(np.nan_to_num(expected), 0.0, None)
    # Keep only the qualifying runs' cells (the cells of runs are contiguous per run).
    keep_cells = np.repeat(keep, runs.length)
    runs, lost = runs.select(keep), lost[keep_cells]
    return Detection(runs.to_mask(), runs.scatter(lost))


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by run hours: ``medium_hours`` -> medium, ``high_hours`` -> high."""
    return grade(hours, params.medium_hours, params.high_hours)
