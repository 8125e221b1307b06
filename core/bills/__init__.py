"""Utility-bill checks: one module per check in ``core/bills/checks`` and the registry.

Each check takes a ``BillContext`` (normalised bills, meters, interval usage, run date) and
returns the violating bills as ``RESULT_COLUMNS`` (``core/bills/base.py``); empty = pass.

Add a check: copy ``checks/_example.py`` to ``checks/<contract_name>.py``, add one line
below, add ``tests/core/bills/test_<contract_name>.py`` and a section in ``docs/bills.md``.
"""

from __future__ import annotations

from core.bills.base import BillCheck
from core.bills.checks import (
    bill_duplicate,
    bill_gap,
    bill_interval_mismatch,
    bill_overlap,
    demand_impossible,
    estimated_streak,
    future_period,
    negative_value,
    period_length,
    stale_bill,
    unit_rate_outlier,
    usage_outlier,
    zero_usage,
)

REGISTRY: dict[str, BillCheck] = {
    bill_gap.NAME: bill_gap,
    bill_overlap.NAME: bill_overlap,
    bill_duplicate.NAME: bill_duplicate,
    period_length.NAME: period_length,
    zero_usage.NAME: zero_usage,
    negative_value.NAME: negative_value,
    usage_outlier.NAME: usage_outlier,
    unit_rate_outlier.NAME: unit_rate_outlier,
    demand_impossible.NAME: demand_impossible,
    stale_bill.NAME: stale_bill,
    estimated_streak.NAME: estimated_streak,
    bill_interval_mismatch.NAME: bill_interval_mismatch,
    future_period.NAME: future_period,
}

__all__ = ["REGISTRY"]
