"""The shared detector signature: a dense fleet grid in, a per-slot finding mask out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

SEVERITIES = ("low", "medium", "high")
# What a detector's findings say (module attribute SCOPE, default "readings"):
# "readings": the flagged readings are wrong (they lower the meter-day score);
# "usage": the readings are real but abnormal consumption (a leak, an unusual day);
# "meter": something about the meter itself, not its readings (its clock).
# Confirmed findings of "readings" and "usage" detectors are left out of every baseline.
SCOPES = ("readings", "usage", "meter")


@dataclass
class Grid:
    """Readings of meters that share one interval length and one time zone.

    Parameters
    ----------
    meter_ids : np.ndarray
        ``(n_meters,)`` meter ids, one per row.
    kinds : np.ndarray
        ``(n_meters,)`` ``"electricity"`` or ``"water"``.
    values : np.ndarray
        ``(n_meters, n_slots)`` float64 consumption per slot in the meter's unit; NaN = missing.
    start : pd.Timestamp
        Naive UTC start of slot 0.
    slot_minutes : int
        Slot length: 15, or 60 for hourly meters.
    timezone : str
        IANA zone of every meter in the grid (baselines follow local time, DST included).
    score_from : int
        First slot of the scored window; slots before it are history for baselines.
    reference : np.ndarray or None
        The other source (platform vs raw) on the same grid, for comparisons; NaN = missing.
    account_ids : np.ndarray or None
        ``(n_meters,)`` account of each meter (the holiday calendar can be per account).
    bidirectional : np.ndarray or None
        ``(n_meters,)`` bool: the meter measures net flow (negative readings are normal).
    excluded : np.ndarray or None
        ``(n_meters, n_slots)`` bool: readings inside findings people confirmed (acknowledged,
        resolved, ignored, muted); baselines leave them out. None = nothing excluded.
    clock : dict of np.ndarray or None
        Import clock statistics per meter and UTC day of the grid (``(n_meters, n_days)``
        arrays ``readings``, ``off_grid``, ``late``, ``early``, ``median_offset_s``; day 0
        starts at ``start``). None = unknown (readings not imported through the importer).
    holidays : object or None
        A ``core.detectors._calendar.Calendar``; None = no holidays.
    """

    meter_ids: np.ndarray
    kinds: np.ndarray
    values: np.ndarray
    start: pd.Timestamp
    slot_minutes: int
    timezone: str
    score_from: int = 0
    reference: np.ndarray | None = None
    account_ids: np.ndarray | None = None
    bidirectional: np.ndarray | None = None
    excluded: np.ndarray | None = None
    clock: dict[str, np.ndarray] | None = None
    holidays: Any = None
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_meters(self) -> int:
        """Number of meters (rows)."""
        return self.values.shape[0]

    @property
    def n_slots(self) -> int:
        """Number of slots (columns)."""
        return self.values.shape[1]

    @property
    def slots_per_hour(self) -> int:
        """Slots in one hour (4 for 15-minute meters, 1 for hourly)."""
        return 60 // self.slot_minutes

    def hours_to_slots(self, hours: float) -> int:
        """Convert a duration in hours to a whole number of slots (at least 1)."""
        return max(1, round(hours * self.slots_per_hour))

    def times(self) -> pd.DatetimeIndex:
        """Naive UTC start time of every slot."""
        return pd.date_range(self.start, periods=self.n_slots, freq=f"{self.slot_minutes}min")

    def local_times(self) -> pd.DatetimeIndex:
        """Local (``timezone``) start time of every slot, cached."""
        if "local_times" not in self.cache:
            self.cache["local_times"] = self.times().tz_localize("UTC").tz_convert(self.timezone)
        return self.cache["local_times"]

    @property
    def slots_per_day(self) -> int:
        """Slots in one (24-hour) day."""
        return 1440 // self.slot_minutes

    def is_bidirectional(self) -> np.ndarray:
        """``(n_meters,)`` bool, False where unknown."""
        if self.bidirectional is None:
            return np.zeros(self.n_meters, dtype=bool)
        return np.asarray(self.bidirectional, dtype=bool)

    def subset(self, rows: np.ndarray) -> Grid:
        """A grid with only ``rows`` (an index or boolean array), sharing nothing mutable."""

        def pick(array: np.ndarray | None) -> np.ndarray | None:
            return None if array is None else array[rows]

        return Grid(
            meter_ids=self.meter_ids[rows],
            kinds=self.kinds[rows],
            values=self.values[rows],
            start=self.start,
            slot_minutes=self.slot_minutes,
            timezone=self.timezone,
            score_from=self.score_from,
            reference=pick(self.reference),
            account_ids=pick(self.account_ids),
            bidirectional=pick(self.bidirectional),
            excluded=pick(self.excluded),
            clock=None if self.clock is None else {k: v[rows] for k, v in self.clock.items()},
            holidays=self.holidays,
        )


@dataclass(frozen=True)
class Detection:
    """What a detector found, per slot.

    Parameters
    ----------
    mask : np.ndarray
        ``(n_meters, n_slots)`` bool; True where the slot is part of a finding. Contiguous True
        slots of one meter form one finding (event).
    magnitude : np.ndarray
        ``(n_meters, n_slots)`` float; each slot's contribution to its event's magnitude, which
        is the sum over the event's slots (unit: the module's ``MAGNITUDE_UNIT``).
    """

    mask: np.ndarray
    magnitude: np.ndarray

    @classmethod
    def empty(cls, grid: Grid) -> Detection:
        """No finding anywhere on ``grid``."""
        shape = (grid.n_meters, grid.n_slots)
        return cls(np.zeros(shape, dtype=bool), np.zeros(shape))


class DetectorModule(Protocol):
    """What every module in core/detectors provides (see core/detectors/_example.py).

    A module may also set ``SCOPE`` (one of ``SCOPES``; default ``"readings"``).
    """

    NAME: str
    MAGNITUDE_UNIT: str
    SOURCES: tuple[str, ...]
    Params: type

    def detect(self, grid: Grid, params: Any) -> Detection:
        """Find problems across the whole grid, vectorised over meters."""

    def severity(self, hours: np.ndarray, magnitude: np.ndarray, params: Any) -> np.ndarray:
        """Grade events (arrays of duration in hours and magnitude) as low/medium/high."""


def grade(values: np.ndarray, medium: float, high: float) -> np.ndarray:
    """Map values to ``low``/``medium``/``high`` by two thresholds (inclusive)."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, "low", dtype=object)
    out[values >= medium] = "medium"
    out[values >= high] = "high"
    return out


def scope(module: object) -> str:
    """A detector module's ``SCOPE`` (``"readings"`` when it does not set one)."""
    value = getattr(module, "SCOPE", "readings")
    if value not in SCOPES:
        raise ValueError(f"{getattr(module, 'NAME', module)}: SCOPE {value!r} not in {SCOPES}")
    return value
