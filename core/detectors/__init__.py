"""Meter data-quality detectors: one module per detector and the registry the DQ job runs.

Add a detector: copy ``_example.py`` to ``<contract_name>.py``, add one line below, add
``tests/core/detectors/test_<contract_name>.py`` and a section in ``docs/detectors.md``.
"""

from __future__ import annotations

from core.detectors import (
    flatline,
    missing_data,
    negative_value,
    offline,
    raw_platform_mismatch,
    spike_negative,
    spike_positive,
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
}

__all__ = ["REGISTRY"]
