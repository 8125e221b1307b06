"""Meter data-quality detectors: one module per detector and the registry the DQ job runs.

Add a detector: follow README.md, "Add a detector" (copy ``_example.py``, one line below, ...).
"""

from __future__ import annotations

from core.detectors import (
    clock_drift,
    daily_usage_high,
    daily_usage_low,
    flatline,
    missing_data,
    negative_value,
    offline,
    raw_platform_mismatch,
    spike_negative,
    spike_positive,
    unit_change,
    water_leak,
    zero_run,
)
from core.detectors.base import DetectorModule

REGISTRY: dict[str, DetectorModule] = {
    missing_data.NAME: missing_data,
    offline.NAME: offline,
    flatline.NAME: flatline,
    zero_run.NAME: zero_run,
    negative_value.NAME: negative_value,
    spike_positive.NAME: spike_positive,
    spike_negative.NAME: spike_negative,
    raw_platform_mismatch.NAME: raw_platform_mismatch,
    water_leak.NAME: water_leak,
    daily_usage_high.NAME: daily_usage_high,
    daily_usage_low.NAME: daily_usage_low,
    unit_change.NAME: unit_change,
    clock_drift.NAME: clock_drift,
}

__all__ = ["REGISTRY"]
