"""Load one month of building demand for the morning-overshoot scan.

:func:`open_month` reads what the scan covers (eligible buildings, their electricity meters,
the blocked days) and :func:`load_demand` loads one chunk of buildings' demand from
``readings`` (platform source) of the eligible electricity meters (``dq_enabled``, account
active, building not archived): building demand in kW per 15-minute slot, naive UTC, ready
for :func:`core.overshoot.detect.building_days`. :func:`load_month` does both for every
building at once (the job loads chunk by chunk, so its memory does not grow with the fleet).

Resolution choice: everything is aggregated on the **15-minute grid**. A 15-minute reading
contributes ``value x 4`` kW to its slot; an hourly reading contributes ``value x 1`` kW (its
hour's average demand) to each of that hour's four 15-minute slots. Mixed buildings (one
15-minute and one hourly meter) therefore sum slot by slot, and a purely hourly building
still has 96 slots a day. Meter intervals must be multiples of 15 minutes up to 60. Two
readings of one meter landing on one slot are averaged.

A slot counts as present only when **every** eligible electricity meter of the building has a
reading for it: a partial sum would understate demand, so a slot missing any meter is NaN
(missing) and lowers the day's completeness instead.

The month is loaded with one day of margin on each side (UTC) so that local days at the
month's edges are complete in every time zone.

Speed and memory: buildings are loaded in chunks of about ``CHUNK_METERS`` meters, one range
query each; the database only filters and numbers the rows (plain SQL: ``DENSE_RANK``, a join,
``?`` placeholders) and the next chunk's query runs in a background thread while numpy works
on the current one. The spreading over slots, the per-meter average and the building sum are
numpy over a dense meters x slots grid of the chunk; each building's meters are added in one
fixed order, so a rerun gives the same bits whatever order the rows came in. Readings off the
15-minute grid (the importer snaps them onto it) take an exact but slower pandas path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.db.base import Database, Transaction
from core.db.duckdb import DuckDBTransaction
from core.overshoot.detect import Params

# Detectors whose open/acknowledged high-severity issues make a morning untrustworthy.
BLOCKING_DETECTORS = ("offline", "flatline", "spike_positive", "spike_negative")
BLOCKING_STATUSES = ("open", "acknowledged")
CHUNK_METERS = 500  # meters loaded and scanned together (whole buildings): bounds memory

_ELIGIBLE = "kind = 'electricity' AND dq_enabled AND account_active AND NOT building_archived"

# Meters numbered by (building, meter); DENSE_RANK gives a meter row listed twice one number,
# so the building still expects two meters (and never gets them), as it always has.
_METER_INDEX = f"""
SELECT meter_id, building_id, interval_minutes,
       DENSE_RANK() OVER (ORDER BY building_id, meter_id) - 1 AS meter_index
FROM meters
WHERE {_ELIGIBLE}
"""

_METERS_SQL = f"SELECT * FROM ({_METER_INDEX}) q ORDER BY meter_index"

_READINGS_SQL = f"""
WITH m AS ({_METER_INDEX})
SELECT m.meter_index, r.ts, r.value
FROM readings r JOIN m ON r.meter_id = m.meter_id
WHERE r.source = 'platform' AND r.ts >= ? AND r.ts < ?
  AND m.meter_index >= ? AND m.meter_index < ?
"""

_BUILDINGS_SQL = f"""
SELECT building_id, min(account_id) AS account_id, min(building_name) AS building_name,
       min(timezone) AS timezone
FROM meters
WHERE {_ELIGIBLE}
GROUP BY building_id
ORDER BY building_id
"""

_ISSUES_SQL = f"""
WITH m AS (SELECT meter_id, building_id FROM meters WHERE {_ELIGIBLE})
SELECT m.building_id, i.start_ts, i.end_ts
FROM dq_issues i JOIN m ON i.meter_id = m.meter_id
WHERE i.kind = 'meter' AND i.severity = 'high'
  AND i.detector IN ({", ".join("?" for _ in BLOCKING_DETECTORS)})
  AND i.status IN ({", ".join("?" for _ in BLOCKING_STATUSES)})
  AND i.start_ts < ? AND (i.end_ts IS NULL OR i.end_ts > ?)
