"""Embedded readings source: the ``meters`` and ``readings`` tables of the warehouse itself."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.db.base import Database
from core.db.duckdb import DuckDBDatabase
from core.sources.base import SLOT_SECONDS, ReadingsBlock, block_from_arrays, positions, redact

__all__ = ["ELIGIBLE_SQL", "EmbeddedSource", "ReadingsBlock"]

ELIGIBLE_SQL = """
SELECT meter_id, building_id, account_id, kind, unit, timezone, interval_minutes
FROM meters
WHERE dq_enabled AND account_active AND NOT building_archived
ORDER BY meter_id
"""

FEEDS = ("platform", "raw")  # values of readings.source


class EmbeddedSource:
    """Meters and readings stored in the warehouse itself (the embedded default).

    Parameters
    ----------
    db : Database
        The warehouse. A DuckDB warehouse is read with one zero-copy scan per chunk; any other
        engine with plain, parameterised SQL.
    feeds : tuple of str
        Which ``readings.source`` values to load: both (default), or only ``platform`` or
        ``raw`` when the other feed comes from another source.
    """

    def __init__(self, db: Database, feeds: tuple[str, ...] = FEEDS) -> None:
        unknown = set(feeds) - set(FEEDS)
        if unknown or not feeds:
            raise ValueError(f"Unknown feeds {sorted(unknown)}; expected some of {FEEDS}")
        self.db = db
        self.feeds = tuple(f for f in FEEDS if f in feeds)
        self.label = f"embedded readings table of {redact(db.url)}"

    def eligible_meters(self) -> pd.DataFrame:
        """Meters the DQ job scores: dq_enabled, account active, building not archived."""
        return self.db.fetch_df(ELIGIBLE_SQL)

    def load(self, meter_ids: np.ndarray, start: pd.Timestamp, end: pd.Timestamp) -> ReadingsBlock:
        """Readings of ``meter_ids`` (sorted) in ``[start, end)``, its feeds, in one scan.

        The meter-id range predicate lets the engine skip row groups of other meters (readings
        are stored roughly in meter order), so chunked loading does not rescan the whole table.
        """
        if len(meter_ids) == 0:
            return ReadingsBlock.empty()
        if isinstance(self.db, DuckDBDatabase):
            return self._load_duckdb(meter_ids, start, end)
        return self._load_portable(meter_ids, start, end)

    def _feed_filter(self) -> tuple[str, list[str]]:
        if len(self.feeds) == len(FEEDS):
            return "", []
        return " AND r.source = ?", [self.feeds[0]]

    def _load_duckdb(
        self, meter_ids: np.ndarray, start: pd.Timestamp, end: pd.Timestamp
    ) -> ReadingsBlock:
        chunk = pd.DataFrame(
            {"meter_id": meter_ids, "idx": np.arange(len(meter_ids), dtype=np.int32)}
        )
        feed_sql, feed_params = self._feed_filter()
        with self.db.cursor() as con:
            con.register("_chunk", chunk)
            arrays = con.execute(
                f"""
                SELECT c.idx AS meter_index,
                       (epoch(r.ts) - epoch(?::TIMESTAMP))::BIGINT // ? AS slot15,
                       r.value, r.source = 'raw' AS raw
                FROM readings r JOIN _chunk c ON r.meter_id = c.meter_id
                WHERE r.meter_id BETWEEN ? AND ? AND r.ts >= ? AND r.ts < ?{feed_sql}
                """,
                [start, SLOT_SECONDS, meter_ids[0], meter_ids[-1], start, end, *feed_params],
            ).fetchnumpy()
        return ReadingsBlock(
            meter_index=np.asarray(arrays["meter_index"], dtype=np.int32),
            slot15=np.asarray(arrays["slot15"], dtype=np.int64),
            value=np.asarray(arrays["value"], dtype=np.float64),
            raw=np.asarray(arrays["raw"], dtype=bool),
        )

    def _load_portable(
        self, meter_ids: np.ndarray, start: pd.Timestamp, end: pd.Timestamp
    ) -> ReadingsBlock:
        """Plain SQL for any engine: the id range in SQL, the chunk's ids and slots in numpy."""
        feed_sql, feed_params = self._feed_filter()
        rows = self.db.fetch_df(
            "SELECT r.meter_id, r.ts, r.value, r.source FROM readings r "
            f"WHERE r.meter_id BETWEEN ? AND ? AND r.ts >= ? AND r.ts < ?{feed_sql}",
            [str(meter_ids[0]), str(meter_ids[-1]), _naive(start), _naive(end), *feed_params],
        )
        if rows.empty:
            return ReadingsBlock.empty()
        ts = pd.to_datetime(rows["ts"])
        if ts.dt.tz is not None:
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        epoch_s = ts.to_numpy("datetime64[s]").astype(np.int64)
        index = positions(meter_ids, rows["meter_id"].to_numpy())
        value = rows["value"].to_numpy(dtype=np.float64)
        raw = (rows["source"] == "raw").to_numpy()
        return ReadingsBlock.concat(
            [
                block_from_arrays(
                    np.where(raw == is_raw, index, -1), epoch_s, value, start, end, raw=is_raw
                )
                for is_raw in (False, True)
            ]
        )


def _naive(ts: pd.Timestamp) -> object:
    """A naive-UTC ``datetime`` every driver binds (the warehouse stores naive UTC)."""
    ts = pd.Timestamp(ts)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()
