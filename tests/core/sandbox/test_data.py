"""Sandbox data loaders: the DQ job's grid, the overshoot job's demand, scoped to the user."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core.auth import User
from core.db import connect
from core.overshoot.demand import load_month
from core.sandbox import data
from core.views import explorer
from core.views.explorer import NotFoundError

ADMIN = User("ada", "Ada", "admin", None)
STAFF = User("staff", "Demo staff", "staff", frozenset({"acc-01", "acc-02"}))


@pytest.fixture(scope="module")
def wh(scored_demo):
    url, day, _ = scored_demo
    return connect(url), day


def _meter(db, accounts, kind="electricity"):
    marks = ", ".join("?" for _ in accounts)
    return db.fetch_value(
        f"SELECT min(meter_id) FROM meters WHERE account_id IN ({marks}) AND kind = ? "
        "AND interval_minutes = 15",
        [*accounts, kind],
    )


def test_series_is_the_jobs_grid_of_the_explorers_readings(wh):
    db, day = wh
    meter_id = _meter(db, ["acc-01"])
    s = data.series(db, STAFF, meter_id, day)
    grid = s.platform
    assert grid.n_slots == data.WINDOW_DAYS * 96 and grid.score_from == (data.WINDOW_DAYS - 1) * 96
    assert grid.start == pd.Timestamp(day) - pd.Timedelta(days=29)
    points = explorer.readings(db, STAFF, meter_id, grid.start, grid.start + pd.Timedelta(days=30))
    platform = points[points.source == "platform"]
    slots = ((platform.ts - grid.start) // pd.Timedelta(minutes=15)).to_numpy()
    np.testing.assert_array_equal(grid.values[0, slots], platform.value.to_numpy())
    assert np.isnan(np.delete(grid.values[0], slots)).all()
    assert (s.kind, s.unit) == ("electricity", "kWh")


def test_another_accounts_meter_or_building_reads_like_a_missing_one(wh):
    db, day = wh
    meter_id = _meter(db, ["acc-03"])
    building = db.fetch_value("SELECT building_id FROM meters WHERE meter_id = ?", [meter_id])
    for call in (lambda: data.series(db, STAFF, meter_id, day),
                 lambda: data.bills(db, STAFF, meter_id),
                 lambda: data.meter_days(db, STAFF, meter_id)):  # fmt: skip
        with pytest.raises(NotFoundError, match=f"Meter {meter_id} does not exist"):
            call()
    for call in (lambda: data.demand(db, STAFF, building, f"{day:%Y-%m}"),
                 lambda: data.months(db, STAFF, building)):  # fmt: skip
        with pytest.raises(NotFoundError, match=f"Building {building} does not exist"):
            call()


def test_pickers_list_only_the_users_accounts(wh):
    db, _ = wh
    for frame in (data.meters(db, STAFF), data.buildings(db, STAFF), data.bill_meters(db, STAFF)):
        assert len(frame) and set(frame["account_id"]) <= {"acc-01", "acc-02"}
    assert len(data.meters(db, ADMIN)["account_id"].unique()) > 2
    hit = data.latest_issue(db, STAFF, "spike_positive")
    if hit is not None:
        acc = db.fetch_value("SELECT account_id FROM meters WHERE meter_id = ?", [hit[0]])
        assert acc in STAFF.accounts
    meter_id, day = data.latest_issue(db, ADMIN, "spike_positive")
    first, last = data.meter_days(db, ADMIN, meter_id)
    assert first <= day <= last


def test_building_demand_matches_the_overshoot_jobs_loader(wh):
    db, day = wh
    month = f"{day:%Y-%m}"
    building = data.buildings(db, ADMIN).sort_values("meters")["building_id"].iloc[-1]
    ours = data.demand(db, ADMIN, building, month)
    job, _, _ = load_month(db, month)
    job = job[job["building_id"] == building].set_index("ts")["kw"]
    mine = ours.demand.set_index("ts")["kw"]
    both = job.index.intersection(mine.index)
    assert len(both) > 0.9 * len(job)
    np.testing.assert_allclose(mine[both].to_numpy(), job[both].to_numpy(), rtol=1e-9)
    assert ours.meters >= 1 and ours.timezone
    months = data.months(db, ADMIN, building)
    assert month in months and list(months) == sorted(months, reverse=True)


def test_bills_are_normalised_with_the_jobs_findings(wh):
    db, _ = wh
    meters = data.bill_meters(db, ADMIN)
    meter_id = meters.sort_values("bills")["meter_id"].iloc[-1]
    bills = data.bills(db, ADMIN, meter_id)
    assert len(bills) == meters.set_index("meter_id").loc[meter_id, "bills"]
    assert {"days", "findings", "usage", "cost"} <= set(bills.columns)
    assert (bills["meter_id"] == meter_id).all()


def test_synthetic_data_needs_no_warehouse():
    s = data.series(None, None, data.SYNTHETIC, dt.date(2025, 3, 12))
    assert s.synthetic and s.raw is not None and s.platform.n_slots == 2880
    assert data.bills(None, None, data.SYNTHETIC)["findings"].eq("").all()
    assert data.demand(None, None, data.SYNTHETIC, "2025-01").synthetic
    assert data.temperature(None, None, data.SYNTHETIC, dt.date(2025, 3, 12)).synthetic
    assert data.meters(None, None).empty and data.buildings(None, None).empty


def test_a_temperature_table_is_used_when_present(fresh_db):
    fresh_db.execute(
        "INSERT INTO meters VALUES ('m1', 'b1', 'acc-01', 'electricity', 'kWh', "
        "'B', 'A', 'UTC', TRUE, TRUE, FALSE, 15)"
    )
    day = dt.date(2025, 3, 12)
    made_up = data.temperature(fresh_db, ADMIN, "m1", day)
    assert made_up.synthetic
    fresh_db.execute(
        f"CREATE TABLE {data.TEMPERATURE_TABLE} (building_id VARCHAR, ts TIMESTAMP, temp_c DOUBLE)"
    )
    hours = pd.date_range(pd.Timestamp(day) - pd.Timedelta(days=30), periods=32 * 24, freq="h")
    fresh_db.insert_df(
        data.TEMPERATURE_TABLE, pd.DataFrame({"building_id": "b1", "ts": hours, "temp_c": 7.5})
    )
    real = data.temperature(fresh_db, ADMIN, "m1", day)
    assert not real.synthetic and real.source == data.TEMPERATURE_TABLE
    assert len(real.values) == 2880 and np.allclose(real.values, 7.5)
    with pytest.raises(NotFoundError):
        data.temperature(fresh_db, User("x", "X", "staff", frozenset({"acc-09"})), "m1", day)
