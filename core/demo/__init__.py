"""Synthetic demo fleet (meters, readings, bills) with known injected data-quality problems.

:func:`generate` builds it from the shape of the fleet (``_fleet``: accounts, buildings,
meters, their true use), the problems planted in it (``_faults``: one injection per detector
in ``DETECTORS``, decoys and benign oddities) and its bills (``_bills``). Its columns are the
import spec's (:mod:`core.ingest.spec`), so ``jobs import`` takes its files as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.demo._bills import _bills
from core.demo._common import (
    _DAY,
    _SLOT,
    BILL_COLUMNS,
    DEFAULT_END_DAY,
    INJECTED_COLUMNS,
    METER_COLUMNS,
    ODDITY_COLUMNS,
    READING_COLUMNS,
    TIMEZONES,
)
from core.demo._faults import DETECTORS, _benign, _late_clocks, _plant
from core.demo._fleet import _buildings, _business, _expected, _long, _meters, _round


@dataclass(frozen=True, eq=False)
class Fleet:
    """A synthetic fleet in the canonical import format, plus the truth about its problems.

    Attributes
    ----------
    meters : pd.DataFrame
        One row per meter, columns ``METER_COLUMNS``.
    readings : pd.DataFrame
        ``meter_id, ts, value, source``; ``ts`` naive UTC slot starts, ordered by source,
        meter and time. Missing slots are absent rows.
    bills : pd.DataFrame
        Monthly electricity bills, columns ``BILL_COLUMNS`` (clean).
    injected : pd.DataFrame
        Known problems on eligible meters: ``meter_id, detector, source, start_ts, end_ts``
        (naive UTC, end exclusive, slot-aligned), at most one per meter.
    oddities : pd.DataFrame
        Legitimate oddities and problems on ineligible meters that must NOT be reported:
        ``meter_id, oddity`` (``holiday_closure``, ``load_doubled``, ``ineligible_problem``),
        ``detector`` (for ``ineligible_problem``, else None), ``start_ts, end_ts``.
    holidays : str
        The closure as a ``DQ_HOLIDAYS`` entry (``ACCOUNT:YYYY-MM-DD``): with it set, the daily
        usage checks leave the closed building alone, as they would a listed holiday.
    last_day : datetime.date
        The scored UTC day (the last day with readings).
    days : int
        Number of UTC days with readings, ending at ``last_day``.
    ineligible_meter_ids : frozenset of str
        Meters the DQ job must skip (dq disabled, inactive account or archived building).
    """

    meters: pd.DataFrame
    readings: pd.DataFrame
    bills: pd.DataFrame
    injected: pd.DataFrame
    oddities: pd.DataFrame
    last_day: dt.date
    days: int
    ineligible_meter_ids: frozenset[str]
    holidays: str = ""

    @property
    def first_day(self) -> dt.date:
        """The first UTC day with readings."""
        return self.last_day - dt.timedelta(days=self.days - 1)


def generate(
    seed: int = 42, end_day: dt.date = DEFAULT_END_DAY, days: int = 60, n_buildings: int = 40
) -> Fleet:
    """Build a deterministic synthetic fleet with known problems on its last day.

    Parameters
    ----------
    seed : int
        Seed of the numpy random generator; the same seed gives equal frames.
    end_day : datetime.date
        The last (scored) UTC day of readings.
    days : int
        Number of UTC days of readings ending at ``end_day`` (at least 7).
    n_buildings : int
        Number of buildings (at least 6); about 7.5 meters each.

    Returns
    -------
    Fleet
        Meters, readings, bills, the injected problems and the benign oddities.
    """
    if days < 7 or n_buildings < 6:
        raise ValueError(
            f"generate needs days >= 7 and n_buildings >= 6, got {days=}, {n_buildings=}"
        )
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(end_day - dt.timedelta(days=days - 1)).as_unit("ns")
    times = pd.date_range(t0, periods=days * _DAY, freq="15min", unit="ns")
    b = _buildings(rng, n_buildings)
    m = _meters(rng, b)
    weekdays = [d for d in range(days - 3) if (t0 + pd.Timedelta(days=d)).day_of_week < 5]
    holidays = np.sort(rng.choice(weekdays, size=min(2, len(weekdays)), replace=False))
    closed_b = int(rng.choice(np.flatnonzero(~b["archived"] & (b["acc"] < 4))))
    expected = _expected(rng, b, m, times, holidays, closed_b)
    sigma = m["sigma"].to_numpy()[:, None]
    noisy = expected * np.clip(1 + sigma * rng.standard_normal(expected.shape), 0.5, None)
    dec, q15 = m["dec"].to_numpy(), (m["interval_minutes"] == 15).to_numpy()
    hourly, raw = np.flatnonzero(~q15), m["has_raw"].to_numpy()
    true15 = _round(noisy, dec)
    true60 = _round(noisy[hourly].reshape(len(hourly), -1, 4).sum(axis=2), dec[hourly])
    biz = np.hstack([_business(b, end_day, t0, len(times), hours) for hours in ((7, 19), (9, 16))])
    biz = biz[m["b"].to_numpy()]  # per meter: business hours, then the core of the day
    oddities = _benign(rng, m, b, true15, biz, closed_b, end_day, t0)
    platform, rawfeed = true15.copy(), true15.copy()  # raw equals platform unless injected
    closed_acc = b["account_id"].iat[closed_b]
    injected, decoys = _plant(rng, m, platform, rawfeed, expected, biz, n_buildings, closed_acc,
                              end_day, t0)  # fmt: skip

    ids = m["meter_id"].to_numpy()
    readings = _long(
        ids,
        times,
        [
            (np.flatnonzero(q15), platform[q15], 1, 0),
            (hourly, true60, 4, 0),
            (np.flatnonzero(q15 & raw), rawfeed[q15 & raw], 1, 1),
            (np.flatnonzero(~q15 & raw), true60[raw[hourly]], 4, 1),
        ],
    )

    def frame(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
        data = [(ids[k], *mid, t0 + s0 * _SLOT, t0 + s1 * _SLOT) for k, *mid, s0, s1 in rows]
        return pd.DataFrame(data, columns=list(columns))

    readings = _late_clocks(rng, readings, injected, ids, t0)
    daily, peak_kw = np.zeros((len(m), days)), np.zeros((len(m), days))
    for rows, values, per_day, to_kw in ((q15, true15[q15], _DAY, 4), (hourly, true60, 24, 1)):
        values = values.reshape(len(values), days, per_day)
        daily[rows], peak_kw[rows] = values.sum(axis=2), values.max(axis=2) * to_kw
    elec = (m["kind"] == "electricity").to_numpy()
    return Fleet(
        meters=m[list(METER_COLUMNS)].reset_index(drop=True),
        readings=readings,
        bills=_bills(rng, m[elec], daily[elec], peak_kw[elec], t0.date(), end_day),
        injected=frame(injected, INJECTED_COLUMNS),
        oddities=frame(oddities + decoys, ODDITY_COLUMNS),
        last_day=end_day,
        days=days,
        ineligible_meter_ids=frozenset(ids[~m["eligible"].to_numpy()].tolist()),
        holidays=f"{closed_acc}:{end_day:%Y-%m-%d}",
    )


__all__ = [
    "BILL_COLUMNS", "DEFAULT_END_DAY", "DETECTORS", "Fleet", "INJECTED_COLUMNS", "METER_COLUMNS",
    "ODDITY_COLUMNS", "READING_COLUMNS", "TIMEZONES", "generate",
]  # fmt: skip
