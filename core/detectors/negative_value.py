"""negative_value: a reading below zero.

Consumption per interval cannot be negative for these meters; any negative reading is a
data problem (sign error, meter rollover or replacement, a correction posted as negative
usage). Consecutive negative readings form one finding. Meters marked ``bidirectional`` in
the meters file (net meters with on-site generation, e.g. solar) export energy as negative
readings: theirs are normal and never flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors.base import SEVERITIES, Detection, Grid

NAME = "negative_value"
MAGNITUDE_UNIT = "kWh or gal below zero"  # sum of |negative readings|
SOURCES = ("platform", "raw")


@dataclass(frozen=True)
class Params:
    """Parameters of the negative_value detector.

    Parameters
    ----------
    medium_hours : float
        A run of negative readings at least this long is at least ``medium`` (default 1).
    high_hours : float
        A run of negative readings at least this long is ``high`` (default 6).
    medium_magnitude : float
        A run whose sum of |negative readings| reaches this is at least ``medium``
        (default 10, in the meter's unit).
    high_magnitude : float
        A run whose sum of |negative readings| reaches this is ``high`` (default 100).
    """

    medium_hours: float = 1.0
    high_hours: float = 6.0
    medium_magnitude: float = 10.0
    high_magnitude: float = 100.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark every negative reading; magnitude is its absolute value."""
    mask = grid.values < 0  # NaN compares False: unknown stays unflagged
    net = grid.is_bidirectional()
    if net.any():
        mask &= ~net[:, None]
    flat = np.flatnonzero(mask)
    magnitude = np.zeros(mask.size)
    magnitude[flat] = -grid.values.ravel()[flat]
    return Detection(mask, magnitude.reshape(mask.shape))


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """The worse of the grade by hours and the grade by magnitude (larger or longer)."""
    rank = np.maximum(
        _rank(hours, params.medium_hours, params.high_hours),
        _rank(magnitude, params.medium_magnitude, params.high_magnitude),
    )
    return np.asarray(SEVERITIES, dtype=object)[rank]


def _rank(values: np.ndarray, medium: float, high: float) -> np.ndarray:
    """0/1/2 for low/medium/high, thresholds inclusive (as ``base.grade``)."""
    values = np.asarray(values, dtype=float)
    return (values >= medium).astype(np.intp) + (values >= high)
