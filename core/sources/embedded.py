"""Embedded readings source: the ``meters`` and ``readings`` tables of a DuckDB warehouse."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.db.duckdb import DuckDBDatabase

ELIGIBLE_SQL = """
SELECT meter_id, building_id, account_id, kind, unit, timezone, interval_minutes
FROM meters
WHERE dq_enabled AND account_active AND NOT building_archived
ORDER BY meter_id
"""

_SLOT_SECONDS = 900  # readings are addressed on the 15-minute grid; hourly meters use every 4th


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
        True for ``source = 'raw'`` rows.
    """

    meter_index: np.ndarray
    slot15: np.ndarray
    value: np.ndarray
    raw: np.ndarray


class EmbeddedSource:
    """Meters and readings stored in the warehouse itself (the embedded default)."""

    def __init__(self, db: DuckDBDatabase) -> None:
        self.db = db

    def eligible_meters(self) -> pd.DataFrame:
        """Meters the DQ job scores: dq_enabled, account active, building not archived."""
        return self.db.fetch_df(ELIGIBLE_SQL)

    def load(self, meter_ids: np.ndarray, start: pd.Timestamp, end: pd.Timestamp) -> ReadingsBlock:
        """Readings of ``meter_ids`` (sorted) in ``[start, end)``, both sources, in one scan.

        The meter-id range predicate lets DuckDB skip row groups of other meters (readings are
        stored roughly in meter order), so chunked loading does not rescan the whole table.
        """
        chunk = pd.DataFrame(
            {"meter_id": meter_ids, "idx": np.arange(len(meter_ids), dtype=np.int32)}
        )
        con = self.db.connect(read_only=False)
        try:
            con.register("_chunk", chunk)
            arrays = con.execute(
                """
                SELECT c.idx AS meter_index,
                       (epoch(r.ts) - epoch(?::TIMESTAMP))::BIGINT // ? AS slot15,
                       r.value, r.source = 'raw' AS raw
                FROM readings r JOIN _chunk c ON r.meter_id = c.meter_id
                WHERE r.meter_id BETWEEN ? AND ? AND r.ts >= ? AND r.ts < ?
                """,
                [start, _SLOT_SECONDS, meter_ids[0], meter_ids[-1], start, end],
            ).fetchnumpy()
        finally:
            con.close()
        return ReadingsBlock(
            meter_index=np.asarray(arrays["meter_index"], dtype=np.int32),
            slot15=np.asarray(arrays["slot15"], dtype=np.int64),
            value=np.asarray(arrays["value"], dtype=np.float64),
            raw=np.asarray(arrays["raw"], dtype=bool),
        )
