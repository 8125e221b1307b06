"""daily_usage_low: a local day's total far below the same weekday's usual total.

The VEE "low usage" check, the mirror of ``daily_usage_high`` (same history, holidays,
completeness and exclusions; see ``core.detectors._daily``). A day is flagged when its total
is at most ``max_ratio`` x the usual total (the smaller of the same weekday's and the same
day type's medians) *and* below it by more than ``k`` times the meter's usual day-to-day
spread. A holiday the calendar (``DQ_HOLIDAYS``)
does not list is flagged like any other low day; marking it ``not_an_issue`` keeps it in the
history as normal, so a recurring closure stops being flagged once it is the meter's habit.
Bidirectional (net) meters are not judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import _daily as daily
from core.detectors.base import Detection, Grid, grade

NAME = "daily_usage_low"
MAGNITUDE_UNIT = "kWh or gal below the usual day"  # the history median minus the day's total
SOURCES = ("platform",)
SCOPE = "usage"
MERGE_HOURS = 24.0  # gaps inside one flagged day do not split it


@dataclass(frozen=True)
class Params:
    """Parameters of the daily_usage_low detector.

    Parameters
    ----------
    max_ratio : float
        The day's total must be at most this share of the usual total (default 0.4).
    k : float
        ... and below it by more than ``k`` x the meter's relative day-to-day spread
        (default 5).
    min_complete : float
        Share of a day's readings that must be present to judge it or use it as history
        (default 0.95).
    min_same_weekday : int
        Fewest earlier days of the same weekday for their median (default 3); with fewer,
        the same day type (weekday/weekend, twice as many days) is used.
    medium_magnitude : float
        A shortfall (meter unit) at least this is ``medium`` severity (default 100).
    high_magnitude : float
        A shortfall at least this is ``high`` severity (default 1000).
    """

    max_ratio: float = 0.4
    k: float = 5.0
    min_complete: float = 0.95
    min_same_weekday: int = 3
    medium_magnitude: float = 100.0
    high_magnitude: float = 1000.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark the slots of local days whose total is far below the same weekday's usual."""
    judged = daily.judge(grid, params.min_complete, params.min_same_weekday)
    margin = np.maximum(1.0 - params.max_ratio, params.k * judged.spread)
    flagged = judged.total < judged.low_usual * (1.0 - np.minimum(margin, 1.0))
    mask, magnitude = daily.paint(grid, judged, flagged, judged.low_usual - judged.total)
    return Detection(mask, magnitude)


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by shortfall: ``medium_magnitude`` -> medium, ``high_magnitude`` -> high."""
    return grade(magnitude, params.medium_magnitude, params.high_magnitude)
