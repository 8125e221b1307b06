"""Building demand from readings: spreading, the all-meters rule, duplicates, chunks."""

import numpy as np
import pandas as pd
import pytest

from core.overshoot import demand, scope

MONTH = "2026-03"
T0 = pd.Timestamp("2026-03-10 00:00")


def _meter(meter_id, building_id, interval=15, kind="electricity", tz="UTC", enabled=True):
    return {
        "meter_id": meter_id,
        "building_id": building_id,
        "account_id": "acct",
        "kind": kind,
        "unit": "kWh",
        "building_name": building_id,
        "account_name": "Acct",
        "timezone": tz,
        "dq_enabled": enabled,
        "account_active": True,
        "building_archived": False,
        "interval_minutes": interval,
    }


def _readings(meter_id, minutes, values, source="platform"):
    return pd.DataFrame(
        {
            "meter_id": meter_id,
            "ts": [T0 + pd.Timedelta(minutes=m) for m in minutes],
            "value": [float(v) for v in values],
            "source": source,
        }
    )


def build(db):
    """A: a 15-minute and an hourly meter (the 15-minute one misses 01:15); B: two different
    readings on one slot; C: its meter listed twice; D: a 5-minute meter (off the 15-minute
    grid); E: a 30-minute meter. A's water meter, its disabled meter and its raw readings
    must not count."""
    db.insert_df(
        "meters",
        pd.DataFrame(
            [
                _meter("a15", "A", tz="Europe/Berlin"),
                _meter("a60", "A", 60, tz="Europe/Berlin"),
                _meter("a_water", "A", kind="water", tz="Europe/Berlin"),
                _meter("a_off", "A", enabled=False, tz="Europe/Berlin"),
                _meter("b15", "B"),
                _meter("c15", "C"),
                _meter("c15", "C"),
                _meter("d5", "D", 5),
                _meter("e30", "E", 30),
            ]
        ),
    )
    db.insert_df(
        "readings",
        pd.concat(
            [
                _readings("a15", [0, 15, 30, 45, 60], [1, 2, 3, 4, 5]),
                _readings("a15", [0], [100], source="raw"),
                _readings("a60", [0, 60], [10, 20]),
                _readings("a_water", range(0, 120, 15), [50] * 8),
                _readings("a_off", range(0, 120, 15), [50] * 8),
                _readings("b15", [0, 0, 15], [1, 3, 2]),
                _readings("c15", [0], [1]),
                _readings("d5", [0, 5, 10], [1, 2, 3]),
                _readings("e30", [0], [5]),
            ],
            ignore_index=True,
        ),
    )


def expected():
    nan = np.nan
    rows = [
        # A: 15-minute kWh x 4 + the hourly kWh on each of its four slots; 01:15-01:45 miss a15
        ("A", 0, 14.0),
        ("A", 15, 18.0),
        ("A", 30, 22.0),
        ("A", 45, 26.0),
        ("A", 60, 40.0),
        ("A", 75, nan),
        ("A", 90, nan),
        ("A", 105, nan),
        ("B", 0, 8.0),
        ("B", 15, 8.0),  # (1 + 3) / 2 kWh on one slot: their mean, x 4
        ("C", 0, nan),  # two meter rows, one meter: never complete
        ("D", 0, 12.0),
        ("D", 5, 24.0),
        ("D", 10, 36.0),  # kWh x 60 / 5
        ("E", 0, 10.0),
        ("E", 15, 10.0),  # kWh x 2 on both slots
    ]
    return pd.DataFrame(
        {
            "building_id": [b for b, _, _ in rows],
            "ts": [T0 + pd.Timedelta(minutes=m) for _, m, _ in rows],
            "kw": [kw for _, _, kw in rows],
            "timezone": ["Europe/Berlin" if b == "A" else "UTC" for b, _, _ in rows],
            "slot_minutes": 15,
        }
    )


def _plain(frame):
    out = frame.astype({"building_id": str, "timezone": str}).reset_index(drop=True)
    out["ts"] = out["ts"].astype("datetime64[ns]")
    return out[demand.DEMAND_COLUMNS]


def test_load_month_sums_every_meter_on_the_15_minute_grid(fresh_db):
    build(fresh_db)
    load, blocked, buildings = demand.load_month(fresh_db, MONTH)
    pd.testing.assert_frame_equal(_plain(load), _plain(expected()))
    assert blocked.empty
    assert buildings["building_id"].tolist() == ["A", "B", "C", "D", "E"]


