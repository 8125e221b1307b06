"""The shared bill-check signature: normalised bills in, the violating rows out (empty = pass)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import pandas as pd

# Columns every check returns; one row per violation. ``details`` is a dict (stored as JSON).
RESULT_COLUMNS = ["bill_id", "meter_id", "severity", "magnitude", "details"]


@dataclass(frozen=True)
class BillContext:
    """Everything a check may look at.

    Parameters
    ----------
    run_date : date
        The run's date (the partition key): "stale" and "future" are judged against it, never
        against the wall clock.
    bills : pd.DataFrame
        Normalised bills (canonical columns; ``period_start``/``period_end`` as datetime64,
        ``usage``/``cost``/``demand_kw`` float, ``estimated`` bool, ``days`` = inclusive period
        length), sorted by ``meter_id``, ``period_start``.
    meters : pd.DataFrame
        Known meters (meter_id, account_id, building_id, kind, unit, interval_minutes).
    interval_usage : pd.DataFrame
        Per ``bill_id``: ``interval_sum`` (sum of platform readings over the bill's days, in
        the meter's unit) and ``coverage`` (present / expected intervals, 0..1). Bills without
        a meter or readings are absent.
    """

    run_date: date
    bills: pd.DataFrame
    meters: pd.DataFrame
    interval_usage: pd.DataFrame


class BillCheck(Protocol):
    """What every module in core/bills/checks provides."""

    NAME: str
    Params: type

    def check(self, ctx: BillContext, params: Any) -> pd.DataFrame:
        """Return the violating rows (``RESULT_COLUMNS``); an empty frame means pass."""


def empty_result() -> pd.DataFrame:
    """No violation."""
    return pd.DataFrame(columns=RESULT_COLUMNS)
