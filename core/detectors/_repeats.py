"""How likely a run of exact repeats (or zeros) is for one meter, from its own history.

``flatline`` and ``zero_run`` ask the same question: this meter held one value for ``L``
slots; how often does *this* meter do that, at that level and time of the week? The model
(docs/detectors.md, "The repeat model", has a worked example):

* Each transition from slot ``t-1`` to ``t`` either keeps the state (a repeat of the value,
  or another zero) or not. Its chance depends on a cell: the level of the held value (at or
  below the meter's median reading, or above it: noise grows with the load, so a coarse
  meter holds its night load far more often than its day load), the time of the week (six
  4-hour blocks of the local day x weekday/weekend) and whether ``t-1`` itself was a
  repeat. The last part makes it a first-order Markov chain: a coarse meter that holds a
  value tends to keep holding it.
* The chance of a cell is its share of repeats over the meter's readings in the grid, shrunk
  toward coarser estimates when the cell has few transitions: cell -> same level and
  "previous repeated" over all times -> the meter's "previous repeated" share -> a prior
  (``PRIOR_FIRST`` for a fresh repeat; the square root of the meter's fresh-repeat rate
  after a repeat). Each step adds pseudo-transitions of its parent (``PRIOR_WEIGHT``,
  ``LEVEL_WEIGHT``, ``CELL_WEIGHT``).
* The run's own transitions are left out of the counts it is judged by (leave-one-out), so a
  long plateau cannot make itself normal; other plateaus at the same level and time do.
* ``log10 P(run) = sum of log10 p(cell of t)`` over the run's transitions. The detectors flag
  runs whose ``log10 P`` is below their ``max_log10_probability``.

Everything is numpy over the rows that have a candidate run: one ``bincount`` for the counts
and per-run sums with ``reduceat``; no loop per meter.
"""

from __future__ import annotations

import numpy as np

from core.detectors import _baseline as baseline
from core.detectors._runs import Runs
from core.detectors.base import Grid

N_BLOCKS = 6  # 4-hour blocks of the local day
N_TIMES = 2 * N_BLOCKS  # x weekday / weekend
PRIOR_FIRST = 0.01  # chance of a fresh repeat (or a first zero) with no history at all
PRIOR_WEIGHT = 20.0  # pseudo-transitions of the prior at the meter level: a few hours of
# evidence, so one short plateau does not make "keeps repeating" this meter's habit
LEVEL_WEIGHT = 4.0  # pseudo-transitions of the meter-wide estimate at the level step
CELL_WEIGHT = 20.0  # ... of the level's estimate at the cell step: a time block needs about
# five hours of its own evidence before it moves away from what the level says
N_LEVELS = 2  # the held value at or below the meter's median reading, or above it


