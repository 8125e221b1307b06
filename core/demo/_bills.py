"""The demo fleet's monthly electricity bills, from its daily use and peaks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.demo._common import BILL_COLUMNS


def _add_months(day: dt.date, k: int) -> dt.date:
    """``day`` moved by ``k`` months (day of month at most 28, so always valid)."""
    y, mo = divmod(day.year * 12 + day.month - 1 + k, 12)
    return dt.date(y, mo + 1, day.day)


def _bills(
    rng: np.random.Generator,
    m: pd.DataFrame,
    daily: np.ndarray,
    peak_kw: np.ndarray,
    first_day: dt.date,
    end_day: dt.date,
    n_bills: int = 13,
) -> pd.DataFrame:
    """Monthly bills per electricity meter; usage and demand follow the readings where covered."""
    accounts = sorted(m["account_id"].unique())
    read_day = dict(zip(accounts, rng.integers(1, 29, len(accounts)).tolist(), strict=True))
    rate = dict(zip(accounts, np.round(rng.uniform(0.10, 0.20, len(accounts)), 4), strict=True))
    demand_rate = dict(zip(accounts, np.round(rng.uniform(8, 16, len(accounts)), 2), strict=True))
    days = daily.shape[1]
    mean_daily, top_kw = daily.mean(axis=1), peak_kw.max(axis=1)
    frames = []
    for acc in accounts:
        rows = np.flatnonzero((m["account_id"] == acc).to_numpy())
        start = dt.date(end_day.year, end_day.month, read_day[acc])
        while _add_months(start, 1) > end_day + dt.timedelta(days=1):
            start = _add_months(start, -1)
        for p in range(n_bills):
            s = _add_months(start, p - n_bills + 1)
            e = _add_months(s, 1) - dt.timedelta(days=1)
            a, z = np.clip([(s - first_day).days, (e - first_day).days + 1], 0, days)
            n_missing = (e - s).days + 1 - (z - a)
            noise = rng.normal(1.0, 0.06, len(rows))
            usage = np.round(daily[rows, a:z].sum(axis=1) + mean_daily[rows] * n_missing * noise, 2)
            kw = top_kw[rows] * rng.uniform(0.9, 1.04, len(rows))  # months beyond the readings
            if z > a:  # the covered days' peak, but never below the fleet-window peak when partial
                covered = peak_kw[rows, a:z].max(axis=1)
                kw = covered if n_missing == 0 else np.maximum(covered, kw)
            kw = np.round(kw, 1)
            frames.append(
                pd.DataFrame(
                    {
                        "bill_id": [f"bl-{mid[2:]}-{s:%Y%m}" for mid in m["meter_id"].iloc[rows]],
                        "account_id": acc,
                        "building_id": m["building_id"].iloc[rows].to_numpy(),
                        "meter_id": m["meter_id"].iloc[rows].to_numpy(),
                        "commodity": "electricity",
                        "period_start": [s] * len(rows),
                        "period_end": [e] * len(rows),
                        "usage": usage,
                        "usage_unit": "kWh",
                        "cost": np.round(usage * rate[acc] + kw * demand_rate[acc], 2),
                        "demand_kw": kw,
                        "estimated": rng.random(len(rows)) < 0.03,
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["meter_id", "period_start"], ignore_index=True)[list(BILL_COLUMNS)]
