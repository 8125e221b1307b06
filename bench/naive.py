"""The naive baseline: the same 8 detectors written the obvious way, a pandas loop per meter.

What a data scientist would write in a notebook before vectorising: load the readings with
pandas, then per meter build a Series on the full 15-minute index, compute the time-of-week
median profile with ``groupby``, resolution/floor/high with ``Series.quantile``, and find
runs with ``groupby((mask != mask.shift()).cumsum())``. Thresholds and rules follow the
vectorised detectors' default ``Params`` (core/detectors/*), so both do the same work; this
file is not deliberately slow, only unvectorised across meters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

SLOT = pd.Timedelta(minutes=15)


@dataclass(frozen=True)
class NaiveResult:
    """Timing and findings of a naive run over a sample of meters."""

    meters: int
    days: int
    load_seconds: float
    detect_seconds: float
    events: pd.DataFrame

    @property
    def meter_days_per_second(self) -> float:
        """Throughput including the pandas load."""
        return self.meters * self.days / (self.load_seconds + self.detect_seconds)


def _runs(mask: pd.Series) -> pd.DataFrame:
    """Contiguous True runs of a bool Series: ``start``/``stop`` positions (stop exclusive)."""
    mask = mask.fillna(False).astype(bool)
    ids = (mask != mask.shift()).cumsum()
    pos = pd.Series(np.arange(len(mask)), index=mask.index)
    g = pos[mask].groupby(ids[mask])
    out = pd.DataFrame({"start": g.min(), "stop": g.max() + 1})
    out["length"] = out.stop - out.start
    return out.reset_index(drop=True)


def _q(s: pd.Series, q: float) -> float:
    s = s.dropna()
    return float(s.quantile(q, interpolation="nearest")) if len(s) else np.nan


def _baseline(s: pd.Series, tz: str) -> dict:
    """Expected time-of-week profile, resolution, floor, high and scale of one meter."""
    local = s.index.tz_localize("UTC").tz_convert(tz)
    weekend = pd.Series(local.dayofweek >= 5, index=s.index)
    sod = pd.Series(local.hour * 4 + local.minute // 15, index=s.index)
    by_week = s.groupby([weekend, sod])
    expected = by_week.transform("median")
    thin = by_week.transform("count") < 3
    if thin.any():
        expected = expected.where(~thin, s.groupby(sod).transform("median"))
    expected = expected.fillna(s.median())
    steps = s.diff().abs()
    res = _q(steps[steps > 1e-9], 0.10)
    res = 1.0 if np.isnan(res) else res
    floor, high = _q(s, 0.05), _q(s, 0.99)
    scale = max(1.4826 * _q((s - expected).abs(), 0.5), res)
    return {"expected": expected, "res": res, "floor": floor, "high": high, "scale": scale}


def _band(b: dict, resolutions: float, fraction: float) -> float:
    spread = 0.0 if np.isnan(b["high"] - b["floor"]) else b["high"] - b["floor"]
    return b["floor"] + max(resolutions * b["res"], fraction * spread)


def _spikes(extent: pd.Series, core: pd.Series, max_slots: int) -> pd.DataFrame:
    runs = _runs(extent | core)
    runs = runs[runs.length <= max_slots]
    has_core = [core.iloc[a:b].any() for a, b in zip(runs.start, runs.stop, strict=True)]
    return runs[np.asarray(has_core, dtype=bool)]


def detect_meter(s: pd.Series, raw: pd.Series | None, tz: str, kind: str) -> dict:
    """Run the 8 detectors on one meter's Series (full slot index, NaN = missing).

    Returns
    -------
    dict
        detector name -> DataFrame of runs (start, stop positions).
    """
    b = _baseline(s, tz)
    e, n = b["expected"], len(s)
    out = {}
    gaps = _runs(s.isna())
    trailing = (gaps.stop == n) & ((gaps.length >= 16) | (gaps.start == 0))
    out["offline"], out["missing_data"] = gaps[trailing], gaps[~trailing]

    repeat = s.eq(s.shift()) & (s != 0)
    flat = _runs(repeat)
    flat["start"] -= 1
    flat["length"] += 1
    keep = []
    for a, z, length in zip(flat.start, flat.stop, flat.length, strict=True):
        seg = e.iloc[a:z]
        varies = seg.max() - seg.min() >= 3 * b["res"]
        above = s.iloc[a] > _band(b, 2.0, 0.1)
        keep.append(length >= 16 and ((varies and above) or length >= 288))
    out["flatline"] = flat[np.asarray(keep, dtype=bool)]

    zeros = _runs(s == 0)
    zeros = zeros[zeros.length >= (192 if kind == "water" else 8)]
    active = e > b["res"]
    share = np.array(
        [active.iloc[a:z].mean() for a, z in zip(zeros.start, zeros.stop, strict=True)]
    )
    keep = (share >= 0.5) | ((zeros.length.to_numpy() >= 480) & (share >= 0.1))
    out["zero_run"] = zeros[keep] if len(zeros) else zeros

    out["negative_value"] = _runs(s < 0)

    base = np.fmax(e, b["res"])
    excess, sc = s - e, b["scale"]
    core = (excess > 8 * sc) & (s > 3 * base) & (s > b["high"] + 2 * sc)
    extent = (excess > 3 * sc) & (s > 1.5 * base)
    out["spike_positive"] = _spikes(extent, core, 8)

    substantial = (e >= 3 * b["res"]) & (e > _band(b, 2.0, 0.2))
    core = substantial & (s > 0) & (s < 0.2 * e) & (e - s > 4 * sc)
    out["spike_negative"] = _spikes(s < 0.5 * e, core, 8)

    if raw is not None:
        rb = _baseline(raw, tz)
        diff = (raw - s).abs()
        tol = np.maximum(2 * max(b["res"], rb["res"]), 0.1 * np.fmax(raw.abs(), s.abs()))
        mism = _runs(diff > tol)
        out["raw_platform_mismatch"] = mism[mism.length >= 4]
    return out


def run(path: str, first: str, last: str, start: pd.Timestamp, days: int) -> NaiveResult:
    """Load meters ``first``..``last`` of the window from DuckDB and detect meter by meter.

    Parameters
    ----------
    path : str
        DuckDB warehouse file.
    first, last : str
        Meter id range (inclusive) of the sample.
    start : pd.Timestamp
        Window start (midnight UTC); the last of ``days`` days is the scored day.
    days : int
        Days in the window (history + scored day).
    """
    end = start + pd.Timedelta(days=days)
    t0 = time.perf_counter()
    con = duckdb.connect(path, read_only=True)
    try:
        meters = con.execute(
            "SELECT meter_id, kind, timezone FROM meters WHERE meter_id BETWEEN ? AND ?",
            [first, last],
        ).df()
        readings = con.execute(
            "SELECT meter_id, ts, value, source FROM readings "
            "WHERE meter_id BETWEEN ? AND ? AND ts >= ? AND ts < ?",
            [first, last, start, end],
        ).df()
    finally:
        con.close()
    t1 = time.perf_counter()
    index = pd.date_range(start, end, freq=SLOT, inclusive="left")
    score_from = (days - 1) * 96
    by_meter = dict(tuple(readings.groupby("meter_id")))
    events = []
    for m in meters.itertuples():
        rows = by_meter.get(m.meter_id, readings.iloc[:0])
        plat = rows[rows.source == "platform"].set_index("ts").value.reindex(index)
        raw_rows = rows[rows.source == "raw"]
        raw = raw_rows.set_index("ts").value.reindex(index) if len(raw_rows) else None
        for name, found in detect_meter(plat, raw, m.timezone, m.kind).items():
            for a, z in zip(found.start, found.stop, strict=True):
                if z > score_from:
                    events.append((m.meter_id, name, index[a], index[a] + (z - a) * SLOT))
    t2 = time.perf_counter()
    frame = pd.DataFrame(events, columns=["meter_id", "detector", "start_ts", "end_ts"])
    return NaiveResult(len(meters), days, t1 - t0, t2 - t1, frame)
