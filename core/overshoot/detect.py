"""Morning-overshoot detection: building-day statistics and monthly AFDD fault rows.

Pure computation (no database, no Streamlit). ``building_days`` turns a long frame of
building demand (kW per slot, naive UTC) into one row per building and local day;
``faults`` turns those days into one row per building and month that meets the criteria.
Everything is vectorised over buildings x days x slots: the only Python loop is over the
distinct time zones (to convert UTC to local wall-clock time, DST included).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_NS_PER_MIN = 60 * 10**9


@dataclass(frozen=True)
class Params:
    """Settings of the morning-overshoot scan (defaults from issue 5's Definitions).

    Attributes
    ----------
    morning_start_h, morning_end_h : float
        Morning window [start, end) in local hours (04:00-11:00): where the startup peak is.
    plateau_start_h, plateau_end_h : float
        Plateau window [start, end) in local hours (11:00-16:00): its median is the
        building's normal occupied demand.
    night_end_h : float
        Night window is [00:00, night_end_h); its median is the unoccupied level used for
        the startup time.
    min_ratio : float
        The morning peak must exceed the plateau median by at least this fraction (10%).
    floor_kw, floor_peak_fraction : float
        ... and by at least ``max(floor_kw, floor_peak_fraction * month peak)`` kW
        (5 kW, 2%), where the month peak is the highest daily peak of the building's valid
        days (complete and not blocked, weekends included) in that local month.
    min_complete : float
        A day counts only if at least this share of its expected slots is present (0.90).
        Expected slots follow the local day length (23 h / 25 h on DST days).
    min_days : int
        A month with at least this many overshoot days is a fault (3).
    top_fraction : float
        ... or with one overshoot day whose morning peak is in the top ``top_fraction`` of
        the month's daily peaks (0.15): ``morning_peak_kw >= quantile(daily peaks of the
        building's counted days in the month, 1 - top_fraction)`` (linear interpolation).
    demand_rate_per_kw : float
        Demand charge in $/kW per month; est. cost = worst excess kW x this rate.
    default_slot_minutes : int
        Slot length used for a building whose slot length cannot be inferred (one reading).
    """

    morning_start_h: float = 4.0
    morning_end_h: float = 11.0
    plateau_start_h: float = 11.0
    plateau_end_h: float = 16.0
    night_end_h: float = 4.0
    min_ratio: float = 0.10
    floor_kw: float = 5.0
    floor_peak_fraction: float = 0.02
    min_complete: float = 0.90
    min_days: int = 3
    top_fraction: float = 0.15
    demand_rate_per_kw: float = 15.0
    default_slot_minutes: int = 15

    @classmethod
    def from_settings(cls) -> Params:
        """The defaults as configured (``DQ_OVERSHOOT_*``, ``DQ_DEMAND_RATE_PER_KW``).

        Raises
        ------
        ConfigError
            If a window is not ``HH:MM-HH:MM`` with start before end, or a share is above 1.
        """
        from core import config

        m0, m1 = _window("DQ_OVERSHOOT_MORNING_HOURS", config.get("DQ_OVERSHOOT_MORNING_HOURS"))
        p0, p1 = _window("DQ_OVERSHOOT_PLATEAU_HOURS", config.get("DQ_OVERSHOOT_PLATEAU_HOURS"))
        shares = {
            name: config.get(name)
            for name in (
                "DQ_OVERSHOOT_FLOOR_PEAK_FRACTION",
                "DQ_OVERSHOOT_MIN_COMPLETE",
                "DQ_OVERSHOOT_TOP_FRACTION",
            )
        }
        for name, value in shares.items():
            if value > 1:
                from core.errors import ConfigError

                raise ConfigError(f"Setting {name}={value} must be a share between 0 and 1")
        return cls(
            morning_start_h=m0,
            morning_end_h=m1,
            plateau_start_h=p0,
            plateau_end_h=p1,
            night_end_h=m0,
            min_ratio=config.get("DQ_OVERSHOOT_MIN_RATIO"),
            floor_kw=config.get("DQ_OVERSHOOT_FLOOR_KW"),
            floor_peak_fraction=shares["DQ_OVERSHOOT_FLOOR_PEAK_FRACTION"],
            min_complete=shares["DQ_OVERSHOOT_MIN_COMPLETE"],
            min_days=config.get("DQ_OVERSHOOT_MIN_DAYS"),
            top_fraction=shares["DQ_OVERSHOOT_TOP_FRACTION"],
            demand_rate_per_kw=config.get("DQ_DEMAND_RATE_PER_KW"),
        )


def _window(name: str, text: str) -> tuple[float, float]:
    """``"04:00-11:00"`` -> ``(4.0, 11.0)`` local hours."""
    from core.errors import ConfigError

    try:
        start, end = (
            int(h) + int(m) / 60 for h, m in (part.strip().split(":") for part in text.split("-"))
        )
    except ValueError as exc:
        raise ConfigError(f"Setting {name}={text!r}: expected HH:MM-HH:MM") from exc
    if not 0 <= start < end <= 24:
        raise ConfigError(f"Setting {name}={text!r}: the window must start before it ends")
    return start, end


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of ``values`` and their sorted distinct values (cheap for a categorical)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy(np.int64)
        cats = values.cat.categories
        if not (codes < 0).any():
            if not cats.is_monotonic_increasing:
                order = np.argsort(cats.to_numpy(), kind="stable")
                rank = np.empty(len(order), dtype=np.int64)
                rank[order] = np.arange(len(order))
                codes, cats = rank[codes], cats[order]
            return codes, pd.Index(cats)
        values = values.astype(object)
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def _first_rows(building: np.ndarray, ts: np.ndarray) -> np.ndarray | None:
    """Mask of the first row of each (building, ts), or None when there is no duplicate.

    Rows sorted by building, then time (as loaded) are checked in one pass; otherwise a hash.
    """
    if len(ts) < 2:
        return None
    t = ts.astype(np.int64)
    db, dt = np.diff(building), np.diff(t)
    if ((db > 0) | ((db == 0) & (dt >= 0))).all():
        dup = np.r_[False, (db == 0) & (dt == 0)]
    else:
        dup = pd.DataFrame({"b": building, "t": t}).duplicated().to_numpy()
    return ~dup if dup.any() else None


def _local_times(ts: np.ndarray, zone: np.ndarray, names: pd.Index) -> np.ndarray:
    """Naive local wall-clock ``datetime64[ns]`` of naive UTC ``ts``.

    ``zone`` holds each row's code into the IANA zone ``names``. Many rows share a few
    timestamps (every building has the same slots), so each distinct (zone, ts) is converted
    once and the rows look theirs up.
    """
    codes, distinct = pd.factorize(ts.view(np.int64))
    if len(distinct) * len(names) < len(ts) // 2:
        table = np.empty((len(names), len(distinct)), dtype=np.int64)
        utc = pd.DatetimeIndex(distinct.view("datetime64[ns]")).tz_localize("UTC")
        for code, tz in enumerate(names):
            table[code] = utc.tz_convert(str(tz)).tz_localize(None).asi8
        return table.ravel()[zone * len(distinct) + codes].view("datetime64[ns]")
    out = np.empty(len(ts), dtype="datetime64[ns]")
    for code, tz in enumerate(names):
        idx = np.flatnonzero(zone == code)
        if len(idx):
            utc = pd.DatetimeIndex(ts[idx]).tz_localize("UTC")
            out[idx] = utc.tz_convert(str(tz)).tz_localize(None).to_numpy("datetime64[ns]")
    return out


def _day_minutes(zones: pd.Series, days: pd.Series) -> np.ndarray:
    """Length in minutes of each local ``day`` (naive midnight) in its zone (1380/1440/1500)."""
    out = np.full(len(days), 1440.0)
    day_values = days.to_numpy("datetime64[ns]")
    for tz, idx in zones.groupby(zones, sort=False).indices.items():
        days, day_of = np.unique(day_values[idx], return_inverse=True)  # each day once
        start = pd.DatetimeIndex(days)
        flags = np.ones(len(days), dtype=bool)  # an ambiguous midnight: the first one
        kw = {"ambiguous": flags, "nonexistent": "shift_forward"}
        begin = start.tz_localize(tz, **kw)
        end = (start + pd.Timedelta(days=1)).tz_localize(tz, **kw)
        out[idx] = ((end - begin).total_seconds() / 60).to_numpy()[day_of]
    return out


def _slot_minutes(building: np.ndarray, ts: np.ndarray, default: int) -> pd.Series:
    """Per building: the smallest positive step between its (sorted) timestamps, in minutes."""
    frame = pd.DataFrame({"b": building, "t": ts.astype("int64")}).sort_values(["b", "t"])
    step = frame.groupby("b", sort=False)["t"].diff()
    step = step.where(step > 0)
    minutes = (step.groupby(frame["b"]).min() / _NS_PER_MIN).round()
    return minutes.fillna(default).clip(lower=1)


def building_days(
    demand: pd.DataFrame, params: Params | None = None, blocked: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per building and local day with the morning-overshoot statistics.

    Parameters
    ----------
    demand : pd.DataFrame
        Columns ``building_id``, ``ts`` (naive UTC slot start), ``kw`` (building demand:
        the sum over its electricity meters of interval kWh x 60 / interval minutes) and
        ``timezone`` (IANA). Optional ``slot_minutes`` per row; otherwise inferred per
        building from its smallest timestamp step. NaN ``kw`` counts as missing; duplicate
        (building_id, ts) rows are dropped (first kept).
    params : Params, optional
        Settings; defaults from the issue.
    blocked : pd.DataFrame, optional
        ``building_id``, ``day`` (local date): days covered by an open high-severity DQ
        issue in the morning window. They do not count and do not set the month peak.

    Returns
    -------
    pd.DataFrame
        ``building_id``, ``day`` (naive local midnight), ``month`` (YYYY-MM), ``weekday``,
        ``expected_slots``, ``present_slots``, ``completeness``, ``blocked``, ``counted``,
        ``morning_peak_kw``, ``morning_peak_ts`` (naive local), ``plateau_median_kw``,
        ``night_median_kw``, ``excess_kw``, ``excess_ratio``, ``daily_peak_kw``,
        ``month_peak_kw``, ``floor_kw``, ``overshoot``, ``startup_time`` (naive local: first
        morning slot above the midpoint of the night and plateau medians; NaT if none) and
        ``startup_minute`` (its minutes after local midnight). Days without any row in
        ``demand`` are absent (they would have completeness 0 and never count).
    """
    p = params or Params()
    bcode, buildings = _codes(demand["building_id"])
    ts = pd.to_datetime(demand["ts"]).to_numpy("datetime64[ns]")
    kw = demand["kw"].to_numpy(float)
    zones = demand["timezone"]
    zcode, zone_names = _codes(
        zones if isinstance(zones.dtype, pd.CategoricalDtype) else zones.astype(str)
    )
    slot_col = demand["slot_minutes"].to_numpy() if "slot_minutes" in demand.columns else None
    keep = _first_rows(bcode, ts)  # duplicate (building_id, ts) rows: the first is kept
    if keep is not None:
        bcode, ts, kw, zcode = bcode[keep], ts[keep], kw[keep], zcode[keep]
        slot_col = slot_col[keep] if slot_col is not None else None
    local = _local_times(ts, zcode, zone_names)
    day_int = local.astype("datetime64[D]").astype("int64")
    d0 = int(day_int.min()) if len(day_int) else 0
    span = int(day_int.max()) - d0 + 1 if len(day_int) else 1
    g = bcode * span + (day_int - d0)
    minute = (local - local.astype("datetime64[D]")).astype("int64") // _NS_PER_MIN

    def between(lo_h: float, hi_h: float) -> np.ndarray:
        return (minute >= lo_h * 60) & (minute < hi_h * 60) & ~np.isnan(kw)

    kws = pd.Series(kw)
    by_day = kws.groupby(g)
    stats = pd.DataFrame({"present_slots": by_day.count(), "daily_peak_kw": by_day.max()})
    morning = between(p.morning_start_h, p.morning_end_h)
    m_kw = pd.Series(kw[morning], index=np.flatnonzero(morning))
    stats["morning_peak_kw"] = m_kw.groupby(g[morning]).max()
    peak_at = m_kw.groupby(g[morning]).idxmax()
    stats["morning_peak_ts"] = pd.Series(local[peak_at.to_numpy()], index=peak_at.index)
    for name, (lo, hi) in {
        "plateau_median_kw": (p.plateau_start_h, p.plateau_end_h),
        "night_median_kw": (0.0, p.night_end_h),
    }.items():
        sel = between(lo, hi)
        stats[name] = pd.Series(kw[sel]).groupby(g[sel]).median()
    midpoint = (stats["night_median_kw"] + stats["plateau_median_kw"]) / 2
    above = morning.copy()
    above[morning] = kw[morning] > midpoint.reindex(g[morning]).to_numpy()
    stats["startup_time"] = pd.Series(local[above]).groupby(g[above]).min()

    gi = stats.index.to_numpy()
    out = pd.DataFrame(
        {
            "building_id": buildings.take(gi // span),
            "day": pd.to_datetime((gi % span + d0).astype("datetime64[D]")).astype(
                "datetime64[ns]"
            ),
        }
    )
    out = pd.concat([out, stats.reset_index(drop=True)], axis=1)
    out_code = gi // span
    first = pd.DataFrame({"zone": zcode, "slot": slot_col if slot_col is not None else 0})
    first = first.groupby(bcode).first()  # per building code: its first row's zone and slot
    out_zone = pd.Series(zone_names.take(first["zone"].reindex(out_code).to_numpy()))
    if slot_col is not None:
        slot = first["slot"].astype(float)
    else:
        slot = _slot_minutes(bcode, ts, p.default_slot_minutes)
    day_minutes = _day_minutes(out_zone.astype(str), out["day"])
    out["expected_slots"] = np.round(day_minutes / slot.reindex(out_code).to_numpy())
    out["completeness"] = (out["present_slots"] / out["expected_slots"]).clip(upper=1.0)
    months, month_of = np.unique(out["day"].to_numpy("datetime64[M]"), return_inverse=True)
    out["month"] = pd.Index(pd.DatetimeIndex(months).strftime("%Y-%m")).take(month_of)
    out["weekday"] = out["day"].dt.day_of_week < 5
    out["blocked"] = False
    if blocked is not None and len(blocked):
        keys = pd.MultiIndex.from_arrays(
            [blocked["building_id"], pd.to_datetime(blocked["day"]).dt.normalize()]
        )
        out["blocked"] = pd.MultiIndex.from_arrays([out["building_id"], out["day"]]).isin(keys)
    valid = (out["completeness"] >= p.min_complete) & ~out["blocked"]
    out["counted"] = valid & out["weekday"]
    out["month_peak_kw"] = (
        out["daily_peak_kw"]
        .where(valid)
        .groupby([out["building_id"], out["month"]])
        .transform("max")
    )
    out["floor_kw"] = np.fmax(p.floor_kw, p.floor_peak_fraction * out["month_peak_kw"])
    out["excess_kw"] = out["morning_peak_kw"] - out["plateau_median_kw"]
    out["excess_ratio"] = out["excess_kw"] / out["plateau_median_kw"].where(
        out["plateau_median_kw"] > 0
    )
    out["overshoot"] = (
        (
            out["counted"]
            & (out["plateau_median_kw"] > 0)
            & (out["excess_kw"] >= p.min_ratio * out["plateau_median_kw"])
            & (out["excess_kw"] >= out["floor_kw"])
        )
        .fillna(False)
        .astype(bool)
    )
    start = out["startup_time"]
    out["startup_minute"] = start.dt.hour * 60 + start.dt.minute
    order = [
        "building_id",
        "day",
        "month",
        "weekday",
        "expected_slots",
        "present_slots",
        "completeness",
        "blocked",
        "counted",
        "morning_peak_kw",
        "morning_peak_ts",
        "plateau_median_kw",
        "night_median_kw",
        "excess_kw",
        "excess_ratio",
        "daily_peak_kw",
        "month_peak_kw",
        "floor_kw",
        "overshoot",
        "startup_time",
        "startup_minute",
    ]
    return out[order]


FAULT_COLUMNS = [
    "building_id",
    "month",
    "overshoot_days",
    "top_hits",
    "counted_days",
    "worst_day",
    "worst_excess_kw",
    "worst_morning_peak_kw",
    "worst_plateau_kw",
    "worst_peak_ts",
    "top_threshold_kw",
    "month_peak_kw",
    "usual_startup_minute",
    "worst_startup_minute",
    "overshoot_dates",
    "reason",
    "est_monthly_cost",
]


def faults(days: pd.DataFrame, month: str, params: Params | None = None) -> pd.DataFrame:
    """AFDD fault rows: one per building whose ``month`` (``YYYY-MM``) meets the criteria.

    A building faults when it has at least ``min_days`` overshoot days, or at least one
    overshoot day whose morning peak is ``>=`` the ``1 - top_fraction`` quantile (linear) of
    the daily peaks of its counted days in the month (a "top hit").

    Parameters
    ----------
    days : pd.DataFrame
        Output of :func:`building_days` (may span several months).
    month : str
        ``YYYY-MM`` local month to judge.
    params : Params, optional
        Settings; defaults from the issue.

    Returns
    -------
    pd.DataFrame
        ``FAULT_COLUMNS``, sorted by ``est_monthly_cost`` descending: counts, the worst
        overshoot day (largest excess) and its figures, the top-15% threshold, the usual
        startup minute (median over counted non-overshoot days) vs the worst day's,
        ``overshoot_dates`` (comma-separated ISO dates), ``reason`` (``days``, ``top`` or
        ``days+top``) and ``est_monthly_cost`` = worst excess kW x ``demand_rate_per_kw``.
    """
    p = params or Params()
    d = days[(days["month"] == month) & days["counted"]]
    if d.empty:
        return pd.DataFrame(columns=FAULT_COLUMNS)
    by = d.groupby("building_id")
    threshold = by["daily_peak_kw"].quantile(1 - p.top_fraction)
    d = d.assign(top_threshold_kw=threshold.reindex(d["building_id"]).to_numpy())
    d = d.assign(top_hit=d["overshoot"] & (d["morning_peak_kw"] >= d["top_threshold_kw"]))
    summary = pd.DataFrame(
        {
            "overshoot_days": by["overshoot"].sum().astype(int),
            "top_hits": d.groupby("building_id")["top_hit"].sum().astype(int),
            "counted_days": by.size(),
            "top_threshold_kw": threshold,
            "month_peak_kw": by["month_peak_kw"].max(),
            "usual_startup_minute": d[~d["overshoot"]]
            .groupby("building_id")["startup_minute"]
            .median(),
        }
    )
    by_days = summary["overshoot_days"] >= p.min_days
    by_top = summary["top_hits"] >= 1
    summary = summary[by_days | by_top]
    reason = np.where(by_days & by_top, "days+top", np.where(by_days, "days", "top"))
    summary["reason"] = pd.Series(reason, index=by_days.index).reindex(summary.index)
    over = d[d["overshoot"] & d["building_id"].isin(summary.index)]
    over = over.sort_values(["building_id", "excess_kw", "day"], ascending=[True, False, True])
    worst = over.drop_duplicates("building_id").set_index("building_id")
    summary["worst_day"] = worst["day"].dt.date
    summary["worst_excess_kw"] = worst["excess_kw"]
    summary["worst_morning_peak_kw"] = worst["morning_peak_kw"]
    summary["worst_plateau_kw"] = worst["plateau_median_kw"]
    summary["worst_peak_ts"] = worst["morning_peak_ts"]
    summary["worst_startup_minute"] = worst["startup_minute"]
    dates = over.sort_values("day")
    summary["overshoot_dates"] = (
        dates["day"].dt.strftime("%Y-%m-%d").groupby(dates["building_id"]).agg(",".join)
    )
    summary["est_monthly_cost"] = summary["worst_excess_kw"] * p.demand_rate_per_kw
    summary["month"] = month
    out = summary.rename_axis("building_id").reset_index()[FAULT_COLUMNS]
    return out.sort_values(
        ["est_monthly_cost", "building_id"], ascending=[False, True], ignore_index=True
    )
