"""unit_change: the readings jumped by a unit factor and stayed there (Wh vs kWh, gal vs L).

After a gateway change a meter may report Wh as kWh (x 1000) or litres as gallons (x 3.785),
or the reverse. Each reading is compared with the meter's expected time-of-week value
(readings and expected values too small to tell are neutral). A change is a run of at least
``min_hours`` of readings within ``x/÷ loose`` of ``factor`` (or ``1 / factor``) times their
expected value, neutral readings allowed inside, whose median ratio is within
``x/÷ (1 + tolerance)`` of the factor and whose spread is small (``max_spread``: the shape of
the meter's use is kept, only scaled). The ratio must not follow the expected value either
(least-squares slope of log ratio on log expected at most ``max_slope``): a unit scales night
and day alike, while a closure (night load all day) or a load doubled for a working day moves
only the busy hours.

The volume factor (3.785) is close to the swings of normal operation, so its run must also
cross the meter's daily cycle (expected value varying by ``cycle_ratio``) and hold through
``quiet_hours`` of its quiet time (a night). A change seen only on the scored day's afternoon
may therefore be reported by the next day's run, from its first changed reading. The change
is one finding per meter (not thousands of spikes). Only changes that reach the grid's
scored window are looked for: the job reports nothing else.

Magnitude: the median reading / expected ratio over the run (about 1000, 0.001, 3.785 or
0.264).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors import _baseline as baseline
from core.detectors._runs import Runs, find_runs, paint_once
from core.detectors.base import Detection, Grid, grade

NAME = "unit_change"
MAGNITUDE_UNIT = "factor (reading / expected)"
SOURCES = ("platform", "raw")
MERGE_HOURS = 24.0  # a gap does not split one change
_FACTORS = ("metric_factor", "volume_factor")


@dataclass(frozen=True)
class Params:
    """Parameters of the unit_change detector.

    Parameters
    ----------
    metric_factor : float
        Wh vs kWh (default 1000).
    volume_factor : float
        Gallons vs litres (default 3.785).
    min_hours : float
        Shortest sustained change, in hours (default 3).
    loose : float
        Each changed reading is within this factor of ``factor x expected`` (default 2).
    tolerance : float
        The run's median ratio is within ``x/÷ (1 + tolerance)`` of the factor (default 0.25).
    cycle_ratio : float
        Volume factor: the run must cross the daily cycle, max / min expected value over the
        run at least this (default 2). Both: below it the slope test is skipped.
    quiet_hours : float
        Volume factor: the run must hold at least this many hours at the meter's quiet level
        (expected value at most its median reading), e.g. a night (default 2).
    max_slope : float
        The log ratio may follow log expected with a slope of at most this (default 0.3; a
        closure gives about -1).
    max_spread : float
        The changed readings keep the meter's shape: the median absolute deviation of their
        log ratio is at most this (default 0.3). A meter reading its noise floor (a loose
        clamp) against a varying profile is not a unit change.
    min_expected_resolutions : float
        Readings whose expected value is below this many resolutions are neutral
        (default 5).
    medium_hours : float
        A change at least this long is ``medium`` severity (default 0: always).
    high_hours : float
        A change at least this long is ``high`` severity (default 12).
    """

    metric_factor: float = 1000.0
    volume_factor: float = 3.785
    min_hours: float = 3.0
    loose: float = 2.0
    tolerance: float = 0.25
    cycle_ratio: float = 2.0
    quiet_hours: float = 2.0
    max_slope: float = 0.3
    max_spread: float = 0.3
    min_expected_resolutions: float = 5.0
    medium_hours: float = 0.0
    high_hours: float = 12.0


def detect(grid: Grid, params: Params) -> Detection:
    """Mark sustained runs of readings a unit factor away from their expected values."""
    values = grid.values
    factors = [f for f in _FACTORS if getattr(params, f) > 1.0]  # a factor of 1 is no change
    loose = max(params.loose, 1.0)
    if not factors:
        return Detection.empty(grid)
    expected = baseline.expected(grid)
    res = baseline.resolution(grid)
    smallest = min(getattr(params, f) for f in factors)
    base = baseline.expected_or_resolution(grid)

    def far(cols: slice, rows: np.ndarray | slice) -> np.ndarray:
        """Readings far enough from expected to be any factor at all (NaN: False)."""
        v, b = values[rows, cols], base[rows, cols]
        return (v > smallest / loose * b) | ((v > 0) & (v < loose / smallest * b))

    # Findings that matter reach the scored window (the job keeps only those): look for a
    # changed reading there first, then judge those meters' whole rows.
    rows = np.flatnonzero(far(slice(grid.score_from, None), slice(None)).any(axis=1))
    if rows.size:
        rows = rows[np.count_nonzero(far(slice(None), rows), axis=1)
                    >= grid.hours_to_slots(params.min_hours)]  # fmt: skip
    if rows.size == 0:
        return Detection.empty(grid)
    exp = expected[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = values[rows] / base[rows]
    informative = (exp >= params.min_expected_resolutions * res[rows][:, None]) & (values[rows] > 0)
    neutral = ~informative & ~np.isnan(values[rows])
    log_ratio = np.log(np.where(informative, ratio, np.nan))
    found: list[tuple[Runs, np.ndarray]] = []
    for name in factors:  # two factors, each up and down: four sub-array passes at most
        factor = getattr(params, name)
        for sign in (1.0, -1.0):
            target = sign * np.log(factor)
            inside = np.abs(log_ratio - target) <= np.log(loose)
            runs = _changes(inside, neutral, log_ratio, exp, target, name, grid, params, rows)
            if len(runs[0]):
                found.append(runs)
    if not found:
        return Detection.empty(grid)
    parts = [np.concatenate([getattr(r, a) for r, _ in found]) for a in ("row", "start", "stop")]
    runs = Runs(*parts, (len(rows), grid.n_slots))
    factor = np.concatenate([f for _, f in found])
    first = np.unique(runs.row, return_index=True)[1]  # one change per meter: the first found
    keep = np.zeros(len(runs), dtype=bool)
    keep[first] = True
    runs = Runs(rows[runs.row[keep]], runs.start[keep], runs.stop[keep], values.shape)
    mask, magnitude = paint_once(values, runs, factor[keep])
    return Detection(mask, magnitude)


def _changes(
    inside: np.ndarray,
    neutral: np.ndarray,
    log_ratio: np.ndarray,
    expected: np.ndarray,
    target: float,
    name: str,
    grid: Grid,
    params: Params,
    rows: np.ndarray,
) -> tuple[Runs, np.ndarray]:
    """Qualifying runs (sub-grid rows) for one factor and direction, and their median ratios.

    ``rows`` maps the sub-grid's rows to the grid's.
    """
    runs = find_runs(inside | neutral)
    if len(runs) == 0:
        return runs, np.zeros(0)
    hits = runs.reduce(np.add, inside)
    runs, hits = (
        runs.select(hits >= grid.hours_to_slots(params.min_hours)),
        hits[hits >= grid.hours_to_slots(params.min_hours)],
    )
    if len(runs) == 0:
        return runs, np.zeros(0)
    # Trim neutral readings off both ends: the change starts at its first changed reading.
    cells = runs.take(inside)
    run_id = np.repeat(np.arange(len(runs)), runs.length)
    pos = np.arange(cells.size) - np.repeat(runs.offsets, runs.length)
    first = np.full(len(runs), np.iinfo(np.int64).max)
    last = np.full(len(runs), -1)
    np.minimum.at(first, run_id[cells], pos[cells])
    np.maximum.at(last, run_id[cells], pos[cells])
    runs = Runs(runs.row, runs.start + first, runs.start + last + 1, runs.shape)
    lr = np.where(runs.take(inside), runs.take(log_ratio), np.nan)
    run_id = np.repeat(np.arange(len(runs)), runs.length)
    median = _grouped_median(lr, run_id, len(runs))
    spread = _grouped_median(np.abs(lr - np.repeat(median, runs.length)), run_id, len(runs))
    keep = (np.abs(median - target) <= np.log(1.0 + params.tolerance)) & (
        spread <= params.max_spread
    )
    # A unit scales every reading alike: the ratio does not follow the expected value. A
    # closure (night load all day) or a doubled load moves the busy hours only, so there the
    # log ratio falls or rises with log expected (slope about -1 or +1).
    x = np.log(np.where(runs.take(inside), runs.take(expected), np.nan))
    slope, x_range = _slopes(x, lr, run_id, len(runs))
    cycle = np.log(max(params.cycle_ratio, 1.0))
    steady = np.abs(slope) <= params.max_slope
    if name == "volume_factor":
        # Near normal swings: the change must also hold through the meter's quiet hours
        # (expected value at most its median reading), which a closure leaves alone.
        quiet_at = baseline.value_quantiles(grid)["median"][rows][runs.row]
        quiet = runs.take(inside) & (runs.take(expected) <= np.repeat(quiet_at, runs.length))
        enough = runs.reduce_cells(np.add, quiet) >= grid.hours_to_slots(params.quiet_hours)
        keep &= steady & enough & (x_range >= cycle)
    else:  # far from any swing: a flat profile (no slope to measure) is fine
        keep &= steady | (x_range < cycle)
    return runs.select(keep), np.exp(median[keep])


def _slopes(
    x: np.ndarray, y: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope of ``y`` on ``x`` and the range of ``x``, per group (NaN skipped)."""
    ok = ~(np.isnan(x) | np.isnan(y))
    g, x, y = group[ok], x[ok], y[ok]
    n = np.bincount(g, minlength=n_groups).astype(float)
    sx, sy = (np.bincount(g, weights=v, minlength=n_groups) for v in (x, y))
    sxx = np.bincount(g, weights=x * x, minlength=n_groups)
    sxy = np.bincount(g, weights=x * y, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = sxx / n - (sx / n) ** 2
        slope = np.where(var > 1e-9, (sxy / n - sx * sy / n**2) / var, 0.0)
    top = np.full(n_groups, -np.inf)
    low = np.full(n_groups, np.inf)
    np.maximum.at(top, g, x)
    np.minimum.at(low, g, x)
    return np.nan_to_num(slope), np.where(n > 0, top - low, 0.0)


def _grouped_median(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of the non-NaN ``values`` of each group in ``[0, n_groups)``; NaN if none."""
    if values.size == 0:
        return np.full(n_groups, np.nan)
    order = np.lexsort((values, group))  # NaN sorts last within a group
    values, group = values[order], group[order]
    count = np.bincount(group[~np.isnan(values)], minlength=n_groups)
    offsets = np.searchsorted(group, np.arange(n_groups))
    lo = offsets + np.maximum(count - 1, 0) // 2
    hi = offsets + np.maximum(count, 1) // 2
    hi = np.minimum(hi, len(values) - 1)
    out = 0.5 * (values[np.minimum(lo, len(values) - 1)] + values[hi])
    return np.where(count > 0, out, np.nan)


def severity(hours: np.ndarray, magnitude: np.ndarray, params: Params) -> np.ndarray:
    """Grade by hours: ``medium_hours`` -> medium (default: always), ``high_hours`` -> high."""
    return grade(hours, params.medium_hours, params.high_hours)
