"""raw_platform_mismatch: the raw feed and the platform disagree for a sustained period.

Runs on the raw source: ``grid.values`` are the raw readings and ``grid.reference`` the
platform's on the same grid. A slot disagrees when both are present and
``|raw - platform| > max(abs_tol_resolutions x resolution, rel_tol x max(|raw|, |platform|))``
(resolution: the coarser of the two sources). Runs of at least ``min_hours`` are flagged.
Without a reference the detector finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import _baseline as baseline
from core.detectors._runs import find_runs, flat_mask
from core.detectors.base import Detection, Grid, grade

NAME = "raw_platform_mismatch"
MAGNITUDE_UNIT = "kWh or gal difference"  # sum of |raw - platform|
SOURCES = ("raw",)


@dataclass(frozen=True)
class Params:
    """Parameters of the raw_platform_mismatch detector.

    Parameters
    ----------
    abs_tol_resolutions : float
        Absolute tolerance in meter resolutions (default 2).
    rel_tol : float
        Relative tolerance on the larger of the two readings (default 0.1).
    min_hours : float
        Shortest sustained disagreement reported, in hours (default 1).
    medium_hours : float
        A mismatch at least this long is ``medium`` severity (default 6).
    high_hours : float
        A mismatch at least this long is ``high`` severity (default 24).
    """

    abs_tol_resolutions: float = 2.0
    rel_tol: float = 0.1
    min_hours: float = 1.0
    medium_hours: float = 6.0
    high_hours: float = 24.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark sustained disagreements between ``grid.values`` (raw) and ``grid.reference``."""
    if grid.reference is None:
        return Detection.empty(grid)
    raw, platform = grid.values, grid.reference
    diff = raw - platform  # NaN if either side is missing: never flagged
    np.abs(diff, out=diff)
    # The raw resolution's tolerance over the whole grid (a necessary condition), the full
    # test on the few candidates: the platform's resolution is only needed for their rows.
    res = baseline.resolution(grid)
    cand = np.flatnonzero(diff > params.abs_tol_resolutions * res[:, None])
    rows = cand // grid.n_slots
    meters = np.unique(rows)
    res = res.copy()
    res[meters] = np.fmax(res[meters], baseline.resolution_of(platform[meters]))
    gap = diff.ravel()[cand]
    larger = np.fmax(np.abs(raw.ravel()[cand]), np.abs(platform.ravel()[cand]))
    bad = cand[(gap > params.abs_tol_resolutions * res[rows]) & (gap > params.rel_tol * larger)]
    runs = find_runs(flat_mask(bad, raw.shape))
    runs = runs.select(runs.length >= grid.hours_to_slots(params.min_hours))
    return Detection(runs.to_mask(), runs.scatter(runs.take(diff)))


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by hours of disagreement: ``medium_hours`` -> medium, ``high_hours`` -> high."""
    return grade(hours, params.medium_hours, params.high_hours)
