"""Bill findings seeded as the bills job writes them: shared by the bills view and page tests.

Two accounts: acc-a (Alpha Corp: meters m1, m2) and acc-b (Beta Corp: meter m3), six monthly
bills per meter and seven bill findings (see :func:`seed`).
"""

import json
from datetime import date, datetime

import pandas as pd

from core.auth import User

ADMIN = User("ada", "Ada", "admin", None)
STAFF_A = User("sam", "Sam", "staff", frozenset({"acc-a"}))
NOBODY = User("nina", "Nina", "staff", frozenset())
T = pd.Timestamp
STATUS_AT = datetime(2025, 7, 2)


def add_meter(db, meter_id, building, account, building_name, account_name):
    db.execute(
        "INSERT INTO meters (meter_id, building_id, account_id, kind, unit, building_name, "
        "account_name, timezone, dq_enabled, account_active, building_archived, "
        "interval_minutes) VALUES (?, ?, ?, 'electricity', 'kWh', ?, ?, 'UTC', TRUE, TRUE, "
        "FALSE, 15)",
        (meter_id, building, account, building_name, account_name),
    )


def add_bill(
    db,
    bill_id,
    meter_id,
    building,
    account,
    start,
    end,
    usage,
    cost,
    *,
    estimated=False,
    demand_kw=None,
    unit="kWh",
):
    db.execute(
        "INSERT INTO bills (bill_id, account_id, building_id, meter_id, commodity, period_start, "
        "period_end, usage, usage_unit, cost, demand_kw, estimated) VALUES "
        "(?, ?, ?, ?, 'electricity', ?, ?, ?, ?, ?, ?, ?)",
        (
            bill_id,
            account,
            building,
            meter_id,
            date.fromisoformat(start),
            date.fromisoformat(end),
            usage,
            unit,
            cost,
            demand_kw,
            estimated,
        ),
    )


def add_finding(
    db,
    issue_id,
    check,
    bill_id,
    meter_id,
    building,
    account,
    start,
    end,
    *,
    severity="medium",
    status="open",
    magnitude=1.0,
    details=None,
    note=None,
):
    """A bill finding as the bills job writes it: end_ts = period end + 1 day."""
    db.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, building_id, meter_id, "
        "bill_id, start_ts, end_ts, severity, magnitude, details, first_seen_run, last_seen_run, "
        "status, status_by, status_at, status_note) VALUES "
        "(?, 'bill', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'r1', 'r1', ?, 'system', ?, ?)",
        (
            issue_id,
            check,
            account,
            building,
            meter_id,
            bill_id,
            T(start).to_pydatetime(),
            (T(end) + pd.Timedelta(days=1)).to_pydatetime(),
            severity,
            magnitude,
            json.dumps(details or {}),
            status,
            STATUS_AT,
            note,
        ),
    )


MONTHS = [
    ("2025-01-01", "2025-01-31"),
    ("2025-02-01", "2025-02-28"),
    ("2025-03-01", "2025-03-31"),
    ("2025-04-01", "2025-04-30"),
    ("2025-05-01", "2025-05-31"),
    ("2025-06-01", "2025-06-30"),
]
ODD_ID = "INV 2025/03?x=1#a"  # a bill id that must be URL-quoted


def seed(db):
    """Two accounts: acc-a (Alpha Corp: meters m1, m2) and acc-b (Beta Corp: meter m3)."""
    add_meter(db, "m1", "b1", "acc-a", "Alpha Tower", "Alpha Corp")
    add_meter(db, "m2", "b2", "acc-a", "Alpha Depot", "Alpha Corp")
    add_meter(db, "m3", "b3", "acc-b", "Beta Plaza", "Beta Corp")
    for n, (s, e) in enumerate(MONTHS):
        bill_id = ODD_ID if n == 2 else f"bl-m1-{s[:7]}"
        usage = 9300.0 if n == 2 else 3100.0 + 10 * n
        add_bill(
            db,
            bill_id,
            "m1",
            "b1",
            "acc-a",
            s,
            e,
            usage,
            usage * 0.15,
            estimated=n == 4,
            demand_kw=20.0,
        )
        add_bill(db, f"bl-m3-{s[:7]}", "m3", "b3", "acc-b", s, e, 5000.0, 1000.0 + 400 * (n == 5))
    add_bill(db, "bl-m2-2025-04", "m2", "b2", "acc-a", "2025-04-01", "2025-04-30", 0.0, 25.0)
    add_bill(db, "bl-b1-2025-05", None, "b1", "acc-a", "2025-05-01", "2025-05-31", -10.0, 12.0)
    add_finding(
        db,
        "f-out",
        "usage_outlier",
        ODD_ID,
        "m1",
        "b1",
        "acc-a",
        *MONTHS[2],
        severity="high",
        magnitude=6.1,
        details={"baseline_per_day": 102.3, "score": 6.1, "usage": 9300.0},
    )
    add_finding(
        db,
        "f-gap",
        "bill_gap",
        "bl-m1-2025-05",
        "m1",
        "b1",
        "acc-a",
        *MONTHS[4],
        severity="high",
        details={"gap_days": 3, "previous_bill_id": "bl-m1-2025-04"},
    )
    add_finding(db, "f-zero", "zero_usage", "bl-m2-2025-04", "m2", "b2", "acc-a", *MONTHS[3])
    add_finding(
        db,
        "f-neg",
        "negative_value",
        "bl-b1-2025-05",
        None,
        "b1",
        "acc-a",
        *MONTHS[4],
        severity="low",
    )
    add_finding(
        db,
        "f-done",
        "period_length",
        "bl-m1-2025-01",
        "m1",
        "b1",
        "acc-a",
        *MONTHS[0],
        status="resolved",
        note="checked",
    )
    add_finding(
        db,
        "f-gone",
        "bill_duplicate",
        "bl-gone",
        "m1",
        "b1",
        "acc-a",
        "2025-02-01",
        "2025-02-28",
        severity="low",
        details={
            "period": "2025-02-01/2025-02-28",
            "usage": 2800.0,
            "usage_unit": "kWh",
            "cost": 420.0,
            "estimated": True,
            "duplicate_of": "bl-m1-2025-02",
        },
    )
    add_finding(
        db,
        "f-beta",
        "unit_rate_outlier",
        "bl-m3-2025-06",
        "m3",
        "b3",
        "acc-b",
        *MONTHS[5],
        severity="high",
        details={"rate": 0.28, "baseline_rate": 0.2},
    )
    return db
