from core.ingest import import_files


def test_defaults_booleans_and_upsert(db, write_csv):
    first = write_csv(
        "meters.csv",
        """meter_id,building_id,account_id,kind,unit,dq_enabled,account_active,building_archived
        m1,b1,a1,Electricity,KWH,No,,YES
        m2,b1,a1,water,gal,1,false,0
        """,
    )
    report = import_files(db, meters=first)
    rows = db.fetch_all(
        "SELECT meter_id, kind, unit, timezone, dq_enabled, account_active, building_archived, "
        "interval_minutes FROM meters ORDER BY meter_id"
    )
    assert rows == [
        ("m1", "electricity", "kWh", "UTC", False, True, True, 15),
        ("m2", "water", "gal", "UTC", True, False, False, 15),
    ]
    assert report.file("meters").rows_loaded == 2
    update = write_csv(
        "update.csv",
        """meter_id,building_id,account_id,kind,unit,building_name,timezone,interval_minutes
        m1,b1,a1,electricity,kWh,HQ,europe/paris,60
        """,
    )
    import_files(db, meters=update)
    assert db.fetch_all(
        "SELECT meter_id, building_name, timezone, interval_minutes, dq_enabled "
        "FROM meters ORDER BY 1"
    ) == [("m1", "HQ", "Europe/Paris", 60, True), ("m2", None, "UTC", 15, True)]


def test_bad_meter_rows_and_duplicates(db, write_csv):
    path = write_csv(
        "meters.csv",
        """meter_id,building_id,account_id,kind,unit,timezone,dq_enabled,interval_minutes
        m1,b1,a1,electricity,kWh,UTC,true,15
        m2,b1,a1,gas,m3,UTC,true,15
        m3,b1,a1,electricity,gal,Mars/Olympus,maybe,30
        ,b1,a1,water,gal,UTC,true,15
        m1,b1,a1,electricity,kWh,UTC,true,15
        m1,b9,a1,electricity,kWh,UTC,true,15
        """,
    )
    report = import_files(db, meters=path)
    assert list(report.bad_rows["reason"]) == [
        "line 3: kind 'gas' is not one of electricity, water",
        "line 4: unit 'gal' does not match kind 'electricity' (expected kWh)",
        "line 4: timezone 'Mars/Olympus' is not an IANA time zone name",
        "line 4: interval_minutes '30' is not 15 or 60",
        "line 4: dq_enabled 'maybe' is not a boolean (true/false, 1/0, yes/no)",
        "line 5: meter_id is empty",
    ]
    assert db.fetch_all("SELECT meter_id, building_id FROM meters") == [("m1", "b9")]
    file = report.file("meters")
    assert (file.rows_read, file.bad_rows, file.exact_duplicates, file.conflicting_duplicates) == (
        6,
        3,
        1,
        1,
    )
    assert file.rows_loaded == 1
