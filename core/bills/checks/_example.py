"""_example: a copyable template bill check (flags bills costing more than a cap per day).

It is NOT in ``REGISTRY``. To add a check, copy this file to
``core/bills/checks/<contract_name>.py`` and then:

1. Set ``NAME`` to the file name and ``MAGNITUDE_UNIT`` to what ``magnitude`` measures.
2. Put every threshold in the frozen ``Params`` dataclass, with a default and a numpy-style
   description, severity rule included (the job and the docs read them from there).
3. Write ``check(ctx, params)`` with whole-frame pandas/numpy operations: no loop per bill.
   Per-meter checks start from ``_common.metered(ctx.bills)`` (bills with a meter, in
   meter and period order) and use ``groupby("meter_id")`` / ``shift``; judge against
   ``ctx.run_date``, never the wall clock. Return ``_common.result(rows, severity,
   magnitude, details)``: the violating rows only, empty means pass. Put the figures a
   person needs to decide in ``details`` (dates, ids, expected vs actual).
4. Add one line to ``REGISTRY`` in ``core/bills/__init__.py``, a ``## <name>`` section to
   ``docs/bills.md`` and ``tests/core/bills/test_<name>.py`` with a small case table; the
   contract tests in ``tests/core/bills/test_contract.py`` pick the module up on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.bills.base import BillContext, empty_result
from core.bills.checks._common import grade, result

NAME = "_example"
MAGNITUDE_UNIT = "cost per day above the cap (currency per day)"


@dataclass(frozen=True)
class Params:
    """Parameters of the example check.

    Parameters
    ----------
    max_cost_per_day : float
        Flag bills costing more than this per day of the period (default 10,000).
    medium_excess : float
        An excess at least this large (currency per day) is ``medium`` (default 1,000).
    high_excess : float
        ... and at least this large is ``high`` (default 10,000).
    """

    max_cost_per_day: float = 10_000.0
    medium_excess: float = 1_000.0
    high_excess: float = 10_000.0


def check(ctx: BillContext, params: Params) -> pd.DataFrame:
    """Report bills whose cost per day exceeds ``max_cost_per_day``."""
    bills = ctx.bills
    if bills.empty:
        return empty_result()
    per_day = bills["cost"] / bills["days"]
    excess = per_day - params.max_cost_per_day
    hit = (excess > 0).to_numpy()  # NaN cost compares False: not judged
    rows = bills[hit]
    details = {"cost": rows["cost"], "days": rows["days"], "cost_per_day": per_day[hit]}
    severity = grade(excess[hit], params.medium_excess, params.high_excess)
    return result(rows, severity, excess[hit], details)
