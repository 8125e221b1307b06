"""Building demand on the 15-minute grid: readings of a chunk's meters summed per building.

Resolution choice: everything is aggregated on the **15-minute grid**. A 15-minute reading
contributes ``value x 4`` kW to its slot; an hourly reading contributes ``value x 1`` kW (its
hour's average demand) to each of that hour's four 15-minute slots. Mixed buildings (one
15-minute and one hourly meter) therefore sum slot by slot, and a purely hourly building
still has 96 slots a day. Meter intervals must be multiples of 15 minutes up to 60. Two
readings of one meter landing on one slot are averaged.

A slot counts as present only when **every** eligible electricity meter of the building has a
reading for it: a partial sum would understate demand, so a slot missing any meter is NaN
(missing) and lowers the day's completeness instead.

:func:`sum_dense` is numpy over a dense meters x slots grid (readings on the 15-minute grid);
:func:`sum_sparse` takes readings at any offset (the importer snaps them onto the grid, so
this exact but slower pandas path is rare). Both add each building's meters in one fixed
order, so a rerun gives the same bits whatever order the rows came in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _spread(interval: np.ndarray) -> np.ndarray:
    """Slots a reading covers: the k in 0..3 with k x 15 < interval minutes."""
    return np.clip(-(-interval // 15), 1, 4)


def sum_dense(
    meter: np.ndarray,
    slot: np.ndarray,
    kw: np.ndarray,
    interval: np.ndarray,
    building: np.ndarray,
    expected: np.ndarray,
    n_slots: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Building sums on a dense meters x slots grid (readings on the 15-minute grid).

    Per reading: ``meter`` (0..), ``slot`` (15-minute slots from the start) and ``kw``; per
    meter: ``interval`` minutes and ``building`` code (meters of a building are adjacent);
    ``expected``: meter rows per building. Returns building codes, slots and kW, by building
    and slot.
    """
    n_meters, width = len(interval), n_slots + 3  # + 3: an hourly reading's last slots
    extra: list[tuple[np.ndarray, int]] = []  # (rows, k): an hourly reading's k-th slot
    spread = _spread(interval)
    if (spread > 1).any():
        per_row = spread.astype(np.int8)[meter]
        wide = np.flatnonzero(per_row > 1)
        for k in (1, 2, 3):
            wide = wide[per_row[wide] > k]
            extra.append((wide, k))
        del per_row
    key = meter * width + slot
    seen = np.zeros(n_meters * width, dtype=bool)
    seen[key] = True
    cells = len(key)
    for rows, k in extra:
        seen[key[rows] + k] = True
        cells += len(rows)
    if np.count_nonzero(seen) < cells:  # a meter with two readings on one slot: their mean
        key = np.concatenate([key] + [key[rows] + k for rows, k in extra])
        kw = np.concatenate([kw] + [kw[rows] for rows, _ in extra])
        count = np.bincount(key, weights=np.ones(len(key)), minlength=n_meters * width)
        total = np.bincount(key, weights=kw, minlength=n_meters * width)
        key = np.flatnonzero(count)
        kw = total[key] / count[key]
        meter, slot = np.divmod(key, width)
        extra = []
        del count, total
    del seen
    # Each meter's kW on a dense meters x slots grid, then summed over the meters of each
    # building in meter order: the same bits whatever order the database returned the rows in
    # (a sum in reading order would not be, for three meters or more).
    grid = np.zeros(n_meters * width)
    grid[key] = kw
    for rows, k in extra:
        grid[key[rows] + k] = kw[rows]
    del key, kw
    starts = np.flatnonzero(np.r_[True, building[1:] != building[:-1]])
    total = np.add.reduceat(grid.reshape(n_meters, width), starts, axis=0).ravel()
    del grid
    bkey = (building * width)[meter] + slot
    if extra:
        bkey = np.concatenate([bkey] + [bkey[rows] + k for rows, k in extra])
    # meters present per building and slot; float weights: numpy's weighted bincount is several
    # times faster than the plain one (counts are exact either way)
    present = np.bincount(bkey, weights=np.ones(len(bkey)), minlength=len(expected) * width)
    del bkey, extra
    flat = np.flatnonzero(present)
    b, slot = np.divmod(flat, width)
    full = present[flat] == expected[b]
    return b, slot, np.where(full, total[flat], np.nan)


def sum_sparse(
    meter: np.ndarray,
    off: np.ndarray,
    kw: np.ndarray,
    interval: np.ndarray,
    building: np.ndarray,
    expected: np.ndarray,
    slot_len: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same sums for readings at any offset (slower: pandas group-bys).

    ``off``: each reading's time from the start, in units of which a slot is ``slot_len``.
    Returns building codes, offsets (``off``'s unit) and kW, by building and time.
    """
    spread = _spread(interval)[meter]
    rep = np.repeat(np.arange(len(meter)), spread)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(spread) - spread, spread)
    long = pd.DataFrame({"m": meter[rep], "t": off[rep] + k * slot_len, "kw": kw[rep]})
    # sorted by meter: each building's sum adds its meters in meter order, whatever the row order
    per_meter = long.groupby(["m", "t"], sort=True)["kw"].mean().reset_index()
    per_meter["b"] = building[per_meter["m"].to_numpy()]
    by = per_meter.groupby(["b", "t"], sort=True)
    out = by["kw"].sum().where(by["m"].size() == expected[by.size().index.get_level_values(0)])
    return (
        out.index.get_level_values(0).to_numpy(),
        out.index.get_level_values(1).to_numpy(),
        out.to_numpy(np.float64),
    )
