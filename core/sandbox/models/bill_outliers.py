"""The two bill outlier checks (usage and unit rate) on a chosen meter's bills."""

from __future__ import annotations

from core.bills.checks import unit_rate_outlier, usage_outlier
from core.sandbox.bill_model import Measure, bill_model

MODELS = (
    bill_model(
        usage_outlier.NAME,
        usage_outlier,
        Measure(
            "{unit} per day",
            lambda b: b["usage"] / b["days"],
            "expected_use_per_day",
            {"same_month_ratio": 1.0, "z_threshold": 0.0},
        ),
        "Bill usage outlier check",
        "Flags a bill whose use per day is far from what this meter used before: against the "
        "same month last year when there is one, else against its recent bills. A seasonal "
        "swing that matches last year is not an outlier.",
    ),
    bill_model(
        unit_rate_outlier.NAME,
        unit_rate_outlier,
        Measure(
            "$ per {unit}",
            lambda b: b["cost"] / b["usage"].where(b["usage"] > 0),
            "expected_cost_per_unit",
            {"z_threshold": 0.0},
            zero=False,
        ),
        "Bill unit rate outlier check",
        "Flags a bill whose price per unit (cost / usage) is far from this meter's recent "
        "bills: a wrong tariff, a misplaced decimal, or a cost billed for the wrong period.",
    ),
)
