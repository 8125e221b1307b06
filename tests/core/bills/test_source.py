"""Bill sources: the warehouse's own tables, and the platform's PostgreSQL through one SQL file."""

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest

from core.bills import job, source
from core.errors import ConfigError
from core.ingest import platform
from tests import platformdb

METERS = pd.DataFrame(
    {
        "meter_id": ["m1", "m2"],
        "building_id": ["b1", "b1"],
        "account_id": ["a1", "a1"],
        "kind": ["electricity", "water"],
        "unit": ["kWh", "gal"],
        "building_name": None,
        "account_name": None,
        "timezone": ["Europe/London", "UTC"],
        "dq_enabled": True,
        "account_active": True,
        "building_archived": False,
        "interval_minutes": [15, 60],
    }
)
BILLS = pd.DataFrame(
    {
        "bill_id": ["B2", "B1", "B0"],
        "account_id": "a1",
        "building_id": "b1",
        "meter_id": ["m1", "m1", None],
        "commodity": ["electricity", "electricity", "gas"],
        "period_start": [date(2026, 2, 1), date(2026, 1, 1), date(2026, 1, 1)],
        "period_end": [date(2026, 2, 28), date(2026, 1, 31), date(2026, 1, 31)],
        "usage": [120.0, 100.0, None],
        "usage_unit": ["kWh", "kWh", "therm"],
        "cost": [24.5, 20.0, 310.0],
        "demand_kw": [None, 4.0, None],
        "estimated": [False, True, False],
    }
)


# ---- embedded (the warehouse's tables) ---------------------------------------------------


def test_embedded_source_reads_the_warehouse_tables(fresh_db):
    fresh_db.insert_df("meters", METERS)
    fresh_db.insert_df("bills", BILLS)
    bills, meters = source.load_bills(fresh_db)  # DQ_PLATFORM_DB_URL defaults to empty
    assert list(bills.columns) == source.BILL_COLUMNS
    assert list(meters.columns) == source.METER_COLUMNS
    assert list(bills.bill_id) == ["B1", "B2", "B0"]  # by meter, then period; no meter last
    assert str(bills.period_start.dtype).startswith("datetime64")
    assert bills.period_end[0] == pd.Timestamp("2026-01-31")
    assert bills.usage.isna().tolist() == [False, False, True]
    assert bills.estimated.tolist() == [True, False, False]
    assert meters.set_index("meter_id").loc["m1", "timezone"] == "Europe/London"
    assert meters.account_active.all() and not meters.building_archived.any()


def test_empty_warehouse_gives_empty_frames_with_the_columns(fresh_db):
    bills, meters = source.load_bills(fresh_db, "")
    assert bills.empty and list(bills.columns) == source.BILL_COLUMNS
    assert meters.empty and list(meters.columns) == source.METER_COLUMNS


def test_unknown_scheme_is_a_config_error_without_the_password(fresh_db, monkeypatch):
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", "mysql://bills:hunter2@db.example/platform")
    with pytest.raises(ConfigError) as err:
        source.load_bills(fresh_db)
    message = str(err.value)
    assert "Unknown bill source scheme 'mysql'" in message and "postgresql" in message
    assert "DQ_PLATFORM_DB_URL" in message and "hunter2" not in message


@pytest.mark.parametrize("url", ["mysql://bills:hunter2@db.example/platform", "bills.sqlite"])
def test_landing_from_an_unknown_scheme_is_a_config_error_not_an_outage(fresh_db, url):
    """A bad setting stops the sync and the bill job; it is not a platform that is down."""
    with pytest.raises(ConfigError, match="Unknown bill source scheme") as err:
        platform.land(fresh_db, url)
    assert "hunter2" not in str(err.value)


