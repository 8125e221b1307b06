-- The platform's PostgreSQL database mapped to DQ Hub's canonical bill and meter columns.
-- Read by core/bills/source.py when DQ_PLATFORM_DB_URL is a postgresql:// URL (the sync job,
-- core/ingest/platform.py, lands both in the warehouse's meters and bills tables): each query
-- below starts at its "-- name:" line and runs as one statement, both in one read-only
-- REPEATABLE READ transaction (one snapshot). Only this file knows the platform's names;
-- when the platform schema changes, change it here and in tests/core/bills/test_source.py.
--
-- Platform tables read (the platform owns them; DQ Hub never writes there):
--   accounts      (id BIGINT PK, name TEXT, is_active BOOLEAN (NULL = active))
--                 (ids of accounts, buildings and bills are numbers on the platform and text
--                 in DQ Hub: account 1 is '1' everywhere, in the mapping file too)
--   buildings     (id BIGINT PK, account_id BIGINT -> accounts.id, name TEXT,
--                  time_zone TEXT (IANA, may be NULL), archived_at TIMESTAMPTZ)
--   meters        (id BIGINT PK, uid TEXT UNIQUE: the meter id the readings feeds and DQ Hub
--                  use, building_id BIGINT -> buildings.id, utility_type TEXT
--                  ('ELECTRIC' | 'WATER' | 'GAS'), unit_of_measure TEXT,
--                  interval_seconds INTEGER (NULL = 900),
--                  dq_enabled BOOLEAN (NULL = checked; false = DQ switched off for the meter))
--   utility_bills (id BIGINT PK: the bill id in the platform's bill URL,
--                  building_id BIGINT -> buildings.id, meter_id BIGINT NULL -> meters.id
--                  (NULL: a bill for the whole building), utility_type TEXT,
--                  service_start DATE, service_end DATE (inclusive), consumption NUMERIC,
--                  consumption_unit TEXT, total_charges NUMERIC (currency units),
--                  peak_demand_kw NUMERIC, is_estimated BOOLEAN (NULL = not estimated),
--                  deleted_at TIMESTAMPTZ (soft delete: such bills are not read))
--
-- Mapping rules: ids become text; the platform's utility codes become canonical commodities
-- (an unknown code passes through lower-cased so the normaliser reports it with the bill id);
-- units, usage and cost pass through unconverted, so the normaliser sees and reports what the
-- platform holds (a NULL usage, an unknown unit, an end before the start).

-- name: bills
SELECT
    b.id::text AS bill_id,
    bl.account_id::text AS account_id,
    b.building_id::text AS building_id,
    m.uid AS meter_id,
    CASE upper(b.utility_type)
        WHEN 'ELECTRIC' THEN 'electricity'
        WHEN 'WATER' THEN 'water'
        WHEN 'GAS' THEN 'gas'
        ELSE lower(b.utility_type)
    END AS commodity,
    b.service_start AS period_start,
    b.service_end AS period_end,
    b.consumption::double precision AS usage,
    b.consumption_unit AS usage_unit,
    b.total_charges::double precision AS cost,
    b.peak_demand_kw::double precision AS demand_kw,
    coalesce(b.is_estimated, false) AS estimated
FROM utility_bills b
JOIN buildings bl ON bl.id = b.building_id
LEFT JOIN meters m ON m.id = b.meter_id
WHERE b.deleted_at IS NULL
ORDER BY m.uid, b.service_start, b.id;

-- name: meters
SELECT
    m.uid AS meter_id,
    bl.account_id::text AS account_id,
    m.building_id::text AS building_id,
    CASE upper(m.utility_type)
        WHEN 'ELECTRIC' THEN 'electricity'
        WHEN 'WATER' THEN 'water'
        WHEN 'GAS' THEN 'gas'
        ELSE lower(m.utility_type)
    END AS kind,
    m.unit_of_measure AS unit,
    coalesce(m.interval_seconds, 900) / 60 AS interval_minutes,
    coalesce(bl.time_zone, 'UTC') AS timezone,
    bl.name AS building_name,
    a.name AS account_name,
    coalesce(m.dq_enabled, true) AS dq_enabled,
    coalesce(a.is_active, true) AS account_active,
    bl.archived_at IS NOT NULL AS building_archived
FROM meters m
JOIN buildings bl ON bl.id = m.building_id
JOIN accounts a ON a.id = bl.account_id
ORDER BY m.uid;
