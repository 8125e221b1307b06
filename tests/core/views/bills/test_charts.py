"""A meter's bill history charts: the flagged bill marked, no ids in the chart data."""

import json

from core.views.bills import charts as bill_charts
from core.views.bills import issues as bi
from tests.core.views.bills.billdata import ADMIN, ODD_ID


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