@pytest.mark.parametrize("prefetch", [True, False])
@pytest.mark.parametrize("chunk_meters", [1, 2, 3, 1000])
def test_chunks_give_the_same_demand(fresh_db, chunk_meters, prefetch):
    # chunk_meters=1: one building per chunk, so A, B, C, E take the dense path and D the
    # off-grid one; 1000: one chunk holding D, so everything goes the off-grid way.
    build(fresh_db)
    with fresh_db.transaction() as tx:
        month = scope.open_month(tx, MONTH)
        chunks = month.chunks(chunk_meters)
        assert all(c["building_id"].is_monotonic_increasing for c in chunks)
        assert sorted(set().union(*(set(c["building_id"]) for c in chunks))) == list("ABCDE")
        parts = list(demand.iter_demand(tx, month, chunk_meters, prefetch=prefetch))
    assert len(parts) == len(chunks) == (5 if chunk_meters == 1 else 1 if chunk_meters == 1000
                                         else len(parts))  # fmt: skip
    assert all(isinstance(p["building_id"].dtype, pd.CategoricalDtype) for p in parts)
    pd.testing.assert_frame_equal(_plain(pd.concat(parts)), _plain(expected()))


def test_load_month_of_some_buildings(fresh_db):
    build(fresh_db)
    load, _, buildings = demand.load_month(fresh_db, MONTH, building_ids=["E", "B"])
    want = _plain(expected())
    pd.testing.assert_frame_equal(
        _plain(load), want[want["building_id"].isin(["B", "E"])].reset_index(drop=True)
    )
    assert len(buildings) == 5  # the scope is still every building


def test_readings_outside_the_loaded_range_are_left_out(fresh_db):
    fresh_db.insert_df("meters", pd.DataFrame([_meter("m", "M")]))
    edge = pd.DataFrame(
        {
            "meter_id": "m",
            "value": 1.0,
            "source": "platform",
            "ts": pd.to_datetime(
                ["2026-02-27 23:45", "2026-02-28 00:00", "2026-04-01 23:45", "2026-04-02 00:00"]
            ),
        }
    )  # the month with one day of margin: [2026-02-28, 2026-04-02)
    fresh_db.insert_df("readings", edge)
    load, _, _ = demand.load_month(fresh_db, MONTH)
    assert load["ts"].dt.strftime("%m-%d %H:%M").tolist() == ["02-28 00:00", "04-01 23:45"]
    assert load["kw"].tolist() == [4.0, 4.0]


def test_no_readings_gives_an_empty_frame(fresh_db):
    fresh_db.insert_df("meters", pd.DataFrame([_meter("m", "M")]))
    load, blocked, buildings = demand.load_month(fresh_db, MONTH)
    assert load.empty and list(load.columns) == demand.DEMAND_COLUMNS
    assert blocked.empty and buildings["building_id"].tolist() == ["M"]


@pytest.mark.parametrize("off_grid", [False, True])
def test_the_sum_does_not_depend_on_the_row_order(fresh_db, off_grid):
    # 0.4 + 0.8 + 1.2 kW: (0.4 + 0.8) + 1.2 = 2.4000000000000004 but (0.8 + 1.2) + 0.4 = 2.4.
    # Meters are added in one fixed order, whatever order the database returns the rows in
    # (DuckDB's parallel scan does not keep one), so a rerun stores the same bits.
    meters = [_meter("m1", "S"), _meter("m2", "S"), _meter("m3", "S")]
    minutes = [0, 15] + ([7] if off_grid else [])
    fresh_db.insert_df("meters", pd.DataFrame(meters))
    fresh_db.insert_df(
        "readings",
        pd.concat(
            [
                _readings(m, minutes, [v] * len(minutes))
                for m, v in [("m1", 0.1), ("m2", 0.2), ("m3", 0.3)]
            ],
            ignore_index=True,
        ),
    )
    with fresh_db.transaction() as tx:
        month = scope.open_month(tx, MONTH)
        chunk = month.chunks()[0]
        rows = demand._fetch(tx, month, chunk)
    results = []
    for seed in range(6):
        order = np.random.default_rng(seed).permutation(len(rows["value"]))
        shuffled = {k: np.asarray(v)[order] for k, v in rows.items()}
        results.append(demand._demand(month, chunk, shuffled)["kw"].to_numpy())
    assert all(np.array_equal(r, results[0]) for r in results)
    assert results[0][0] == pytest.approx(2.4, rel=1e-15)
