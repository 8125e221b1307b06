"""Load building demand for the morning-overshoot scan, one chunk of buildings at a time.

:func:`load_demand` loads one chunk (:meth:`core.overshoot.scope.MonthScope.chunks`) of
buildings' demand from ``readings`` (platform source) of the eligible electricity meters:
building demand in kW per 15-minute slot, naive UTC, ready for
:func:`core.overshoot.detect.building_days` (the sums: :mod:`core.overshoot.slots`).
:func:`iter_demand` loads every chunk in turn; :func:`load_month` opens the month
(:func:`core.overshoot.scope.open_month`) and loads every building at once (the job loads
chunk by chunk, so its memory does not grow with the fleet).

Speed and memory: one range query per chunk; the database only filters and numbers the rows
(plain SQL: ``DENSE_RANK``, a join, ``?`` placeholders) and the next chunk's query runs in a
background thread while numpy works on the current one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from core.db.base import Database, Transaction
from core.db.duckdb import DuckDBTransaction
from core.overshoot.detect import Params
from core.overshoot.scope import CHUNK_METERS, METER_INDEX_SQL, MonthScope, open_month
from core.overshoot.slots import sum_dense, sum_sparse

_READINGS_SQL = f"""
WITH m AS ({METER_INDEX_SQL})
SELECT m.meter_index, r.ts, r.value
FROM readings r JOIN m ON r.meter_id = m.meter_id
WHERE r.source = 'platform' AND r.ts >= ? AND r.ts < ?
  AND m.meter_index >= ? AND m.meter_index < ?
"""

DEMAND_COLUMNS = ["building_id", "ts", "kw", "timezone", "slot_minutes"]


def load_demand(tx: Transaction, scope: MonthScope, meters: pd.DataFrame) -> pd.DataFrame:
    """Demand of the buildings of ``meters`` (a chunk of :meth:`MonthScope.chunks`).

    Returns
    -------
    pd.DataFrame
        ``DEMAND_COLUMNS`` by building, then slot: ``building_id`` and ``timezone`` as
        categoricals (categories: every building / zone of the scope), ``ts`` (naive UTC
        15-minute slot start), ``kw`` (NaN when a meter of the building is missing) and
        ``slot_minutes`` (15). Only slots where at least one meter has a reading.
    """
    return _demand(scope, meters, _fetch(tx, scope, meters))


def _fetch(tx: Transaction, scope: MonthScope, meters: pd.DataFrame) -> dict[str, np.ndarray]:
    """``meter_index``, ``ts``, ``value`` of the chunk's platform readings (one range query).

    On DuckDB the rows come straight into numpy (``fetchnumpy``: no DataFrame in between);
    elsewhere through ``fetch_df``.
    """
    if meters.empty:
        return {"meter_index": np.array([], np.int64), "ts": np.array([], "datetime64[ns]"),
                "value": np.array([], np.float64)}  # fmt: skip
    index = meters["meter_index"].to_numpy(np.int64)
    params = (scope.start, scope.end, int(index.min()), int(index.max()) + 1)
    if isinstance(tx, DuckDBTransaction):
        return tx.con.execute(_READINGS_SQL, list(params)).fetchnumpy()
    rows = tx.fetch_df(_READINGS_SQL, params)
    return {c: rows[c].to_numpy() for c in ("meter_index", "ts", "value")}


def _demand(scope: MonthScope, meters: pd.DataFrame, rows: dict[str, np.ndarray]) -> pd.DataFrame:
    """The chunk's demand frame from its readings (see :func:`load_demand`)."""
    if meters.empty:
        return _empty_demand(scope)
    index = meters["meter_index"].to_numpy(np.int64)
    lo, hi = int(index.min()), int(index.max()) + 1
    # meter rows -> distinct meters (a duplicated meter row shares its number) of the chunk
    first = np.r_[True, index[1:] != index[:-1]]
    m_building = meters["building_id"].to_numpy()[first]
    m_interval = meters["interval_minutes"].to_numpy(np.int64)[first]
    codes, chunk_buildings = pd.factorize(m_building)  # in meter order: by building
    position = pd.Index(scope.buildings["building_id"]).get_indexer(chunk_buildings)
    rows_per_building = np.bincount(
        pd.factorize(meters["building_id"].to_numpy())[0], minlength=len(chunk_buildings)
    )
    meter = np.asarray(rows.pop("meter_index"), dtype=np.int64) - lo  # pop: free early
    ts = np.asarray(rows.pop("ts"))
    value = np.asarray(rows.pop("value"), dtype=np.float64)
    if int(first.sum()) != hi - lo:  # numbers between the chunk's meters: not in the chunk
        meter_at = np.full(hi - lo, -1, dtype=np.int64)
        meter_at[index[first] - lo] = np.arange(int(first.sum()))
        meter = meter_at[meter]
        keep = meter >= 0
        meter, ts, value = meter[keep], ts[keep], value[keep]
    unit = np.datetime_data(ts.dtype)[0] if ts.dtype.kind == "M" else "ns"
    start = np.datetime64(scope.start, unit)
    off = (ts.astype(f"datetime64[{unit}]") - start).astype(np.int64)  # in the column's unit
    del ts
    kw = value * 60.0 / m_interval.astype(np.float64)[meter]
    del value
    slot_len = int(np.timedelta64(15, "m").astype(f"timedelta64[{unit}]").astype(np.int64))
    slot, rest = np.divmod(off, slot_len)
    if rest.any():  # off the 15-minute grid
        del slot, rest
        b, t, kw = sum_sparse(meter, off, kw, m_interval, codes, rows_per_building, slot_len)
    else:
        del off, rest
        n_slots = (scope.end - scope.start) // pd.Timedelta(minutes=15)
        b, slot, kw = sum_dense(meter, slot, kw, m_interval, codes, rows_per_building, n_slots)
        t = slot * slot_len
    ts_ns = (start + t.astype(f"timedelta64[{unit}]")).astype("datetime64[ns]").astype(np.int64)
    return _demand_frame(scope, position[b], ts_ns, kw)


