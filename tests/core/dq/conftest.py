"""Fixtures of the DQ job tests."""

import pandas as pd
import pytest

from core.ingest import import_frames

BUILDINGS = 3  # a small slice of the demo fleet keeps the PostgreSQL import quick


@pytest.fixture
def fleet_db(any_db, demo_fleet):
    """Three demo buildings' meters and last 30 days on each backend: (db, last day)."""
    keep = sorted(demo_fleet.meters["building_id"].unique())[:BUILDINGS]
    meters = demo_fleet.meters[demo_fleet.meters["building_id"].isin(keep)]
    readings = demo_fleet.readings[demo_fleet.readings["meter_id"].isin(meters["meter_id"])]
    since = pd.Timestamp(demo_fleet.last_day) - pd.Timedelta(days=30)
    import_frames(any_db, meters=meters, readings=readings[readings["ts"] >= since])
    return any_db, demo_fleet.last_day
