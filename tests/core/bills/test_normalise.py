"""normalise: bad bills are reported with their id and skipped or repaired; the run goes on."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core.bills import REGISTRY
from core.bills.base import RESULT_COLUMNS, BillContext
from core.bills.normalise import BILL_COLUMNS, BillInputError, normalise

METERS = pd.DataFrame({"meter_id": ["m1", "w1"], "unit": ["kWh", "gal"]})
GOOD = {
    "bill_id": "ok", "account_id": "a1", "building_id": "bd1", "meter_id": "m1",
    "commodity": "electricity", "period_start": "2025-01-01", "period_end": "2025-01-31",
    "usage": "3000", "usage_unit": "kWh", "cost": "450.00", "demand_kw": "12.5",
    "estimated": "false",
}  # fmt: skip


def raw(*changes):
    """One good bill plus one bill per ``changes`` dict (ids bad0, bad1, ... unless given)."""
    rows = [GOOD] + [{**GOOD, "bill_id": f"bad{i}", **c} for i, c in enumerate(changes)]
    return pd.DataFrame(rows)


def one(change):
    return normalise(raw(change), METERS)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"period_end": "2024-12-20"},
         "bill bad0: period_end 2024-12-20 is before period_start 2025-01-01"),
        ({"usage": None}, "bill bad0: usage is missing"),
        ({"usage": ""}, "bill bad0: usage is missing"),
        ({"usage": "n/a"}, "bill bad0: usage 'n/a' is not a number"),
        ({"usage_unit": "furlongs"},
         "bill bad0: usage_unit 'furlongs' is not a known electricity unit (known: kWh, MWh, Wh)"),
        ({"usage_unit": "gal"}, "bill bad0: usage_unit 'gal' is not a known electricity unit"),
        ({"usage_unit": None}, "bill bad0: usage_unit is missing"),
        ({"meter_id": "m-404"}, "bill bad0: meter_id 'm-404' is not a known meter"),
        ({"period_start": "01/05/2025"}, "bill bad0: period_start '01/05/2025' is not a date"),
        ({"commodity": "steam"},
         "bill bad0: commodity 'steam' is not one of electricity, water, gas"),
        ({"bill_id": None}, "row 2: bill_id is missing"),
    ],
)  # fmt: skip
def test_skipped_with_the_id_and_the_value(change, reason):
    bills, skipped, _ = one(change)
    assert list(bills["bill_id"]) == ["ok"]  # the good bill is kept
    assert len(skipped) == 1
    assert skipped["reason"].iat[0].startswith(reason)
    expected_id = change.get("bill_id", "bad0")
    assert skipped["bill_id"].iat[0] == expected_id or (
        expected_id is None and pd.isna(skipped["bill_id"].iat[0])
    )


def test_every_reason_of_a_bill_is_listed():
    _, skipped, _ = one({"period_end": "2024-12-01", "usage": None, "meter_id": "zz"})
    reason = skipped["reason"].iat[0]
    assert reason.count("bill bad0:") == 3 and "; " in reason


@pytest.mark.parametrize(
    ("cost", "value", "note"),
    [
        ("$1,234.50", 1234.5, "bill bad0: cost '$1,234.50' read as 1234.5"),
        ("(12.00)", -12.0, "bill bad0: cost '(12.00)' read as -12.0"),
        ("€ 99", 99.0, "bill bad0: cost '€ 99' read as 99.0"),
        ("1.234,50", np.nan, "bill bad0: cost '1.234,50' is not a number; kept without a cost"),
        (None, np.nan, "bill bad0: cost is missing"),
        ("450.00", 450.0, None),
    ],
)
def test_costs_are_normalised_and_noted(cost, value, note):
    bills, skipped, notes = one({"cost": cost})
    assert skipped.empty
    got = bills.set_index("bill_id").loc["bad0", "cost"]
    assert got == value or (np.isnan(value) and np.isnan(got))
    assert list(notes["note"]) == ([note] if note else [])


@pytest.mark.parametrize(
    ("commodity", "unit", "usage", "canonical", "expected"),
    [
        ("electricity", "kwh", "3000", "kWh", 3000.0),
        ("electricity", "KWH", "3,000", "kWh", 3000.0),
        ("electricity", "MWh", "3", "kWh", 3000.0),
        ("water", "gal", "500", "gal", 500.0),
        ("water", "kgal", "2", "gal", 2000.0),
        ("water", "CCF", "1", "gal", 748.052),
        ("gas", "Therms", "40", "therm", 40.0),
        ("gas", "ccf", "100", "therm", 103.7),
        ("gas", "Dth", "4", "therm", 40.0),
    ],
)
def test_units(commodity, unit, usage, canonical, expected):
    meter = "w1" if commodity == "water" else ("m1" if commodity == "electricity" else None)
    bills, skipped, notes = one(
        {"commodity": commodity, "usage_unit": unit, "usage": usage, "meter_id": meter}
    )
    assert skipped.empty
    row = bills.set_index("bill_id").loc["bad0"]
    assert row["usage_unit"] == canonical
    assert row["usage"] == pytest.approx(expected)
    converted = notes["note"].str.contains("converted").any()
    assert converted == (unit.lower() not in {"kwh", "gal", "therms"})


def test_types_days_and_order():
    frame = raw(
        {"bill_id": "b-late", "period_start": "2025-03-01", "period_end": "2025-03-31"},
        {"bill_id": "b-unmetered", "meter_id": "", "estimated": "yes"},
        {"bill_id": "b-water", "meter_id": "w1", "commodity": "Water", "usage_unit": "gal"},
    )
    bills, skipped, notes = normalise(frame, METERS)
    assert skipped.empty and notes.empty
    assert list(bills.columns) == [*BILL_COLUMNS, "days"]
    assert list(bills["bill_id"]) == ["ok", "b-late", "b-water", "b-unmetered"]
    assert bills["meter_id"].isna().tolist() == [False, False, False, True]
    assert list(bills["days"]) == [31, 31, 31, 31]
    assert bills["estimated"].dtype == bool
    assert bills["estimated"].tolist() == [False, False, False, True]
    assert pd.api.types.is_datetime64_any_dtype(bills["period_start"])
    assert bills["usage"].dtype == float and bills["commodity"].iat[2] == "water"


def test_numbers_dates_and_booleans_that_are_already_typed():
    frame = pd.DataFrame(
        {
            "bill_id": ["a", "b"], "meter_id": ["m1", "m1"], "commodity": "electricity",
            "period_start": [dt.date(2025, 1, 1), pd.Timestamp("2025-02-01")],
            "period_end": pd.to_datetime(["2025-01-31", "2025-02-28"]),
            "usage": [3000.0, 2800.0], "usage_unit": "kWh", "cost": [450, 420],
            "estimated": [True, False],
        }
    )  # fmt: skip
    bills, skipped, notes = normalise(frame, METERS)
    assert skipped.empty and list(notes["note"]) == []
    assert list(bills["days"]) == [31, 28] and list(bills["cost"]) == [450.0, 420.0]
    assert bills["account_id"].isna().all()  # optional columns may be absent


def test_a_repeated_bill_id_keeps_the_last_valid_row():
    frame = raw({"bill_id": "ok", "usage": "3100"}, {"bill_id": "ok", "usage": None})
    bills, skipped, notes = normalise(frame, METERS)
    assert list(bills["usage"]) == [3100.0]
    assert list(skipped["bill_id"]) == ["ok"]  # the last row is bad: reported
    assert notes["note"].str.contains("appears again").sum() == 1


def test_bad_values_in_optional_columns_are_noted():
    bills, skipped, notes = one({"demand_kw": "lots", "estimated": "maybe"})
    assert skipped.empty
    row = bills.set_index("bill_id").loc["bad0"]
    assert np.isnan(row["demand_kw"]) and not row["estimated"]
    assert notes["note"].str.contains("demand_kw 'lots' is not a number").any()
    assert notes["note"].str.contains("estimated 'maybe' is not a boolean").any()


def test_a_missing_required_column_names_it():
    with pytest.raises(BillInputError, match="usage_unit"):
        normalise(raw().drop(columns=["usage_unit"]), METERS)


def test_empty_input():
    bills, skipped, notes = normalise(pd.DataFrame(columns=list(BILL_COLUMNS)), METERS)
    assert bills.empty and skipped.empty and notes.empty
    assert list(bills.columns) == [*BILL_COLUMNS, "days"]


def test_the_run_goes_on_after_bad_bills():
    """Every bad input of the issue at once: each reported, the rest checked by every check."""
    frame = raw(
        {"period_end": "2024-12-20"},
        {"usage": None},
        {"usage_unit": "bushels"},
        {"cost": "$1,234.50"},
        {"meter_id": "m-unknown"},
        {"bill_id": "ok-feb", "period_start": "2025-02-01", "period_end": "2025-02-28"},
    )
    bills, skipped, notes = normalise(frame, METERS)
    assert list(skipped["bill_id"]) == ["bad0", "bad1", "bad2", "bad4"]
    assert all(
        r.startswith(f"bill {b}:")
        for b, r in zip(skipped["bill_id"], skipped["reason"], strict=True)
    )
    assert list(notes["bill_id"]) == ["bad3"]
    assert set(bills["bill_id"]) == {"ok", "bad3", "ok-feb"}
    no_readings = pd.DataFrame(columns=["bill_id", "interval_sum", "coverage"])
    ctx = BillContext(dt.date(2025, 3, 15), bills, METERS, no_readings)
    for module in REGISTRY.values():
        assert list(module.check(ctx, module.Params()).columns) == RESULT_COLUMNS
