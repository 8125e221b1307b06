"""Bill findings: filters, order, paging, figures, scope, history, triage, export."""

from datetime import date

import pandas as pd
import pytest

from core import masking, triage
from core.errors import DQHubError
from core.views import issues
from core.views.bills import issues as bi
from core.views.bills.issues import Filters
from tests.core.views.bills.billdata import ADMIN, NOBODY, ODD_ID, STAFF_A, STATUS_AT, T


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


def test_masked_export_hides_names_and_ids(db):
    csv = bi.export_csv(
        db, ADMIN, Filters(), lambda df: masking.mask_frame(df, "salt"), "salt"
    ).decode()
    for real in ("Alpha", "Beta", "bl-m1", "bl-m3", "INV", "acc-a", ",m1,", ",b1,"):
        assert real not in csv
    assert "Bill " in csv and "Account " in csv
    plain = bi.export_csv(db, ADMIN, Filters()).decode()
    assert "Alpha Corp" in plain and '""gap_days"": 3' in plain  # details as JSON text


def test_errors_are_dqhub_errors():
    assert issubclass(bi.FilterError, DQHubError) and issubclass(bi.NotFoundError, DQHubError)
