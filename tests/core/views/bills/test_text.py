"""How a bill finding reads: platform links, details described, bill ids masked, figures."""

import pytest

from core import masking
from core.errors import ConfigError
from core.views.bills import issues as bi
from core.views.bills import text as bt
from core.views.bills.issues import Filters
from tests.core.views.bills.billdata import ADMIN, ODD_ID


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


def test_figures_markdown(db):
    df, _ = bi.list_bill_issues(db, ADMIN, Filters(checks=("usage_outlier",)))
    text = bt.figures_markdown(df.iloc[0], "score: 6.1")
    assert "2025-03-01 to 2025-03-31 (31 days)" in text and "9,300 kWh" in text
    assert "300.0 kWh/day" in text and "$1,395.00" in text and "$0.1500 per kWh" in text
    assert "20.0 kW" in text and "**Details** score\\:\u200b 6\\.1" in text  # data: plain text
