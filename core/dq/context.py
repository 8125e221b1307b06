"""What the DQ job knows beyond the readings: people's verdicts, mutes, clocks, meter options.

Loaded once per run (a few small queries, not one per chunk) and attached to every grid:

* confirmed findings (``acknowledged``, ``resolved``, ``ignored`` by a person, or ``muted``)
  of detectors whose findings are about readings or usage: their readings are left out of
  every baseline (``Grid.excluded``); ``not_an_issue`` windows stay in (they were normal);
* the import's clock statistics per meter-day (``Grid.clock``, for ``clock_drift`` and for
  explaining gaps left by readings too far off the slot grid);
* ``bidirectional`` meters (``meter_options``), the account of each meter and the holiday
  calendar (``DQ_HOLIDAYS``);
* the mutes active on the scored day (applied by :func:`core.dq.postprocess.apply_mutes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core import config
from core.db.base import Database
from core.detectors import REGISTRY
from core.detectors._calendar import Calendar
from core.detectors.base import Grid, scope
from core.dq import events as ev
from core.dq.grid import Window

CONFIRMED = ("acknowledged", "resolved", "ignored", "muted")
SYSTEM = "system"
CLOCK_FIELDS = ("readings", "off_grid", "late", "early", "median_offset_s")
_ID_BATCH = 500


@dataclass
class Context:
    """Per-run facts the detectors and post-processing use besides the readings.

    Attributes
    ----------
    window : Window
        The scored day and its history.
    confirmed : pd.DataFrame
        ``meter_id, source, start_ts, end_ts`` of confirmed findings overlapping the window.
    clock : pd.DataFrame
        ``meter_id, day`` and ``CLOCK_FIELDS`` of platform meter-days with any reading off
        the boundary (the others are all zero, as on the grids).
    bidirectional : frozenset of str
        Meters marked bidirectional.
    mutes : pd.DataFrame
        ``meter_id, detector, until_day, reason, created_by`` of mutes active on the day.
    holidays : Calendar
        ``DQ_HOLIDAYS``.
    """

    window: Window
    confirmed: pd.DataFrame = field(default_factory=pd.DataFrame)
    clock: pd.DataFrame = field(default_factory=pd.DataFrame)
    bidirectional: frozenset[str] = frozenset()
    mutes: pd.DataFrame = field(default_factory=pd.DataFrame)
    holidays: Calendar = field(default_factory=Calendar)

    def attach(self, grid: Grid, source: str, accounts: pd.Series) -> Grid:
        """``grid`` with its ``excluded``, ``clock``, ``bidirectional``, accounts and holidays.

        Parameters
        ----------
        accounts : pd.Series
            ``meter_id -> account_id`` of the chunk's meters.
        """
        ids = pd.Index(grid.meter_ids)
        confirmed = self.confirmed
        if len(confirmed):
            confirmed = confirmed[confirmed["source"] == source]
        excluded = None
        if len(confirmed) and ids.isin(confirmed["meter_id"]).any():
            excluded = ev.paint(grid, confirmed)
            if not excluded.any():
                excluded = None
        return replace(
            grid,
            account_ids=accounts.reindex(grid.meter_ids).to_numpy(dtype=object),
            bidirectional=ids.isin(list(self.bidirectional)) if self.bidirectional else None,
            excluded=excluded,
            clock=self._clock(grid) if source == "platform" else None,
            holidays=self.holidays if self.holidays else None,
            cache={},
        )

    def _clock(self, grid: Grid) -> dict[str, np.ndarray] | None:
        """``grid.clock`` arrays: per meter row and UTC day of the window (zeros: on time)."""
        if self.clock.empty:
            return None
        n_days = -(-grid.n_slots // grid.slots_per_day)
        out = {f: np.zeros((grid.n_meters, n_days)) for f in CLOCK_FIELDS}
        rows = pd.Index(grid.meter_ids).get_indexer(self.clock["meter_id"])
        day = ((pd.to_datetime(self.clock["day"]) - grid.start) // pd.Timedelta(days=1)).to_numpy()
        keep = (rows >= 0) & (day >= 0) & (day < n_days)
        if not keep.any():
            return None
        for f in CLOCK_FIELDS:
            out[f][rows[keep], day[keep]] = self.clock[f].to_numpy(dtype=float)[keep]
        return out

    def off_grid_on(self, day: pd.Timestamp) -> pd.Series:
        """``meter_id -> readings skipped as off the grid`` on UTC ``day`` (platform)."""
        if self.clock.empty:
            return pd.Series(dtype=float)
        on_day = self.clock[pd.to_datetime(self.clock["day"]) == day]
        on_day = on_day[on_day["off_grid"] > 0]
        return on_day.set_index("meter_id")["off_grid"].astype(float)


def _reading_detectors() -> list[str]:
    return [name for name, module in REGISTRY.items() if scope(module) != "meter"]


def load(db: Database, window: Window, meter_ids: Sequence[str] | None = None) -> Context:
    """Read the run's context from the warehouse (``meter_ids``: only these meters).

    Every query is bounded by the window; with ``meter_ids`` (the sandbox's one meter) also
    by meter.
    """
    ctx = Context(window=window, holidays=Calendar.parse(config.get("DQ_HOLIDAYS")))
    detectors = _reading_detectors()
    marks = ", ".join("?" for _ in detectors)
    statuses = ", ".join("?" for _ in CONFIRMED)
    ctx.confirmed = _fetch(
        db,
        "SELECT meter_id, source, start_ts, end_ts FROM dq_issues WHERE kind = 'meter' "
        f"AND detector IN ({marks}) AND status IN ({statuses}) "
        "AND (status_by <> ? OR status = 'muted') AND end_ts > ? AND start_ts < ?",
        [*detectors, *CONFIRMED, SYSTEM, window.start, window.end],
        meter_ids,
    )
    ctx.clock = _fetch(
        db,
        "SELECT meter_id, day, readings, off_grid, late, early, median_offset_s "
        "FROM meter_clock_days WHERE source = 'platform' AND day >= ? AND day < ? "
        "AND late + early + off_grid > 0",
        [window.start.date(), window.end.date()],
        meter_ids,
    )
    options = _fetch(db, "SELECT meter_id FROM meter_options WHERE bidirectional", [], meter_ids)
    ctx.bidirectional = frozenset(options["meter_id"]) if len(options) else frozenset()
    ctx.mutes = _fetch(
        db,
        "SELECT meter_id, detector, until_day, reason, created_by FROM dq_mutes "
        "WHERE ended_at IS NULL AND until_day >= ?",
        [window.day.date()],
        meter_ids,
    )
    return ctx


def _fetch(db: Database, sql: str, params: list, meter_ids: Sequence[str] | None) -> pd.DataFrame:
    """``sql`` once, or per batch of ``meter_ids`` with ``AND meter_id IN (...)`` appended."""
    if meter_ids is None:
        return db.fetch_df(sql, params)
    frames = []
    ids = list(meter_ids)
    for i in range(0, len(ids), _ID_BATCH):
        batch = ids[i : i + _ID_BATCH]
        where = " AND " if " WHERE " in sql else " WHERE "
        frames.append(
            db.fetch_df(
                f"{sql}{where}meter_id IN ({', '.join('?' for _ in batch)})", [*params, *batch]
            )  # fmt: skip
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
