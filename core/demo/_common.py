"""The demo fleet's constants: its columns (the import spec's), detectors, time zones, slot grid."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from core.ingest.spec import BILLS, METERS, READINGS

DEFAULT_END_DAY = dt.date(2025, 3, 12)
TIMEZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "UTC")
# The demo writes every canonical column, so an import of its files exercises all of them.
METER_COLUMNS = METERS.columns
READING_COLUMNS = READINGS.columns
BILL_COLUMNS = BILLS.columns
INJECTED_COLUMNS = ("meter_id", "detector", "source", "start_ts", "end_ts")
ODDITY_COLUMNS = ("meter_id", "oddity", "detector", "start_ts", "end_ts")

_DAY = 96  # 15-minute slots per day
_SLOT = pd.Timedelta(minutes=15)
