"""Vectorised run-length helpers: maximal runs of True cells per meter row.

Every detector finds its events as runs of consecutive slots of one meter. ``find_runs``
turns a ``(n_meters, n_slots)`` bool mask into flat arrays (row, start, stop) in one pass
over the whole grid; runs never cross rows. Per-run reductions (sum, min, max) and painting
runs back onto a grid work on the runs' cells only, so their cost follows the number of
flagged cells, not the grid size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detectors.base import Grid

_INDEX = np.int64


@dataclass(frozen=True)
class Runs:
    """Maximal runs of True cells of a ``(n_meters, n_slots)`` mask, one entry per run.

    Parameters
    ----------
    row : np.ndarray
        ``(k,)`` int meter (row) index of each run.
    start : np.ndarray
        ``(k,)`` int first slot of each run.
    stop : np.ndarray
        ``(k,)`` int one past the last slot of each run.
    shape : tuple of int
        ``(n_meters, n_slots)`` of the grid the runs come from.
    """

    row: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    shape: tuple[int, int]

    def __len__(self) -> int:
        return int(self.row.shape[0])

    @property
    def length(self) -> np.ndarray:
        """``(k,)`` number of slots in each run."""
        return self.stop - self.start

    def select(self, keep: np.ndarray) -> Runs:
        """The runs where ``keep`` (``(k,)`` bool or an index array) is True."""
        return Runs(self.row[keep], self.start[keep], self.stop[keep], self.shape)

    def cells(self) -> np.ndarray:
        """Flat (row-major) grid index of every cell of every run, run after run."""
        lengths = self.length
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, dtype=_INDEX)
        offsets = np.cumsum(lengths) - lengths
        flat_start = self.row * self.shape[1] + self.start
        return np.repeat(flat_start - offsets, lengths) + np.arange(total, dtype=_INDEX)

    @property
    def offsets(self) -> np.ndarray:
        """``(k,)`` position of each run's first cell in ``cells()`` order."""
        return np.cumsum(self.length) - self.length

    def cell_rows(self) -> np.ndarray:
        """Row (meter index) of every cell, in ``cells()`` order."""
        return np.repeat(self.row, self.length)

    def reduce_cells(self, ufunc: np.ufunc, per_cell: np.ndarray) -> np.ndarray:
        """``(k,)`` ``ufunc`` reduction per run of a ``(n_cells,)`` array in ``cells()`` order."""
        if len(self) == 0:
            return np.zeros(0, dtype=float)
        per_cell = np.asarray(per_cell)
        if per_cell.dtype == bool:
            per_cell = per_cell.astype(_INDEX)
        return ufunc.reduceat(per_cell, self.offsets)

    def reduce(self, ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
        """``(k,)`` ``ufunc`` reduction (``np.add``, ``np.fmax``, ...) of ``values`` per run.

        Parameters
        ----------
        ufunc : np.ufunc
            A binary ufunc with ``reduceat`` (e.g. ``np.add``, ``np.fmin``, ``np.fmax``).
        values : np.ndarray
            ``(n_meters, n_slots)`` array on the same grid (bool is counted as int).
        """
        if len(self) == 0:
            return np.zeros(0, dtype=float)
        return self.reduce_cells(ufunc, self.take(values))

    def sum(self, values: np.ndarray) -> np.ndarray:
        """``(k,)`` sum of ``values`` over each run (NaN propagates)."""
        return self.reduce(np.add, values)

    def first(self, values: np.ndarray) -> np.ndarray:
        """``(k,)`` value of ``values`` at each run's first slot."""
        return np.asarray(values)[self.row, self.start]

    def to_mask(self) -> np.ndarray:
        """``(n_meters, n_slots)`` bool, True on every cell of every run."""
        mask = np.zeros(self.shape[0] * self.shape[1], dtype=bool)
        mask[self.cells()] = True
        return mask.reshape(self.shape)

    def scatter(self, per_cell: np.ndarray | float) -> np.ndarray:
        """``(n_meters, n_slots)`` float, ``per_cell`` on the runs' cells, 0 elsewhere.

        ``per_cell`` is a scalar or a ``(n_cells,)`` array in ``cells()`` order (e.g. from
        ``take``). Only the runs' cells are written, so sparse results stay cheap.
        """
        out = np.zeros(self.shape[0] * self.shape[1])
        out[self.cells()] = per_cell
        return out.reshape(self.shape)

    def take(self, values: np.ndarray) -> np.ndarray:
        """``(n_cells,)`` the runs' cells of a ``(n_meters, n_slots)`` array (``cells()`` order)."""
        return np.ravel(values)[self.cells()]

    def paint(self, per_run: np.ndarray) -> np.ndarray:
        """``(n_meters, n_slots)`` float grid with each run's cells set to ``per_run[i]``."""
        return self.scatter(np.repeat(np.asarray(per_run, dtype=float), self.length))


def flat_mask(flat_index: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``shape`` bool mask, True at the given flat (row-major) indices."""
    mask = np.zeros(shape[0] * shape[1], dtype=bool)
    mask[flat_index] = True
    return mask.reshape(shape)


def find_runs(mask: np.ndarray) -> Runs:
    """Maximal runs of True cells in each row of a 2-D bool mask, without a per-row loop.

    Parameters
    ----------
    mask : np.ndarray
        ``(n_meters, n_slots)`` bool.

    Returns
    -------
    Runs
        Runs ordered by row, then by start slot.
    """
    mask = np.asarray(mask, dtype=bool)
    m, n = mask.shape
    if m == 0 or n == 0:
        empty = np.zeros(0, dtype=_INDEX)
        return Runs(empty, empty, empty, (m, n))
    # One False column on each side of every row, so runs stop at row ends and the
    # +1/-1 edges of the flattened diff pair up row by row.
    width = n + 2
    padded = np.zeros((m, width), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded.ravel())
    rising = np.flatnonzero(edges == 1) + 1  # padded index of the first True cell
    falling = np.flatnonzero(edges == -1)  # padded index of the last True cell
    row = rising // width
    start = rising % width - 1
    stop = falling % width  # == last column + 1 in grid columns
    return Runs(row.astype(_INDEX), start.astype(_INDEX), stop.astype(_INDEX), (m, n))


def run_lengths(mask: np.ndarray) -> np.ndarray:
    """``(n_meters, n_slots)`` int: each True cell's run length in slots, 0 elsewhere."""
    runs = find_runs(mask)
    return runs.paint(runs.length).astype(_INDEX)


def missing_runs(grid: Grid) -> Runs:
    """Runs of missing (NaN) readings of ``grid.values``, memoized in ``grid.cache``."""
    key = "detectors.missing_runs"
    if key not in grid.cache:
        grid.cache[key] = find_runs(np.isnan(grid.values))
    return grid.cache[key]


def short_runs_with_core(extent: np.ndarray, core: np.ndarray, max_slots: int) -> Runs:
    """Runs of ``extent | core`` at most ``max_slots`` long holding at least one ``core`` cell.

    Spikes use it: ``core`` is the strict "far from expected" test, ``extent`` a looser one
    that measures how long the excursion really lasts, so noise that dips below the strict
    threshold cannot split a long excursion into short "spikes".
    """
    runs = find_runs(extent | core)
    runs = runs.select(runs.length <= max_slots)
    return runs.select(runs.sum(core) > 0)


def paint_once(
    values: np.ndarray, runs: Runs, per_run: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mask of the runs' known (non-NaN) cells, and each run's value on its first known cell.

    For detectors whose finding has one figure rather than a per-slot amount (a leak rate, a
    clock offset, a factor): the event's magnitude (the sum over its cells) is that figure,
    even when a gap splits the run and post-processing merges the pieces back.

    Returns
    -------
    tuple of np.ndarray
        ``(mask, magnitude)``, both shaped like ``values``.
    """
    cells = runs.cells()
    run_id = np.repeat(np.arange(len(runs)), runs.length)
    known = ~np.isnan(np.ravel(values)[cells])
    cells, run_id = cells[known], run_id[known]
    mask = flat_mask(cells, values.shape)
    magnitude = np.zeros(values.size)
    first_run, first = np.unique(run_id, return_index=True)
    magnitude[cells[first]] = np.asarray(per_run, dtype=float)[first_run]
    return mask, magnitude.reshape(values.shape)
