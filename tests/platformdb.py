"""A fake of the platform's PostgreSQL database, as core/bills/platform_bills.sql documents it.

The platform owns these tables; DQ Hub only reads them (the bill source, the sync's platform
step). Tests create them in a schema of their own (``create``) and change rows with ``execute``
to play the platform (a meter's DQ switched off, a bill deleted).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

PLATFORM_DDL = [
    "CREATE TABLE accounts (id BIGINT PRIMARY KEY, name TEXT NOT NULL, is_active BOOLEAN)",
    """CREATE TABLE buildings (
        id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL REFERENCES accounts(id),
        name TEXT NOT NULL, time_zone TEXT, archived_at TIMESTAMPTZ)""",
    """CREATE TABLE meters (
        id BIGINT PRIMARY KEY, uid TEXT NOT NULL UNIQUE,
        building_id BIGINT NOT NULL REFERENCES buildings(id), utility_type TEXT NOT NULL,
        unit_of_measure TEXT NOT NULL, interval_seconds INTEGER, dq_enabled BOOLEAN)""",
    """CREATE TABLE utility_bills (
        id BIGINT PRIMARY KEY, building_id BIGINT NOT NULL REFERENCES buildings(id),
        meter_id BIGINT REFERENCES meters(id), utility_type TEXT NOT NULL,
        service_start DATE NOT NULL, service_end DATE NOT NULL, consumption NUMERIC(14, 3),
        consumption_unit TEXT, total_charges NUMERIC(12, 2), peak_demand_kw NUMERIC(10, 2),
        is_estimated BOOLEAN, deleted_at TIMESTAMPTZ)""",
]

# Account 7 with an office (Chicago) and an archived depot: an electricity meter with 15-minute
# data, an hourly water meter, a gas meter (a kind DQ Hub does not score) and the depot's meter.
# Bills: two good ones of m-hq-main, a building-level gas bill, a soft-deleted one, and 9005
# (steam, its end before its start) that the import rejects.
PLATFORM_ROWS = [
    "INSERT INTO accounts VALUES (7, 'Northwind', NULL)",
    """INSERT INTO buildings VALUES
        (70, 7, 'HQ', 'America/Chicago', NULL), (71, 7, 'Depot', NULL, now())""",
    """INSERT INTO meters VALUES
        (700, 'm-hq-main', 70, 'ELECTRIC', 'kWh', 900, NULL),
        (701, 'm-hq-water', 70, 'WATER', 'gal', 3600, true),
        (702, 'm-depot', 71, 'ELECTRIC', 'kWh', NULL, NULL),
        (703, 'm-hq-gas', 70, 'GAS', 'therm', 3600, NULL)""",
    """INSERT INTO utility_bills VALUES
        (9002, 70, 700, 'ELECTRIC', '2026-02-01', '2026-02-28', 1200.5, 'kWh', 245.10, 12.5,
         NULL, NULL),
        (9001, 70, 700, 'ELECTRIC', '2026-01-01', '2026-01-31', 1000, 'kWh', 200.00, 11, true,
         NULL),
        (9003, 71, NULL, 'GAS', '2026-01-03', '2026-02-02', NULL, 'therm', 88.00, NULL, false,
         NULL),
        (9004, 70, 700, 'ELECTRIC', '2026-01-01', '2026-01-31', 999, 'kWh', 1, NULL, false,
         now()),
        (9005, 71, 702, 'STEAM', '2026-02-05', '2026-02-01', 5, 'lb', 3, NULL, false, NULL)""",
]


def execute(url: str, *statements: str) -> None:
    """Run ``statements`` on the platform database at ``url`` (autocommit)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        for statement in statements:
            con.execute(statement)


@contextmanager
def create(server_db: str, rows: bool = True) -> Iterator[str]:
    """A schema of its own in ``server_db`` holding the platform tables; yields its URL.

    Its own schema, so a test can also keep a PostgreSQL warehouse in the same database (both
    have a ``meters`` table). Dropped on exit.
    """
    schema = f"platform_{uuid.uuid4().hex[:10]}"
    execute(server_db, f'CREATE SCHEMA "{schema}"')
    url = f"{server_db}?options=-csearch_path%3D{schema}"
    try:
        execute(url, *PLATFORM_DDL, *(PLATFORM_ROWS if rows else []))
        yield url
    finally:
        execute(server_db, f'DROP SCHEMA "{schema}" CASCADE')