"""

DEMAND_COLUMNS = ["building_id", "ts", "kw", "timezone", "slot_minutes"]


def month_bounds(month: str) -> tuple[date, date]:
    """First day of ``month`` (``YYYY-MM``) and first day of the next month."""
    first = date.fromisoformat(f"{month}-01")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt


@dataclass(frozen=True)
class MonthScope:
    """What a month's scan covers, read in one transaction by :func:`open_month`.

    Attributes
    ----------
    month : str
        ``YYYY-MM``.
    start, end : pd.Timestamp
        The UTC range loaded: the month with one day of margin on each side.
    buildings : pd.DataFrame
        ``building_id``, ``account_id``, ``building_name``, ``timezone`` of every building with
        an eligible electricity meter, by ``building_id``.
    meters : pd.DataFrame
        ``meter_id``, ``building_id``, ``interval_minutes``, ``meter_index``: the eligible
        electricity meters numbered by building, then meter.
    blocked : pd.DataFrame
        ``building_id``, ``day`` (local date): see :func:`blocked_days`.
    """

    month: str
    start: pd.Timestamp
    end: pd.Timestamp
    buildings: pd.DataFrame
    meters: pd.DataFrame
    blocked: pd.DataFrame

    def chunks(
        self, chunk_meters: int = CHUNK_METERS, building_ids: Sequence[str] | None = None
    ) -> list[pd.DataFrame]:
        """The meters in chunks of whole buildings, about ``chunk_meters`` meters each.

        ``building_ids``: only these buildings (default: all).
        """
        meters = self.meters
        if building_ids is not None:
            meters = meters[meters["building_id"].isin(list(building_ids))]
        if meters.empty:
            return []
        bid = meters["building_id"].to_numpy()
        starts = np.flatnonzero(np.r_[True, bid[1:] != bid[:-1]])  # first meter of a building
        cuts = [0]
        for s in starts[1:]:
            if s - cuts[-1] >= chunk_meters:
                cuts.append(int(s))
        cuts.append(len(meters))
        return [meters.iloc[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


def open_month(tx: Transaction, month: str, params: Params | None = None) -> MonthScope:
    """Buildings, meters and blocked days of ``month`` (``YYYY-MM``); see :class:`MonthScope`."""
    p = params or Params()
    first, nxt = month_bounds(month)
    start = pd.Timestamp(first - timedelta(days=1))
    end = pd.Timestamp(nxt + timedelta(days=1))
    buildings = tx.fetch_df(_BUILDINGS_SQL)
    meters = tx.fetch_df(_METERS_SQL)
    issues = tx.fetch_df(_ISSUES_SQL, (*BLOCKING_DETECTORS, *BLOCKING_STATUSES, end, start))
    meters["meter_index"] = meters["meter_index"].astype(np.int64)
    meters["interval_minutes"] = meters["interval_minutes"].astype(np.int64)
    zones = buildings.set_index("building_id")["timezone"].fillna("UTC").astype(str)
    blocked = blocked_days(issues, zones, start, end, p)
    return MonthScope(month, start, end, buildings, meters, blocked)


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
        b, t, kw = _sum_sparse(meter, off, kw, m_interval, codes, rows_per_building, slot_len)
    else:
        del off, rest
        n_slots = (scope.end - scope.start) // pd.Timedelta(minutes=15)
        b, slot, kw = _sum_dense(meter, slot, kw, m_interval, codes, rows_per_building, n_slots)
        t = slot * slot_len
    ts_ns = (start + t.astype(f"timedelta64[{unit}]")).astype("datetime64[ns]").astype(np.int64)
    return _demand_frame(scope, position[b], ts_ns, kw)


def _spread(interval: np.ndarray) -> np.ndarray:
    """Slots a reading covers: the k in 0..3 with k x 15 < interval minutes."""
    return np.clip(-(-interval // 15), 1, 4)


def _sum_dense(
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


def _sum_sparse(
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


def blocked_days(
    issues: pd.DataFrame, zones: pd.Series, start: pd.Timestamp, end: pd.Timestamp, p: Params
) -> pd.DataFrame:
    """Local days whose morning window ``[morning_start_h, morning_end_h)`` overlaps an issue.

    ``issues`` has ``building_id``, ``start_ts``, ``end_ts`` (naive UTC; a NULL end means
    still going, i.e. up to ``end``). Issues are few, so each is expanded to its candidate
    local days and the overlap tested vectorised.
    """
    cols = ["building_id", "day"]
    if issues.empty:
        return pd.DataFrame(columns=cols)
    iss = issues.copy()
    iss["start_ts"] = pd.to_datetime(iss["start_ts"]).astype("datetime64[ns]")
    iss["end_ts"] = pd.to_datetime(iss["end_ts"]).astype("datetime64[ns]").fillna(end)
    iss["tz"] = zones.reindex(iss["building_id"]).fillna("UTC").to_numpy()
    rows = []
    for tz, grp in iss.groupby("tz"):
        lo = grp["start_ts"].dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
        hi = grp["end_ts"].dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
        # candidate days: the local day before the start's through the end's
        first = lo.dt.normalize().to_numpy("datetime64[ns]") - np.timedelta64(1, "D")
        last = hi.dt.normalize().to_numpy("datetime64[ns]")
        n = (last - first) // np.timedelta64(1, "D") + 1
        rep = np.repeat(np.arange(len(grp)), np.maximum(n, 1))  # none: one NaT row, kept
        step = np.arange(len(rep)) - np.repeat(np.cumsum(np.maximum(n, 1)) - np.maximum(n, 1),
                                               np.maximum(n, 1))  # fmt: skip
        day = first[rep] + step.astype("timedelta64[D]")
        g = grp.iloc[rep].assign(day=np.where(n[rep] > 0, day, np.datetime64("NaT", "ns")))
        kw = {"ambiguous": "NaT", "nonexistent": "shift_forward"}
        m0 = (g["day"] + pd.Timedelta(hours=p.morning_start_h)).dt.tz_localize(tz, **kw)
        m1 = (g["day"] + pd.Timedelta(hours=p.morning_end_h)).dt.tz_localize(tz, **kw)
        m0 = m0.dt.tz_convert("UTC").dt.tz_localize(None)
        m1 = m1.dt.tz_convert("UTC").dt.tz_localize(None)
        hit = (g["start_ts"] < m1) & (g["end_ts"] > m0)
        rows.append(g.loc[hit.fillna(True), cols])
    out = pd.concat(rows, ignore_index=True).drop_duplicates(ignore_index=True)
    out["day"] = out["day"].dt.date
    return out
