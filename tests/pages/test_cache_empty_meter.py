"""Pages on a remote warehouse read through the app cache: a meter with no cached readings.

Through the cache an aggregate over no rows used to come back as NaT, not None, and the Meter
explorer and every sandbox model on such a meter stopped with a traceback.
"""

import pandas as pd
import pytest

from core.auth import User
from core.db import open_warehouse
from tests.pages.pagetest import app, rendered

ADMIN = User("ada", "Ada", "admin", None)
METER = "m-quiet"


@pytest.fixture
def remote(pg_url, tmp_path, monkeypatch):
    """A PostgreSQL warehouse with one meter and no readings; pages read the app cache."""
    db = open_warehouse(pg_url)
    db.insert_df(
        "meters",
        pd.DataFrame(
            {
                "meter_id": [METER],
                "building_id": ["b-quiet"],
                "account_id": ["acc-q"],
                "kind": ["electricity"],
                "unit": ["kWh"],
                "building_name": ["Quiet building"],
                "account_name": ["Quiet account"],
                "timezone": ["UTC"],
                "dq_enabled": [True],
                "account_active": [True],
                "building_archived": [False],
                "interval_minutes": [15],
            }
        ),
    )
    monkeypatch.setenv("DQ_CACHE_PATH", str(tmp_path / "cache.duckdb"))
    return db


def test_explorer_shows_a_message_for_a_meter_with_no_cached_readings(remote, pg_url, monkeypatch):
    at = app("explorer", pg_url, monkeypatch, ADMIN, query={"meter": METER}).run()
    assert not at.exception, at.exception
    text, _ = rendered(at)
    assert f"No readings for {METER}" in text


@pytest.mark.parametrize(
    "model, says",
    [
        ("baseline", "This meter has no readings"),  # a model that needs history says so
        ("spike_positive", "flags **0** readings"),  # a detector finds nothing to flag
    ],
)
def test_sandbox_model_shows_a_message_for_a_meter_with_no_cached_readings(
    remote, pg_url, monkeypatch, model, says
):
    at = app("sandbox", pg_url, monkeypatch, ADMIN, query={"model": model, "meter": METER}).run()
    assert not at.exception, at.exception
    text, _ = rendered(at)
    assert says in text, text
