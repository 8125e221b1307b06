import pandas as pd

from core.ingest import import_files

HEADER = (
    "bill_id,account_id,building_id,meter_id,commodity,"
    "period_start,period_end,usage,usage_unit,cost"
)


def test_cost_normalised_bad_rows_and_replace(db, meters_csv, write_csv):
    path = write_csv(
        "bills.csv",
        f"""{HEADER},estimated
        B1,a1,b1,m1,electricity,2024-01-01,2024-01-31,"1,200",kWh,"$1,234.50",
        B2,a1,b1,,Gas,2024-01-01,2024-01-31,100,therm,(12.00),yes
        B3,a1,b1,m1,electricity,2024-02-01,2024-01-31,1,kWh,10,
        B4,a1,b1,m9,electricity,2024-01-01,2024-01-31,1,kWh,10,
        B5,a1,b1,m1,electricity,2024-01-01,2024-01-31,1,kWh,"1.234,50",
        B6,a1,b1,m1,electricity,Jan 1,2024-01-31,1,kWh,,
        """,
    )
    report = import_files(db, meters=meters_csv, bills=path)
    rows = db.fetch_all(
        "SELECT bill_id, meter_id, commodity, usage, cost, estimated FROM bills ORDER BY bill_id"
    )
    assert rows == [
        ("B1", "m1", "electricity", 1200.0, 1234.5, False),
        ("B2", None, "gas", 100.0, -12.0, True),
    ]
    assert list(report.bad_rows["reason"]) == [
        "line 4: period_end '2024-01-31' is before period_start '2024-02-01'",
        "line 5: meter_id 'm9' is not a known meter (not in the warehouse nor in the meters file)",
        "line 6: cost '1.234,50' is not a number",
        "line 7: period_start 'Jan 1' is not a date (YYYY-MM-DD)",
    ]
    assert list(report.bad_rows["bill_id"]) == ["B3", "B4", "B5", "B6"]
    file = report.file("bills")
    assert (file.rows_loaded, file.bad_rows, file.normalised_costs) == (2, 4, 2)
    assert "2 costs normalised" in report.summary()

    again = write_csv(
        "again.csv", f"{HEADER}\nB1,a1,b1,m1,electricity,2024-01-01,2024-01-31,1,kWh,99"
    )
    import_files(db, bills=again)
    assert db.fetch_all("SELECT bill_id, cost FROM bills ORDER BY 1") == [
        ("B1", 99.0),
        ("B2", -12.0),
    ]


def test_bill_for_a_meter_stored_earlier(db, meters_csv, tmp_path):
    import_files(db, meters=meters_csv)
    frame = pd.DataFrame(
        {
            "bill_id": ["B1"],
            "account_id": ["a1"],
            "building_id": ["b1"],
            "meter_id": ["m2"],
            "commodity": ["water"],
            "period_start": [pd.Timestamp("2024-01-01")],
            "period_end": [pd.Timestamp("2024-01-31")],
            "usage": [10.0],
            "usage_unit": ["gal"],
            "cost": [5.5],
            "demand_kw": [None],
        }
    )
    frame.to_parquet(tmp_path / "bills.parquet")
    report = import_files(db, bills=tmp_path / "bills.parquet")
    assert report.ok
    assert db.fetch_all("SELECT meter_id, period_end, cost FROM bills") == [
        ("m2", pd.Timestamp("2024-01-31").date(), 5.5)
    ]
