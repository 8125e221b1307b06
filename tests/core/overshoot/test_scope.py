"""What a month's scan covers: the month's bounds, chunks of whole buildings, blocked days."""

import datetime as dt

import pandas as pd

from core.overshoot.detect import Params
from core.overshoot.scope import MonthScope, blocked_days, month_bounds


def test_month_bounds_roll_over_the_year():
    assert month_bounds("2026-03") == (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    assert month_bounds("2026-12") == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))


def _scope(buildings):
    ids = [b for b, n in buildings for _ in range(n)]
    meters = pd.DataFrame(
        {
            "meter_id": [f"{b}{i}" for i, b in enumerate(ids)],
            "building_id": ids,
            "interval_minutes": 15,
            "meter_index": range(len(ids)),
        }
    )
    empty = pd.DataFrame()
    return MonthScope("2026-03", pd.Timestamp(0), pd.Timestamp(0), empty, meters, empty)


def test_chunks_keep_buildings_whole():
    scope = _scope([("A", 3), ("B", 1), ("C", 2)])
    assert [c["building_id"].tolist() for c in scope.chunks(2)] == [
        ["A", "A", "A"],
        ["B", "C", "C"],
    ]
    assert [c["building_id"].tolist() for c in scope.chunks(1)] == [["A"] * 3, ["B"], ["C"] * 2]
    assert [c["building_id"].tolist() for c in scope.chunks(2, ["C"])] == [["C", "C"]]
    assert scope.chunks(2, ["Z"]) == []


def test_blocked_days_are_local_mornings_an_issue_overlaps():
    # New York is UTC-4 after 2026-03-08; the morning window is 04:00-11:00 local.
    issues = pd.DataFrame(
        {
            "building_id": ["A", "A", "A"],
            "start_ts": pd.to_datetime(
                ["2026-03-20 14:00", "2026-03-21 16:00", "2026-03-30 20:00"]
            ),
            "end_ts": pd.to_datetime(["2026-03-20 15:00", "2026-03-21 17:00", None]),
        }
    )  # 10:00-11:00 local (morning), 12:00-13:00 (afternoon), still going from 16:00
    zones = pd.Series({"A": "America/New_York"})
    start, end = pd.Timestamp("2026-02-28"), pd.Timestamp("2026-04-02")
    out = blocked_days(issues, zones, start, end, Params())
    days = sorted(out.itertuples(index=False, name=None))
    assert days == [("A", dt.date(2026, 3, 20)), ("A", dt.date(2026, 3, 31)),
                    ("A", dt.date(2026, 4, 1))]  # fmt: skip


def test_no_issue_blocks_nothing():
    none = pd.DataFrame(columns=["building_id", "start_ts", "end_ts"])
    out = blocked_days(none, pd.Series(dtype=str), pd.Timestamp(0), pd.Timestamp(1), Params())
    assert out.empty and list(out.columns) == ["building_id", "day"]
