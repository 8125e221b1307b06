"""Helpers shared by the bill checks: meter order, result frames, grading, duplicates, history.

Every helper is vectorised over the whole bill set (groupby/shift per meter, no loop per
bill). Checks import what they need; nothing here is a check.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from core.bills.base import RESULT_COLUMNS, empty_result
from core.detectors.base import SEVERITIES, grade

__all__ = [
    "SEVERITIES",
    "ORDER",
    "DUPLICATE_REL_TOLERANCE",
    "copies",
    "grade",
    "metered",
    "previous_cover",
    "rank",
    "recent_history",
    "records",
    "result",
    "worse",
]

ORDER = ["meter_id", "period_start", "period_end", "bill_id"]
# Two bills' usage (or cost) are "the same amount" when they differ by at most this fraction:
# tight enough that two real months never match, loose enough for unit-conversion rounding.
DUPLICATE_REL_TOLERANCE = 0.001
_DECIMALS = 4  # figures in ``details`` are rounded for people, not for arithmetic


def metered(bills: pd.DataFrame) -> pd.DataFrame:
    """Bills that have a ``meter_id``, in meter and period order, with a fresh index.

    Per-meter checks judge only these: a bill without a meter (a building-level bill) has
    no series of its own to compare with.
    """
    out = bills[bills["meter_id"].notna()]
    return out.sort_values(ORDER, kind="stable", ignore_index=True)


def result(
    rows: pd.DataFrame,
    severity: object,
    magnitude: object,
    details: pd.DataFrame | Mapping[str, object],
    bill_id: object = None,
) -> pd.DataFrame:
    """Assemble violating rows into ``RESULT_COLUMNS``.

    Parameters
    ----------
    rows : pd.DataFrame
        The violating bills (``bill_id``, ``meter_id``), one result row each.
    severity, magnitude : array-like
        One value per row.
    details : DataFrame or mapping of column -> array-like
        The figures a person needs, one dict per row (see ``records``).
    bill_id : array-like, optional
        Overrides ``rows["bill_id"]`` (``stale_bill`` reports per meter).
    """
    if len(rows) == 0:
        return empty_result()
    ids = rows["bill_id"] if bill_id is None else bill_id
    out = pd.DataFrame(
        {
            "bill_id": _nullable(ids),
            "meter_id": _nullable(rows["meter_id"]),
            "severity": np.asarray(severity, dtype=object),
            "magnitude": np.asarray(magnitude, dtype=float),
            "details": records(pd.DataFrame(details, index=rows.index)),
        }
    )
    return out[RESULT_COLUMNS]


def records(frame: pd.DataFrame) -> list[dict]:
    """One JSON-ready dict per row: dates as ``YYYY-MM-DD``, floats rounded, NaN as None."""
    frame = frame.copy()
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            frame[col] = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(values):
            frame[col] = values.round(_DECIMALS)
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def _nullable(values: object) -> np.ndarray:
    """An object array with None for missing ids."""
    series = pd.Series(values, dtype=object)
    return series.where(series.notna(), None).to_numpy(dtype=object)


def rank(values: object, medium: float, high: float) -> np.ndarray:
    """0/1/2 for low/medium/high, thresholds inclusive (as ``grade``)."""
    values = np.asarray(values, dtype=float)
    return (values >= medium).astype(np.intp) + (values >= high)


def worse(*ranks: np.ndarray) -> np.ndarray:
    """Severity names of the worst of several ``rank`` arrays."""
    return np.asarray(SEVERITIES, dtype=object)[np.maximum.reduce(ranks)]


def _same(a: pd.Series, b: pd.Series, rel_tolerance: float) -> pd.Series:
    """Equal within ``rel_tolerance`` of the larger magnitude; two missing values are equal."""
    close = (a - b).abs() <= rel_tolerance * np.maximum(a.abs(), b.abs())
    return close | (a.isna() & b.isna())


def copies(
    bills: pd.DataFrame, rel_tolerance: float = DUPLICATE_REL_TOLERANCE
) -> tuple[pd.Series, pd.Series]:
    """Which bills repeat an earlier bill: same meter, period, usage and cost.

    Among equal bills the first by ``bill_id`` is the original; every other one is a copy.

    Parameters
    ----------
    bills : pd.DataFrame
        Bills with a ``meter_id`` (any order).
    rel_tolerance : float
        Relative tolerance for "the same usage / cost".

    Returns
    -------
    tuple of pd.Series
        Aligned with ``bills.index``: bool "is a copy", and the original's ``bill_id``
        (None where not a copy).
    """
    keys = ["meter_id", "period_start", "period_end"]
    s = bills.sort_values([*keys, "usage", "cost", "bill_id"], kind="stable")
    same_key = pd.Series(True, index=s.index)
    for key in keys:
        same_key &= s[key].eq(s[key].shift())
    is_copy = (
        same_key
        & _same(s["usage"], s["usage"].shift(), rel_tolerance)
        & _same(s["cost"], s["cost"].shift(), rel_tolerance)
    )
    # A chain of copies shares one original: the first row of each run of equal rows.
    run = (~is_copy).cumsum()
    original = s["bill_id"].groupby(run).transform("first").where(is_copy, None)
    return is_copy.reindex(bills.index), original.reindex(bills.index)


def recent_history(
    values: pd.Series, meter: pd.Series, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, MAD and count of each bill's ``n`` previous values of the same meter.

    Parameters
    ----------
    values : pd.Series
        One value per bill, in meter and period order; NaN values are ignored (they are
        neither judged nor history).
    meter : pd.Series
        ``meter_id`` of each bill (same index).
    n : int
        How many previous valid values form the history.

    Returns
    -------
    tuple of np.ndarray
        ``median``, ``mad`` (NaN without history) and ``count`` of previous values, aligned
        with ``values``.
    """
    valid = values.notna()
    v, g = values[valid], meter[valid]
    grouped = v.groupby(g, sort=False)
    lags = np.column_stack(
        [np.full(len(v), np.nan)]  # keeps the shape (len, >=1) even for n = 0
        + [grouped.shift(k).to_numpy(dtype=float) for k in range(1, n + 1)]
    )
    count = np.count_nonzero(~np.isnan(lags), axis=1)
    median = np.full(len(v), np.nan)
    mad = np.full(len(v), np.nan)
    has = count > 0
    if has.any():
        med = np.nanmedian(lags[has], axis=1)
        median[has] = med
        mad[has] = np.nanmedian(np.abs(lags[has] - med[:, None]), axis=1)
    out = [np.full(len(values), np.nan), np.full(len(values), np.nan), np.zeros(len(values))]
    where = np.flatnonzero(valid.to_numpy())
    out[0][where], out[1][where], out[2][where] = median, mad, count
    return out[0], out[1], out[2].astype(np.intp)


def previous_cover(bills: pd.DataFrame) -> pd.DataFrame:
    """For each bill, the latest ``period_end`` among the same meter's earlier bills.

    Parameters
    ----------
    bills : pd.DataFrame
        Output of ``metered`` (meter and period order).

    Returns
    -------
    pd.DataFrame
        Aligned with ``bills.index``: ``prev_end`` (NaT for a meter's first bill) and the
        bill that reaches it, ``prev_bill_id``, ``prev_start``. The running maximum, not
        just the previous row, so a short bill inside a long one hides neither a gap nor an
        overlap after it.
    """
    meter = bills["meter_id"]
    reach = bills.groupby(meter, sort=False)["period_end"].cummax()
    prev_end = reach.groupby(meter, sort=False).shift()
    holder = bills[["meter_id", "period_end", "bill_id", "period_start"]].drop_duplicates(
        ["meter_id", "period_end"]
    )
    holder.columns = ["meter_id", "prev_end", "prev_bill_id", "prev_start"]
    out = pd.DataFrame({"meter_id": meter, "prev_end": prev_end}).merge(
        holder, how="left", on=["meter_id", "prev_end"]
    )
    out.index = bills.index
    return out
