"""Bill findings: filters, order, paging, figures, scope, history, chart, URL template, masking."""

import json
from datetime import date, datetime

import pandas as pd
import pytest

from core import masking, triage
from core.auth import User
from core.errors import ConfigError, DQHubError
from core.views import issues
from core.views.bills import charts as bill_charts
from core.views.bills import issues as bi
from core.views.bills import text as bt
from core.views.bills.issues import Filters

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


@pytest.fixture
def db(fresh_db):
    return seed(fresh_db)


def _ids(db, user=ADMIN, page=1, size=50, **filters):
    df, _ = bi.list_bill_issues(db, user, Filters(**filters), page, size)
    return list(df["issue_id"])


def test_sorted_by_severity_then_oldest_period(db):
    assert _ids(db) == ["f-out", "f-gap", "f-beta", "f-done", "f-zero", "f-gone", "f-neg"]


def test_rows_carry_the_bills_figures_and_names(db):
    df, total = bi.list_bill_issues(db, ADMIN, Filters(checks=("usage_outlier",)))
    assert total == 1 and list(df.columns) == bi.COLUMNS
    row = df.iloc[0]
    assert (row.account_name, row.building_name, row.bill_id) == (
        "Alpha Corp",
        "Alpha Tower",
        ODD_ID,
    )
    assert (row.period_start, row.period_end, row.days) == (T("2025-03-01"), T("2025-03-31"), 31)
    assert (row.usage, row.usage_unit, row.cost, row.demand_kw) == (9300.0, "kWh", 1395.0, 20.0)
    assert row.use_per_day == pytest.approx(300.0) and row.cost_per_unit == pytest.approx(0.15)
    assert row.details == {"baseline_per_day": 102.3, "score": 6.1, "usage": 9300.0}
    assert not row.estimated


def test_zero_usage_has_no_cost_per_unit_and_a_vanished_bill_keeps_its_copied_figures(db):
    df, _ = bi.list_bill_issues(db, ADMIN, Filters())
    rows = df.set_index("issue_id")
    assert rows.at["f-zero", "use_per_day"] == 0 and pd.isna(rows.at["f-zero", "cost_per_unit"])
    gone = rows.loc["f-gone"]  # no bills row: figures from details, period from start/end
    assert (gone.usage, gone.cost, gone.usage_unit, bool(gone.estimated)) == (
        2800.0,
        420.0,
        "kWh",
        True,
    )
    assert (gone.period_start, gone.period_end, gone.days) == (T("2025-02-01"), T("2025-02-28"), 28)
    assert pd.isna(rows.at["f-neg", "meter_id"]) and rows.at["f-neg", "usage"] == -10.0


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"checks": ("bill_gap", "zero_usage")}, {"f-gap", "f-zero"}),
        ({"severities": ("low",)}, {"f-gone", "f-neg"}),
        ({"statuses": ("resolved",)}, {"f-done"}),
        ({"accounts": ("acc-b",)}, {"f-beta"}),
        ({"buildings": ("b2",)}, {"f-zero"}),
        ({"start": date(2025, 4, 30), "end": date(2025, 5, 1)}, {"f-zero", "f-gap", "f-neg"}),
        ({"start": date(2025, 6, 1)}, {"f-beta"}),
        ({"end": date(2025, 1, 31)}, {"f-done"}),
        ({"checks": ("bill_gap",), "accounts": ("acc-b",)}, set()),
    ],
)
def test_filters(db, filters, expected):
    assert set(_ids(db, **filters)) == expected


def test_filter_validation():
    with pytest.raises(bi.FilterError, match="backwards"):
        Filters(start=date(2025, 5, 1), end=date(2025, 4, 1))
    with pytest.raises(bi.FilterError, match="Unknown statuses"):
        Filters(statuses=("closed",))
    assert Filters(checks=["bill_gap"]).checks == ("bill_gap",)


def test_paging_in_sql(db):
    everything = _ids(db)
    pages = [_ids(db, page=p, size=3) for p in (1, 2, 3, 4)]
    assert pages[0] + pages[1] + pages[2] == everything and pages[3] == []
    df, total = bi.list_bill_issues(db, ADMIN, Filters(), 3, 3)
    assert total == 7 and list(df["issue_id"]) == everything[6:]
    with pytest.raises(bi.FilterError):
        bi.list_bill_issues(db, ADMIN, Filters(), 0, 3)