def time_bins(grid: Grid) -> np.ndarray:
    """``(n_slots,)`` int in ``[0, N_TIMES)``: weekend x 6 + local 4-hour block of each slot."""
    groups = baseline.slot_groups(grid)
    per_day = baseline.slots_per_day(grid)
    return (groups // per_day) * N_BLOCKS + (groups % per_day) * N_BLOCKS // per_day


def level_bins(grid: Grid, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``(k, n)`` int8: 1 where the value is above its meter's median reading, else 0."""
    median = baseline.value_quantiles(grid)["median"][rows]
    return (values > median[:, None]).astype(np.int8)  # NaN compares False: never counted


def history_days(grid: Grid, rows: np.ndarray) -> np.ndarray:
    """``(k,)`` days' worth of known (and not excluded) readings of each row."""
    data = baseline.baseline_values(grid)[rows]
    return np.count_nonzero(~np.isnan(data), axis=1) / grid.slots_per_day


def run_log10(
    state: np.ndarray,
    counted: np.ndarray,
    level: np.ndarray | None,
    times: np.ndarray,
    runs: Runs,
    first_offset: int,
) -> np.ndarray:
    """``log10 P`` of each run under the meter's repeat model (see the module docstring).

    Parameters
    ----------
    state : np.ndarray
        ``(k, n)`` bool: slot ``t`` keeps the state of ``t-1`` (repeat) or is in it (zero).
    counted : np.ndarray
        ``(k, n)`` bool: the transition into slot ``t`` is evidence (both slots known, the
        held value eligible, neither excluded from baselines); False in column 0.
    level : np.ndarray or None
        ``(k, n)`` int level bin of the transition into ``t`` (of the held value), or None
        for one level.
    times : np.ndarray
        ``(n,)`` time bin of each slot (:func:`time_bins`).
    runs : Runs
        The runs to judge, on the ``(k, n)`` array: each run's transitions into slots
        ``start + first_offset .. stop - 1`` all keep the state.
    first_offset : int
        1 for plateaus (the first slot of a plateau is not a repeat), 0 for zero runs (the
        entry into the first zero is part of the run).

    Returns
    -------
    np.ndarray
        ``(n_runs,)`` float; 0 for a run without a transition.
    """
    k, n = state.shape
    n_levels = 1 if level is None else N_LEVELS
    n_cells = n_levels * N_TIMES * 2
    prev = np.zeros((k, n), dtype=np.int8)
    prev[:, 1:] = state[:, :-1]
    lvl = 0 if level is None else level.astype(np.intp)
    cell = (lvl * N_TIMES + times[None, :]) * 2 + prev  # (k, n)
    key = (np.arange(k)[:, None] * n_cells + cell)[counted]
    total = np.bincount(key, minlength=k * n_cells).astype(float).reshape(k, n_levels, N_TIMES, 2)
    kept = np.bincount(key, weights=state[counted], minlength=k * n_cells)
    kept = kept.reshape(k, n_levels, N_TIMES, 2)

    # The runs' transitions, run after run.
    lengths = np.maximum(runs.length - first_offset, 0)
    if lengths.sum() == 0:
        return np.zeros(len(runs))
    run_id = np.repeat(np.arange(len(runs)), lengths)
    offsets = np.cumsum(lengths) - lengths
    step = np.arange(lengths.sum()) - offsets[run_id]
    slot = np.repeat(runs.start + first_offset, lengths) + step
    row = runs.row[run_id]
    own = counted[row, slot].astype(float)  # the run's own evidence, left out below
    c = cell[row, slot]
    t_cell = c // 2 % N_TIMES
    t_lvl = c // (2 * N_TIMES)
    t_prev = c % 2

    def own_count(group: np.ndarray) -> np.ndarray:
        _, inverse = np.unique(run_id * (n_cells + 1) + group, return_inverse=True)
        return np.bincount(inverse, weights=own)[inverse]

    n_meter = total.sum(axis=(1, 2))  # (k, 2)
    k_meter = kept.sum(axis=(1, 2))
    n_level = total.sum(axis=2)  # (k, levels, 2)
    k_level = kept.sum(axis=2)
    fresh = (k_meter[:, 0] + PRIOR_WEIGHT * PRIOR_FIRST) / (n_meter[:, 0] + PRIOR_WEIGHT)
    prior = np.where(t_prev == 1, np.sqrt(fresh[row]), PRIOR_FIRST)
    own_p = own_count(t_prev)
    p_meter = (k_meter[row, t_prev] - own_p + PRIOR_WEIGHT * prior) / (
        n_meter[row, t_prev] - own_p + PRIOR_WEIGHT
    )
    own_l = own_count(t_lvl * 2 + t_prev)
    p_level = (k_level[row, t_lvl, t_prev] - own_l + LEVEL_WEIGHT * p_meter) / (
        n_level[row, t_lvl, t_prev] - own_l + LEVEL_WEIGHT
    )
    own_c = own_count(c)
    p_cell = (kept[row, t_lvl, t_cell, t_prev] - own_c + CELL_WEIGHT * p_level) / (
        total[row, t_lvl, t_cell, t_prev] - own_c + CELL_WEIGHT
    )
    logs = np.log10(np.clip(p_cell, 1e-12, 1.0))
    out = np.zeros(len(runs))
    has = lengths > 0
    out[has] = np.add.reduceat(logs, offsets[has])
    return out