def _demand_frame(
    scope: MonthScope, building: np.ndarray, ts_ns: np.ndarray, kw: np.ndarray
) -> pd.DataFrame:
    """The chunk's rows; ``building``: codes into the scope's ``buildings``."""
    ids = pd.Index(scope.buildings["building_id"])
    zones = scope.buildings["timezone"].fillna("UTC").astype(str).to_numpy()
    zone_names, zone_of = (
        np.unique(zones, return_inverse=True)
        if len(zones)
        else (np.array(["UTC"]), np.array([], dtype=np.int64))
    )
    return pd.DataFrame(
        {
            "building_id": pd.Categorical.from_codes(building, categories=ids),
            "ts": ts_ns.astype("datetime64[ns]"),
            "kw": kw.astype(np.float64),
            "timezone": pd.Categorical.from_codes(zone_of[building], categories=zone_names),
            "slot_minutes": 15,
        }
    )


def _empty_demand(scope: MonthScope) -> pd.DataFrame:
    empty = np.array([], dtype=np.int64)
    return _demand_frame(scope, empty, empty, empty.astype(float))


def iter_demand(
    tx: Transaction,
    scope: MonthScope,
    chunk_meters: int = CHUNK_METERS,
    building_ids: Sequence[str] | None = None,
    prefetch: bool = True,
) -> Iterator[pd.DataFrame]:
    """:func:`load_demand` of each chunk of :meth:`MonthScope.chunks`, in turn.

    While the caller works on one chunk, the next chunk's query runs in a background thread
    (on the same connection and transaction, never two queries at once), so the database and
    the numpy work overlap on two cores. Close the generator (``contextlib.closing``) before
    ``tx`` ends if you stop early: that waits for the query in flight. ``prefetch=False``:
    one chunk after the other, in the caller's thread.
    """
    chunks = scope.chunks(chunk_meters, building_ids)
    if len(chunks) < 2 or not prefetch:
        for meters in chunks:
            yield load_demand(tx, scope, meters)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="overshoot-load") as pool:
        pending = pool.submit(_fetch, tx, scope, chunks[0])
        for i, meters in enumerate(chunks):
            rows = pending.result()
            if i + 1 < len(chunks):
                pending = pool.submit(_fetch, tx, scope, chunks[i + 1])
            demand = _demand(scope, meters, rows)
            del rows
            yield demand


def load_month(
    db: Database,
    month: str,
    params: Params | None = None,
    building_ids: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Demand, blocked days and buildings for ``month`` (``YYYY-MM``), all at once.

    Parameters
    ----------
    building_ids : sequence of str, optional
        Load only these buildings' demand (default: every building). ``blocked`` and
        ``buildings`` always cover every building.

    Returns
    -------
    demand : pd.DataFrame
        ``building_id``, ``ts`` (naive UTC 15-minute slot start), ``kw`` (NaN when a meter of
        the building is missing), ``timezone``, ``slot_minutes`` (15), by building and slot.
    blocked : pd.DataFrame
        ``building_id``, ``day`` (local date): days whose morning window overlaps an open or
        acknowledged high-severity offline/flatline/spike issue on one of the building's
        eligible electricity meters.
    buildings : pd.DataFrame
        ``building_id``, ``account_id``, ``building_name``, ``timezone``.
    """
    with db.transaction() as tx:
        scope = open_month(tx, month, params)
        parts = list(iter_demand(tx, scope, building_ids=building_ids))
    demand = pd.concat(parts, ignore_index=True) if parts else _empty_demand(scope)
    for col in ("building_id", "timezone"):
        demand[col] = demand[col].astype(str)
    return demand[DEMAND_COLUMNS], scope.blocked, scope.buildings