def test_meter_issues_are_not_bill_findings(db):
    db.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, meter_id, severity, "
        "first_seen_run, last_seen_run, status, status_by, status_at) VALUES "
        "('meter1', 'meter', 'offline', 'acc-a', 'm1', 'high', 'r', 'r', 'open', 'system', ?)",
        (STATUS_AT,),
    )
    assert "meter1" not in _ids(db)
    assert bi.filter_options(db, ADMIN)["findings"] == 7


def test_staff_never_sees_other_accounts(db):
    ids = _ids(db, STAFF_A)
    assert "f-beta" not in ids and len(ids) == 6
    assert _ids(db, STAFF_A, accounts=("acc-b",)) == []  # asking for B is not a way in
    df, _ = bi.list_bill_issues(db, STAFF_A, Filters())
    assert "Beta Corp" not in set(df["account_name"]) and "b3" not in set(df["building_id"])
    assert _ids(db, NOBODY) == []
    opts = bi.filter_options(db, STAFF_A)
    assert opts["accounts"] == {"acc-a": "Alpha Corp"} and "b3" not in opts["buildings"]
    assert "unit_rate_outlier" not in opts["checks"] and opts["findings"] == 6
    with pytest.raises(bi.NotFoundError, match="Meter m3 does not exist"):
        bi.bill_history(db, STAFF_A, "m3")
    with pytest.raises(bi.NotFoundError, match="Meter nope does not exist"):
        bi.bill_history(db, STAFF_A, "nope")  # the same message as for another account's meter
    csv = bi.export_csv(db, STAFF_A, Filters()).decode()
    assert "Beta" not in csv and "bl-m3" not in csv and "f-beta," not in csv


def test_triage_of_a_bill_finding_uses_the_shared_rules(db):
    df, _ = bi.list_bill_issues(db, STAFF_A, Filters(checks=("bill_gap",)))
    changes = issues.changes(df, {0: {"status": "acknowledged", "note": "asked utility"}})
    assert triage.apply(db, STAFF_A, changes).saved == ["f-gap"]
    stale = triage.apply(db, STAFF_A, changes)  # the same edit again: someone changed it since
    assert "after you loaded it" in stale.refused[0][1]
    refused = triage.apply(db, STAFF_A, [triage.Change("f-beta", "ignored")])
    assert refused.refused == [("f-beta", "Issue f-beta does not exist")]


def test_filter_options(db):
    opts = bi.filter_options(db, ADMIN)
    assert opts["checks"][:3] == ["bill_gap", "bill_duplicate", "period_length"]  # contract order
    assert opts["accounts"] == {"acc-a": "Alpha Corp", "acc-b": "Beta Corp"}
    assert opts["buildings"]["b1"] == ("Alpha Tower", "acc-a")
    assert opts["findings"] == 7


def test_bill_history(db):
    h = bi.bill_history(db, STAFF_A, "m1")
    assert list(h["bill_id"]) == [
        "bl-m1-2025-01",
        "bl-m1-2025-02",
        ODD_ID,
        "bl-m1-2025-04",
        "bl-m1-2025-05",
        "bl-m1-2025-06",
    ]
    assert h["use_per_day"].iloc[2] == pytest.approx(300.0)
    assert h["cost_per_unit"].round(4).eq(0.15).all()
    assert list(h["checks"]) == ["period_length", "", "usage_outlier", "", "bill_gap", ""]
    assert bool(h["estimated"].iloc[4]) and h["days"].iloc[1] == 28


def test_history_charts_mark_the_flagged_bill_and_carry_no_ids(db):
    h = bi.bill_history(db, ADMIN, "m1")
    use, rate = (c.to_dict() for c in bill_charts.history_charts(h, ODD_ID))
    assert "kWh per day" in json.dumps(use) and "$ per kWh" in json.dumps(rate)
    for spec in (use, rate):
        rows = next(iter(spec["datasets"].values()))
        assert [r["bill"] for r in rows] == [
            "other finding",
            "no finding",
            "this bill",
            "no finding",
            "other finding",
            "no finding",
        ]
        assert not {k for r in rows for k in r} & {"bill_id", "meter_id", "account_id"}
        assert "bl-m1" not in json.dumps(spec) and "INV" not in json.dumps(spec)


