"""Tiny hand-made bill sets for the bill-check tests (the gridmaker of core/bills)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.bills.base import BillContext
from core.bills.normalise import BILL_COLUMNS

RUN_DATE = dt.date(2025, 6, 15)
DEFAULTS = {
    "account_id": "a1",
    "building_id": "bd1",
    "meter_id": "m1",
    "commodity": "electricity",
    "usage": 3000.0,
    "usage_unit": "kWh",
    "cost": 450.0,
    "demand_kw": np.nan,
    "estimated": False,
}


def make_bills(rows: list[dict]) -> pd.DataFrame:
    """Normalised bills from dicts (``start``/``end`` as ``YYYY-MM-DD``; ids default b0, b1...).

    Missing fields take ``DEFAULTS``; ``per_day`` sets usage = per_day x days. Sorted as the
    checks expect.
    """
    records = []
    for i, row in enumerate(rows):
        row = dict(row)
        start, end = pd.Timestamp(row.pop("start")), pd.Timestamp(row.pop("end"))
        days = (end - start).days + 1
        rec = {**DEFAULTS, "bill_id": f"b{i}", "period_start": start, "period_end": end}
        if "per_day" in row:
            rec["usage"] = row.pop("per_day") * days
        rec.update(row)
        rec["days"] = days
        records.append(rec)
    frame = pd.DataFrame(records, columns=[*BILL_COLUMNS, "days"])
    frame = frame.astype(
        {"usage": float, "cost": float, "demand_kw": float, "estimated": bool, "days": int}
    )
    for col in ("period_start", "period_end"):
        frame[col] = pd.to_datetime(frame[col])
    return frame.sort_values(
        ["meter_id", "period_start", "bill_id"], na_position="last", ignore_index=True
    )


def monthly(n: int, start: str = "2024-01-01", **fields) -> list[dict]:
    """``n`` consecutive calendar-month bills of one meter; ``fields`` may be lists (one
    value per bill) or scalars. Ids are ``<meter>-<YYYYMM>``."""
    first = pd.Timestamp(start)
    meter = fields.get("meter_id", "m1")
    rows = []
    for k in range(n):
        s = first + pd.DateOffset(months=k)
        e = s + pd.DateOffset(months=1) - pd.Timedelta(days=1)
        row = {"bill_id": f"{meter}-{s:%Y%m}", "start": f"{s:%Y-%m-%d}", "end": f"{e:%Y-%m-%d}"}
        for key, value in fields.items():
            row[key] = value[k] if isinstance(value, list) else value
        rows.append(row)
    return rows


def make_ctx(
    bills: pd.DataFrame,
    run_date: dt.date = RUN_DATE,
    meters: pd.DataFrame | None = None,
    intervals: pd.DataFrame | None = None,
) -> BillContext:
    """A BillContext; meters default to the bills' meters (electricity, kWh)."""
    if meters is None:
        ids = pd.Series(bills["meter_id"].dropna().unique(), dtype=object)
        meters = pd.DataFrame(
            {"meter_id": ids, "account_id": "a1", "building_id": "bd1", "kind": "electricity",
             "unit": "kWh", "interval_minutes": 15}
        )  # fmt: skip
    if intervals is None:
        intervals = pd.DataFrame({"bill_id": [], "interval_sum": [], "coverage": []})
    return BillContext(run_date=run_date, bills=bills, meters=meters, interval_usage=intervals)


def run(module, bills: pd.DataFrame | list[dict], **kwargs) -> pd.DataFrame:
    """Run ``module.check`` with default params (override with ``params=``)."""
    params = kwargs.pop("params", module.Params())
    if isinstance(bills, list):
        bills = make_bills(bills)
    return module.check(make_ctx(bills, **kwargs), params)


def ids(result: pd.DataFrame) -> list:
    """The reported bill ids, in order."""
    return list(result["bill_id"])
