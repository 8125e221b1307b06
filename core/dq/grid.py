"""Turn a chunk of meters' readings into dense grids, one per (interval, time zone) group."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from core.detectors.base import Grid
from core.sources.embedded import ReadingsBlock

SLOTS_15_PER_DAY = 96


@dataclass(frozen=True)
class Window:
    """The scored UTC day plus the history before it.

    Parameters
    ----------
    day : pd.Timestamp
        Midnight UTC of the scored day (naive).
    history_days : int
        Whole days of history before ``day`` used for baselines.
    """

    day: pd.Timestamp
    history_days: int

    @property
    def start(self) -> pd.Timestamp:
        """First instant loaded."""
        return self.day - pd.Timedelta(days=self.history_days)

    @property
    def end(self) -> pd.Timestamp:
        """First instant after the scored day."""
        return self.day + pd.Timedelta(days=1)


@dataclass(frozen=True)
class GroupFailure:
    """Meters that could not be gridded, with the reason."""

    meter_ids: list[str]
    reason: str


def build_grids(
    meters: pd.DataFrame, block: ReadingsBlock, window: Window
) -> Iterator[tuple[str, Grid] | GroupFailure]:
    """Yield ``(source, grid)`` for each (interval, timezone) group and source, or failures.

    The platform grid holds every meter of the group; the raw grid only meters with at least
    one raw reading, with the platform values as its ``reference``. Meters with a non-finite
    value (inf) are reported as a ``GroupFailure`` and left out rather than poisoning baselines.
    """
    days = window.history_days + 1
    infinite = np.isinf(block.value)
    groups = meters.groupby(["interval_minutes", "timezone"], sort=True).indices
    for (minutes, timezone), rows in groups.items():
        group = meters.iloc[rows]
        if minutes not in (15, 60):
            yield GroupFailure(list(group.meter_id), f"interval_minutes {minutes} is not 15 or 60")
            continue
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            yield GroupFailure(list(group.meter_id), f"unknown timezone {timezone!r}")
            continue
        per_slot = minutes // 15
        n_slots = days * SLOTS_15_PER_DAY // per_slot
        local = np.full(len(meters), -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        mapped = local[block.meter_index]  # each reading's row in the group, -1 = not in it
        take = mapped >= 0
        if infinite.any():
            bad = np.zeros(len(rows), dtype=bool)
            bad[mapped[take & infinite]] = True
            if bad.any():
                yield GroupFailure(list(group.meter_id[bad]), "non-finite (infinite) reading")
                take &= ~bad[np.maximum(mapped, 0)]
                group, rows = group[~bad], rows[~bad]
                local[:] = -1
                local[rows] = np.arange(len(rows))
                mapped = local[block.meter_index]
        # Whole-block views when the group holds every row (no copies); one flat index per
        # reading instead of 2-D fancy indexing; no division for 15-minute grids.
        every = bool(take.all())
        row = mapped if every else mapped[take]
        slot = block.slot15 if every else block.slot15[take]
        if per_slot != 1:
            slot = slot // per_slot
        value = block.value if every else block.value[take]
        raw = block.raw if every else block.raw[take]
        flat = row * n_slots + slot
        platform = np.full((len(rows), n_slots), np.nan)
        if raw.any():
            on_platform = ~raw
            platform.reshape(-1)[flat[on_platform]] = value[on_platform]
        else:
            platform.reshape(-1)[flat] = value
        common = {
            "start": window.start,
            "slot_minutes": int(minutes),
            "timezone": timezone,
            "score_from": window.history_days * SLOTS_15_PER_DAY // per_slot,
        }
        ids = group.meter_id.to_numpy()
        kinds = group.kind.to_numpy()
        yield "platform", Grid(meter_ids=ids, kinds=kinds, values=platform, **common)
        raw_rows = np.unique(row[raw])  # the raw grid holds only meters with a raw feed
        if len(raw_rows):
            raw_grid = np.full((len(raw_rows), n_slots), np.nan)
            raw_grid[np.searchsorted(raw_rows, row[raw]), slot[raw]] = value[raw]
            yield (
                "raw",
                Grid(
                    meter_ids=ids[raw_rows],
                    kinds=kinds[raw_rows],
                    values=raw_grid,
                    reference=platform[raw_rows],
                    **common,
                ),
            )
