"""The platform's meters and bills landed in the warehouse (core.ingest.platform), both engines."""

from __future__ import annotations

import pytest

from core.errors import SourceError
from core.ingest import platform
from tests import platformdb

pytestmark = pytest.mark.integration

METERS = (
    "SELECT meter_id, building_id, account_id, kind, unit, building_name, account_name, "
    "timezone, dq_enabled, account_active, building_archived, interval_minutes "
    "FROM meters ORDER BY meter_id"
)
BILLS = "SELECT bill_id, meter_id, commodity FROM bills ORDER BY bill_id"


def _rows(db, sql):
    return [tuple(r) for r in db.fetch_all(sql)]


def test_meters_and_bills_land_with_names_and_eligibility(any_db, platform_url):
    landed = platform.land(any_db, platform_url)

    assert landed.line() == (
        "platform: 3 meters (1 of other kinds left out), 4 bills (0 removed), 2 bad rows"
    )
    assert _rows(any_db, METERS) == [
        ("m-depot", "71", "7", "electricity", "kWh", "Depot", "Northwind", "UTC",
         True, True, True, 15),
        ("m-hq-main", "70", "7", "electricity", "kWh", "HQ", "Northwind", "America/Chicago",
         True, True, False, 15),
        ("m-hq-water", "70", "7", "water", "gal", "HQ", "Northwind", "America/Chicago",
         True, True, False, 60),
    ]  # fmt: skip
    # The gas meter is left out; its building's gas bill lands without a meter. 9005 (steam,
    # its end before its start) is rejected, named by its id; 9004 is deleted on the platform.
    assert _rows(any_db, BILLS) == [
        ("9001", "m-hq-main", "electricity"),
        ("9002", "m-hq-main", "electricity"),
        ("9003", None, "gas"),
    ]
    bad = landed.report.bad_rows
    assert set(bad.bill_id) == {"9005"} and len(bad) == 2
    assert any("commodity 'steam'" in reason for reason in bad.reason)


def test_landing_again_changes_nothing(any_db, platform_url):
    platform.land(any_db, platform_url)
    meters, bills = _rows(any_db, METERS), _rows(any_db, BILLS)
    again = platform.land(any_db, platform_url)
    assert (again.meters, again.bills, again.bills_removed) == (3, 4, 0)
    assert _rows(any_db, METERS) == meters and _rows(any_db, BILLS) == bills


def test_the_warehouse_follows_the_platform(any_db, platform_url):
    platform.land(any_db, platform_url)
    platformdb.execute(
        platform_url,
        "UPDATE meters SET dq_enabled = false WHERE uid = 'm-hq-main'",
        "UPDATE accounts SET is_active = false, name = 'Northwind Ltd' WHERE id = 7",
        "UPDATE buildings SET archived_at = NULL WHERE id = 71",
        "UPDATE utility_bills SET deleted_at = now() WHERE id = 9002",
        "UPDATE utility_bills SET total_charges = 210 WHERE id = 9001",
    )

    landed = platform.land(any_db, platform_url)

    assert landed.bills_removed == 1
    meters = any_db.fetch_df(METERS).set_index("meter_id")
    assert meters.loc["m-hq-main", "dq_enabled"] == False  # noqa: E712
    assert not meters["account_active"].any()
    assert set(meters["account_name"]) == {"Northwind Ltd"}
    assert meters.loc["m-depot", "building_archived"] == False  # noqa: E712
    assert [b for b, _, _ in _rows(any_db, BILLS)] == ["9001", "9003"]
    assert any_db.fetch_value("SELECT cost FROM bills WHERE bill_id = '9001'") == 210.0


def test_a_platform_that_is_down_writes_nothing(any_db, monkeypatch):
    monkeypatch.setenv("DQ_CONNECT_TIMEOUT_SECONDS", "2")
    with pytest.raises(SourceError, match=r"postgresql://u:\*\*\*@127.0.0.1:1/platform"):
        platform.land(any_db, "postgresql://u:secret@127.0.0.1:1/platform")
    assert any_db.fetch_value("SELECT count(*) FROM meters") == 0
    assert any_db.fetch_value("SELECT count(*) FROM bills") == 0