def test_redact_hides_only_the_password():
    assert source.redact("postgresql://u:p%40ss@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert source.redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_the_sql_file_has_both_named_queries():
    queries = source.platform_queries()
    assert set(queries) == {"bills", "meters"}
    for name, sql in queries.items():
        assert sql.upper().startswith("SELECT") and ";" not in sql, name
        assert "--" not in sql


def test_unreachable_platform_is_a_source_error_naming_it(fresh_db, monkeypatch):
    pytest.importorskip("psycopg")
    monkeypatch.setenv("DQ_CONNECT_TIMEOUT_SECONDS", "2")
    url = "postgresql://bills:hunter2@127.0.0.1:1/platform"  # nothing listens on port 1
    with pytest.raises(source.SourceError) as err:
        source.load_bills(fresh_db, url)
    message = str(err.value)
    assert "postgresql://bills:***@127.0.0.1:1/platform" in message and "hunter2" not in message


# ---- the platform's PostgreSQL (integration) ---------------------------------------------


@pytest.mark.integration
def test_platform_tables_map_to_the_canonical_columns(fresh_db, platform_url, monkeypatch):
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", platform_url)
    bills, meters = source.load_bills(fresh_db)
    assert list(bills.columns) == source.BILL_COLUMNS
    by_id = bills.set_index("bill_id")
    assert list(bills.bill_id) == ["9005", "9001", "9002", "9003"]  # 9004 is soft-deleted
    jan = by_id.loc["9001"]
    assert (jan.account_id, jan.building_id, jan.meter_id, jan.commodity) == (
        "7",
        "70",
        "m-hq-main",
        "electricity",
    )
    assert (jan.period_start, jan.period_end) == (
        pd.Timestamp("2026-01-01"),
        pd.Timestamp("2026-01-31"),
    )
    assert (jan.usage, jan.usage_unit, jan.cost, jan.demand_kw, jan.estimated) == (
        1000.0,
        "kWh",
        200.0,
        11.0,
        True,
    )
    assert isinstance(jan.cost, float)  # NUMERIC arrives as float, not Decimal
    assert by_id.loc["9002", "estimated"] == False  # noqa: E712 - NULL means not estimated
    gas = by_id.loc["9003"]
    assert pd.isna(gas.meter_id) and gas.commodity == "gas" and pd.isna(gas.usage)
    # Bad rows pass through unconverted for the normaliser (or the import) to report by id.
    assert by_id.loc["9005", "commodity"] == "steam"
    assert by_id.loc["9005", "period_end"] < by_id.loc["9005", "period_start"]
    m = meters.set_index("meter_id")
    assert list(meters.columns) == source.METER_COLUMNS
    assert list(meters.meter_id) == ["m-depot", "m-hq-gas", "m-hq-main", "m-hq-water"]
    assert m.loc["m-hq-main"].tolist() == [
        "7",
        "70",
        "electricity",
        "kWh",
        15,
        "America/Chicago",
        True,
        False,
    ]
    assert m.loc["m-hq-water"].tolist() == [
        "7",
        "70",
        "water",
        "gal",
        60,
        "America/Chicago",
        True,
        False,
    ]
    assert m.loc["m-depot"].tolist() == [
        "7",
        "71",
        "electricity",
        "kWh",
        15,
        "UTC",
        True,
        True,
    ]  # archived
    assert m.loc["m-hq-gas", "kind"] == "gas"  # passed through: the sync leaves it out


@pytest.mark.integration
def test_the_meters_query_carries_names_and_the_dq_switch(fresh_db, platform_url):
    """The sync lands meters from the full query: names and ``dq_enabled`` (NULL = checked)."""
    _, meters = source.loader(platform_url)(fresh_db, platform_url)
    assert {"building_name", "account_name", "dq_enabled"} <= set(meters.columns)
    assert set(source.METER_COLUMNS) <= set(meters.columns)
    m = meters.set_index("meter_id")
    assert m.loc["m-hq-main", ["building_name", "account_name"]].tolist() == ["HQ", "Northwind"]
    assert m.loc["m-depot", "building_name"] == "Depot"
    assert m["dq_enabled"].tolist() == [True, True, True, True]

    platformdb.execute(platform_url, "UPDATE meters SET dq_enabled = false WHERE id = 700")
    _, meters = source.loader(platform_url)(fresh_db, platform_url)
    assert meters.set_index("meter_id")["dq_enabled"].to_dict() == {
        "m-depot": True,
        "m-hq-gas": True,
        "m-hq-main": False,
        "m-hq-water": True,
    }


@pytest.mark.integration
def test_the_bill_job_reads_the_platform_and_stores_in_the_warehouse(
    fresh_db, platform_url, monkeypatch
):
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", platform_url)
    ts = pd.date_range(
        "2026-01-01 06:00", "2026-02-01 06:00", freq="15min", inclusive="left"
    )  # Chicago days
    fresh_db.insert_df(
        "readings",
        pd.DataFrame({"meter_id": "m-hq-main", "ts": ts, "value": 0.5, "source": "platform"}),
    )

    def normalise(raw, meters):
        bad = raw.period_end < raw.period_start
        bills = raw[~bad].assign(days=(raw.period_end - raw.period_start).dt.days + 1)
        skipped = pd.DataFrame(
            {"bill_id": raw.bill_id[bad], "reason": "period_end is before period_start"}
        )
        return (
            bills.reset_index(drop=True),
            skipped.reset_index(drop=True),
            pd.DataFrame(columns=["bill_id", "note"]),
        )

    def coverage(ctx, params):
        u = ctx.interval_usage.merge(ctx.bills, on="bill_id")
        return pd.DataFrame(
            {
                "bill_id": u.bill_id,
                "meter_id": u.meter_id,
                "severity": "low",
                "magnitude": u.coverage,
                "details": [{"interval_sum": s} for s in u.interval_sum],
            }
        )

    @dataclass(frozen=True)
    class Params:
        """None."""

    monkeypatch.setattr(job, "_normalise", normalise)
    check = SimpleNamespace(NAME="coverage", Params=Params, check=coverage)
    summary = job.run(fresh_db, date(2026, 3, 10), registry={"coverage": check})
    # The job lands the platform's bills in the warehouse first: 9005 (steam, its end before
    # its start) is rejected there, named by its id; the others are checked from the warehouse.
    assert summary.status == "partial"
    reasons = [r for unit, r in summary.failures if unit == "9005"]
    assert all(r.startswith("not synced from the platform: row 1: ") for r in reasons)
    assert "commodity 'steam'" in " ".join(reasons) and "is before" in " ".join(reasons)
    assert summary.units_failed == 1
    stored = fresh_db.fetch_df("SELECT bill_id, meter_id FROM bills ORDER BY bill_id")
    assert stored.bill_id.tolist() == ["9001", "9002", "9003"]
    assert summary.units_total == 3
    rows = fresh_db.fetch_df(
        "SELECT bill_id, meter_id, account_id, magnitude, details FROM dq_issues"
    )
    assert rows.bill_id.tolist() == ["9001"] and rows.magnitude[0] == 1.0
    assert (rows.meter_id[0], rows.account_id[0]) == ("m-hq-main", "7")
    assert '"interval_sum": 1488.0' in rows.details[0]  # 31 days x 96 x 0.5