def test_bill_url_quotes_the_id(monkeypatch):
    assert bt.bill_url("x") is None  # empty template: no link
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", "https://platform.example/bills/{bill_id}?tab=1")
    assert bt.bill_url("bl-1") == "https://platform.example/bills/bl-1?tab=1"
    assert bt.bill_url(ODD_ID) == "https://platform.example/bills/INV%202025%2F03%3Fx%3D1%23a?tab=1"
    assert bt.bill_url(None) is None
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", "javascript:alert({bill_id})")
    with pytest.raises(ConfigError, match="DQ_BILL_URL_TEMPLATE"):
        bt.bill_url("x")
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", "https://platform.example/bills/")
    with pytest.raises(ConfigError, match=r"\{bill_id\}"):
        bt.bill_url("x")


def test_describe_skips_the_figures():
    details = {
        "gap_days": 3,
        "previous_bill_id": "bl-9",
        "score": 6.123,
        "usage": 5.0,
        "meter_ids": ["m1", "m2"],
        "baseline_per_day": 1234.5,
        "note": None,
    }
    assert bt.describe(details) == (
        "gap_days: 3 · previous_bill_id: bl-9 · score: 6.12 · meter_ids: m1, m2 · "
        "baseline_per_day: 1,234"
    )


def test_mask_ids_hides_bill_ids_and_ids_named_in_details(db):
    df, _ = bi.list_bill_issues(db, ADMIN, Filters())
    df.at[0, "details"] = {**df.at[0, "details"], "meters": ["m1", "m3"], "method": "robust_z"}
    assert bt.mask_ids(db, df, None) is df  # screen-share mode off
    masked = bt.mask_ids(db, df, "salt").set_index("issue_id")
    text = masked.to_csv()
    assert masked.at["f-out", "bill_id"] == masking.pseudonym("Bill", ODD_ID, "salt")
    assert masked.at["f-gone", "details"]["duplicate_of"] == masking.pseudonym(
        "Bill", "bl-m1-2025-02", "salt"
    )  # a known id under any key
    assert masked.at["f-gap", "details"]["previous_bill_id"].startswith("Bill ")
    assert masked.at["f-out", "details"]["meters"] == [
        masking.pseudonym("Meter", m, "salt") for m in ("m1", "m3")
    ]
    assert masked.at["f-out", "details"]["method"] == "robust_z"  # not an id: kept
    assert "bl-m1" not in text and "INV" not in text
    assert df.at[0, "bill_id"] == ODD_ID  # the input is not changed


def test_masked_export_hides_names_and_ids(db):
    csv = bi.export_csv(
        db, ADMIN, Filters(), lambda df: masking.mask_frame(df, "salt"), "salt"
    ).decode()
    for real in ("Alpha", "Beta", "bl-m1", "bl-m3", "INV", "acc-a", ",m1,", ",b1,"):
        assert real not in csv
    assert "Bill " in csv and "Account " in csv
    plain = bi.export_csv(db, ADMIN, Filters()).decode()
    assert "Alpha Corp" in plain and '""gap_days"": 3' in plain  # details as JSON text


def test_figures_markdown(db):
    df, _ = bi.list_bill_issues(db, ADMIN, Filters(checks=("usage_outlier",)))
    text = bt.figures_markdown(df.iloc[0], "score: 6.1")
    assert "2025-03-01 to 2025-03-31 (31 days)" in text and "9,300 kWh" in text
    assert "300.0 kWh/day" in text and "$1,395.00" in text and "$0.1500 per kWh" in text
    assert "20.0 kW" in text and "**Details** score\\:\u200b 6\\.1" in text  # data: plain text


def test_errors_are_dqhub_errors():
    assert issubclass(bi.FilterError, DQHubError) and issubclass(bi.NotFoundError, DQHubError)
