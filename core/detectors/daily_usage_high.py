"""daily_usage_high: a local day's total far above the same weekday's usual total.

The VEE "high usage" check. Each whole local day that reaches the scored window is compared
with the meter's history (``core.detectors._daily``): the median total of the same weekday
(at least ``min_same_weekday`` complete earlier days) and of the same day type (weekday or
weekend), the larger of the two. It is flagged when the total is at least ``min_ratio`` x
that *and* exceeds it by more than ``k`` times the meter's usual day-to-day spread (so a
meter whose days swing widely needs a bigger jump). Days that are incomplete (under
``min_complete`` of their readings), holidays of the ``DQ_HOLIDAYS`` calendar and days inside
findings people confirmed are neither judged nor used as history; a day people marked
``not_an_issue`` stays in the history. Bidirectional (net) meters are not judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import _daily as daily
from core.detectors.base import Detection, Grid, grade

NAME = "daily_usage_high"
MAGNITUDE_UNIT = "kWh or gal above the usual day"  # the day's total minus the history median
SOURCES = ("platform",)
SCOPE = "usage"
MERGE_HOURS = 24.0  # gaps inside one flagged day do not split it


@dataclass(frozen=True)
class Params:
    """Parameters of the daily_usage_high detector.

    Parameters
    ----------
    min_ratio : float
        The day's total must be at least this multiple of the usual total (default 2).
    k : float
        ... and above it by more than ``k`` x the meter's relative day-to-day spread
        (default 5).
    min_complete : float
        Share of a day's readings that must be present to judge it or use it as history
        (default 0.95).
    min_same_weekday : int
        Fewest earlier days of the same weekday for their median (default 3); with fewer,
        the same day type (weekday/weekend, twice as many days) is used.
    medium_magnitude : float
        An excess (meter unit) at least this is ``medium`` severity (default 100).
    high_magnitude : float
        An excess at least this is ``high`` severity (default 1000).
    """

    min_ratio: float = 2.0
    k: float = 5.0
    min_complete: float = 0.95
    min_same_weekday: int = 3
    medium_magnitude: float = 100.0
    high_magnitude: float = 1000.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark the slots of local days whose total is far above the same weekday's usual."""
    judged = daily.judge(grid, params.min_complete, params.min_same_weekday)
    margin = np.maximum(params.min_ratio - 1.0, params.k * judged.spread)
    flagged = judged.total > judged.high_usual * (1.0 + margin)
    mask, magnitude = daily.paint(grid, judged, flagged, judged.total - judged.high_usual)
    return Detection(mask, magnitude)


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by excess: ``medium_magnitude`` -> medium, ``high_magnitude`` -> high."""
    return grade(magnitude, params.medium_magnitude, params.high_magnitude)
