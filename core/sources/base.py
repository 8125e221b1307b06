"""Readings of a chunk of meters as flat arrays (``ReadingsBlock``), and the sources' errors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import redaction
from core.errors import SourceError

SLOT_SECONDS = 900  # readings are addressed on the 15-minute grid; hourly meters use every 4th


class SourceUnavailableError(SourceError):
    """A readings source could not be reached (refused, timed out after retries, 5xx).

    Parameters
    ----------
    source : str
        The source's label: kind and URL, password redacted (``influxdb http://h:8086/db``).
    reason : str
        What failed, with the attempts made.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


@dataclass(frozen=True)
class ReadingsBlock:
    """Readings of a chunk of meters as flat arrays (no per-row Python objects).

    Attributes
    ----------
    meter_index : np.ndarray
        Row of the meter in the chunk (int32).
    slot15 : np.ndarray
        15-minute slot index from the window start (int64).
    value : np.ndarray
        Consumption (float64).
    raw : np.ndarray
        True for rows of the raw feed, False for the platform's.
    """

    meter_index: np.ndarray
    slot15: np.ndarray
    value: np.ndarray
    raw: np.ndarray

    def __len__(self) -> int:
        return len(self.value)

    @classmethod
    def empty(cls) -> ReadingsBlock:
        """A block without readings."""
        return cls(
            meter_index=np.empty(0, dtype=np.int32),
            slot15=np.empty(0, dtype=np.int64),
            value=np.empty(0, dtype=np.float64),
            raw=np.empty(0, dtype=bool),
        )

    @classmethod
    def concat(cls, blocks: list[ReadingsBlock]) -> ReadingsBlock:
        """One block holding every row of ``blocks`` in order (a later row wins a slot)."""
        blocks = [b for b in blocks if len(b)]
        if not blocks:
            return cls.empty()
        if len(blocks) == 1:
            return blocks[0]
        return cls(
            meter_index=np.concatenate([b.meter_index for b in blocks]),
            slot15=np.concatenate([b.slot15 for b in blocks]),
            value=np.concatenate([b.value for b in blocks]),
            raw=np.concatenate([b.raw for b in blocks]),
        )


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and logs."""
    return redaction.redact(url, [url])


def positions(meter_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Row of each of ``ids`` in the chunk ``meter_ids`` (int64), -1 for ids not in it.

    A hash lookup in C (``pd.Index.get_indexer``), not a Python comparison per row.
    """
    return pd.Index(meter_ids).get_indexer(pd.Index(ids))


def block_from_arrays(
    meter_index: np.ndarray,
    epoch_s: np.ndarray,
    value: np.ndarray,
    start: pd.Timestamp,
    end: pd.Timestamp,
    raw: bool,
) -> ReadingsBlock:
    """Map flat rows (meter row, epoch seconds, value) onto the 15-minute grid of the window.

    Rows with ``meter_index`` -1 (not in the chunk), outside ``[start, end)`` or with a NaN
    value are dropped. A timestamp inside a slot lands in that slot (floor), like the embedded
    source's.

    Parameters
    ----------
    meter_index : np.ndarray
        Row of each reading's meter in the chunk (see :func:`positions`), -1 = not in it.
    epoch_s : np.ndarray
        Seconds since 1970-01-01 UTC of each reading (int64).
    value : np.ndarray
        Each reading (float64).
    raw : bool
        Whether the rows are the raw feed.
    """
    meter_index = np.asarray(meter_index, dtype=np.int64)
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    value = np.asarray(value, dtype=np.float64)
    t0 = epoch_seconds(start)
    t1 = epoch_seconds(end)
    keep = (meter_index >= 0) & (epoch_s >= t0) & (epoch_s < t1) & ~np.isnan(value)
    return ReadingsBlock(
        meter_index=meter_index[keep].astype(np.int32),
        slot15=(epoch_s[keep] - t0) // SLOT_SECONDS,
        value=value[keep],
        raw=np.full(int(keep.sum()), raw, dtype=bool),
    )


def epoch_seconds(ts: pd.Timestamp) -> int:
    """Whole seconds since the epoch of a naive-UTC (or aware) timestamp."""
    ts = pd.Timestamp(ts)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.value // 1_000_000_000)
