"""Every meter detector of ``core.detectors.REGISTRY`` as a sandbox model, generated.

A new detector gets its sandbox page with no work here: its ``Params`` fields become the
sliders and its module docstring the rule. The plain-words sentence and title below are
optional polish; ``OVERRIDES`` tunes a slider's range where the derived one is poor.
"""

from __future__ import annotations

from core.detectors import REGISTRY
from core.sandbox.detector_model import detector_model

TITLES = {
    "missing_data": "Missing data detector",
    "offline": "Offline detector",
    "flatline": "Flatline detector",
    "zero_run": "Zero run detector",
    "negative_value": "Negative value detector",
    "spike_positive": "Spike detector (up)",
    "spike_negative": "Spike detector (down)",
    "raw_platform_mismatch": "Raw vs platform mismatch detector",
    "water_leak": "Water leak detector",
    "daily_usage_high": "Daily usage detector (high)",
    "daily_usage_low": "Daily usage detector (low)",
    "unit_change": "Unit change detector",
    "clock_drift": "Clock drift detector",
}

PLAIN = {
    "missing_data": "Flags readings that never arrived, when the meter reports again "
    "afterwards (a gap inside the data). A gap that runs to the end of the data is the "
    "offline detector's, once it is long enough.",
    "offline": "Flags a meter that stopped reporting and has not come back by the end of the "
    "scored day, once the silence lasts long enough.",
    "flatline": "Flags the same non-zero reading repeated for hours while this meter normally "
    "changes at that time of the week: a stuck logger, or a sentinel value such as 1.0.",
    "zero_run": "Flags hours of exact zeros while the meter normally uses energy at that "
    "time of the week (water meters get a much longer allowance: zero at night is normal).",
    "negative_value": "Flags any reading below zero: consumption cannot be negative.",
    "spike_positive": "Flags a short burst of readings far above what this meter normally "
    "reads at that time of the week. A load that stays high for hours is operation, not a "
    "spike.",
    "spike_negative": "Flags a short drop far below a substantial expected reading. A whole "
    "day at night load (a holiday) is not a spike.",
    "raw_platform_mismatch": "Flags hours where the meter's raw feed and the platform's "
    "readings disagree by more than a tolerance.",
    "water_leak": "Flags a water meter whose flow never reached zero for an hour in the last "
    "day, while it normally does every night: a leak. The synthetic meter here is a water "
    "meter.",
    "daily_usage_high": "Flags a day whose total is far above what this meter used on the "
    "same weekday lately.",
    "daily_usage_low": "Flags a day whose total is far below what this meter used on the "
    "same weekday lately (holidays listed in DQ_HOLIDAYS are left alone).",
    "unit_change": "Flags readings that jumped by a unit factor and stayed there: Wh reported "
    "as kWh (x 1000) or litres as gallons (x 3.785).",
    "clock_drift": "Flags a meter whose gateway stamps its readings consistently late or "
    "early, from what the import recorded; the readings themselves are kept.",
}

_LOG10 = {"min": -20.0, "max": 0.0, "step": 0.5}  # a probability's log10: negative
OVERRIDES = {
    "flatline": {"long_hours": {"max": 240.0, "step": 1.0}, "max_log10_probability": _LOG10},
    "zero_run": {"water_min_hours": {"max": 168.0, "step": 1.0}, "max_log10_probability": _LOG10},
    "unit_change": {
        "medium_hours": {"max": 24.0, "step": 1.0},
        "metric_factor": {"min": 1.0},
        "volume_factor": {"min": 1.0},
        "loose": {"min": 1.0, "max": 10.0, "step": 0.1},
    },
    "missing_data": {"min_slots": {"max": 48}},
}

MODELS = tuple(
    detector_model(
        name, module, TITLES.get(name, ""), PLAIN.get(name, ""), OVERRIDES.get(name)
    )  # fmt: skip
    for name, module in REGISTRY.items()
)
