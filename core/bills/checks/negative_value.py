"""negative_value: a bill with negative usage, cost or demand.

Negative usage or demand is a data error (a sign flip, a reversal posted as a bill);
a negative cost may be a legitimate credit but still needs a person to confirm it. Every
bill is judged, with or without a meter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import result

NAME = "negative_value"
MAGNITUDE_UNIT = "absolute negative amount (usage unit, else currency, else kW)"

_FIELDS = ("usage", "cost", "demand_kw")  # magnitude comes from the first negative one


@dataclass(frozen=True)
class Params:
    """Parameters of the negative_value check.

    Parameters
    ----------
    credit_severity : str
        Severity of a bill whose only negative field is ``cost`` (default ``"medium"``:
        often a credit). Negative usage or demand is always ``high``.
    """

    credit_severity: str = "medium"


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report bills with any negative usage, cost or demand_kw."""
    bills = ctx.bills
    if bills.empty:
        return empty_result()
    negative = pd.DataFrame({f: bills[f] < 0 for f in _FIELDS})  # NaN is not negative
    hit = negative.any(axis=1).to_numpy()
    rows, neg = bills[hit], negative[hit]
    values = rows[list(_FIELDS)].to_numpy(dtype=float)
    first = np.argmax(neg.to_numpy(), axis=1)
    magnitude = np.abs(values[np.arange(len(rows)), first])
    severity = np.where(neg["usage"] | neg["demand_kw"], "high", params.credit_severity)
    details = {
        "negative_fields": _names(neg),
        "magnitude_field": np.asarray(_FIELDS, dtype=object)[first],
        "usage": rows["usage"],
        "usage_unit": rows["usage_unit"],
        "cost": rows["cost"],
        "demand_kw": rows["demand_kw"],
    }
    return result(rows, severity, magnitude, details)


def _names(flags: pd.DataFrame) -> pd.Series:
    """Comma-separated names of the True columns of each row (``"usage, cost"``)."""
    text = pd.Series("", index=flags.index, dtype=object)
    for name in flags.columns:  # a fixed handful of columns, not a loop over bills
        text = text + np.where(flags[name], f"{name}, ", "")
    return text.str.removesuffix(", ")
