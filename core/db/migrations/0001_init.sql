-- Baseline schema: platform data (meters, readings, bills) and DQ results.
-- Common SQL subset only (DuckDB, PostgreSQL, Redshift): no ON CONFLICT, no enforced keys;
-- uniqueness is kept by delete+insert in one transaction. Timestamps are naive UTC.

-- One row per meter: where it belongs, what it measures and whether the DQ job scores it. Replaced
-- by each meters import or sync; key meter_id.
CREATE TABLE meters (
    -- The meter's id on the platform; joins readings, dq_issues, dq_meter_days and bills.
    meter_id VARCHAR(256) NOT NULL,
    -- Building the meter is in.
    building_id VARCHAR(256) NOT NULL,
    -- Customer account the building belongs to; every page shows a user only the accounts granted
    -- to them.
    account_id VARCHAR(256) NOT NULL,
    -- electricity or water.
    kind VARCHAR(32) NOT NULL,
    -- Unit of readings.value: kWh (electricity) or gal (water).
    unit VARCHAR(32) NOT NULL,
    -- Building's display name (may be empty).
    building_name VARCHAR(256),
    -- Account's display name (may be empty).
    account_name VARCHAR(256),
    -- IANA time zone of the building (default UTC): local days of bills, overshoot scans and daily
    -- checks.
    timezone VARCHAR(64) NOT NULL,
    -- False: the DQ job does not score the meter (an admin retired it).
    dq_enabled BOOLEAN NOT NULL,
    -- False: the account is inactive; its meters are not scored and not expected to get bills.
    account_active BOOLEAN NOT NULL,
    -- True: the building is archived; its meters are not scored and not expected to get bills.
    building_archived BOOLEAN NOT NULL,
    -- Reading interval: 15 (default) or 60 for hourly feeds.
    interval_minutes INTEGER NOT NULL
);

-- One row per meter, interval and feed: the consumption measured in that interval. Key (meter_id,
-- ts, source); re-importing or syncing a period replaces it.
CREATE TABLE readings (
    -- The meter (meters.meter_id).
    meter_id VARCHAR(256) NOT NULL,
    -- Start of the interval, naive UTC, on the meter's slot grid (off-grid timestamps are snapped
    -- or rejected by the import).
    ts TIMESTAMP NOT NULL,
    -- Consumption in the interval, in the meter's unit (kWh or gal); negative only on a
    -- bidirectional meter or a fault.
    value DOUBLE PRECISION NOT NULL,
    -- Feed: platform (the platform's readings; InfluxDB in production) or raw (the devices' own
    -- packets; S3 in production).
    source VARCHAR(16) NOT NULL
);

-- One row per utility bill, as imported or read from the platform. Key bill_id.
CREATE TABLE bills (
    -- The bill's id on the platform.
    bill_id VARCHAR(256) NOT NULL,
    -- Account billed.
    account_id VARCHAR(256) NOT NULL,
    -- Building billed.
    building_id VARCHAR(256) NOT NULL,
    -- Meter the bill is for; empty for a building-level bill.
    meter_id VARCHAR(256),
    -- electricity, water or gas.
    commodity VARCHAR(32) NOT NULL,
    -- First day of the billing period (local date).
    period_start DATE NOT NULL,
    -- Last day of the billing period, inclusive.
    period_end DATE NOT NULL,
    -- Billed usage, in usage_unit.
    usage DOUBLE PRECISION,
    -- Unit of usage (e.g. kWh, gal, therm).
    usage_unit VARCHAR(32),
    -- Billed amount (account currency).
    cost DOUBLE PRECISION,
    -- Billed peak demand in kW, when the tariff has a demand charge.
    demand_kw DOUBLE PRECISION,
    -- True when the utility estimated the usage instead of reading the meter.
    estimated BOOLEAN NOT NULL
);

-- One row per job run (sync, DQ, bill checks, overshoot scan): when, with what, and how it
-- went. Key run_id; other tables' run columns point here.
CREATE TABLE dq_runs (
    -- The run's id.
    run_id VARCHAR(64) NOT NULL,
    -- sync, dq, bills or overshoot.
    job VARCHAR(32) NOT NULL,
    -- The run's parameters as JSON text (e.g. the scored date, the month).
    params VARCHAR(65535),
    -- When the run started (UTC).
    started_at TIMESTAMP NOT NULL,
    -- When it stored its results (UTC); empty while running or after a crash.
    finished_at TIMESTAMP,
    -- running, ok, partial (some units failed, the rest stored) or failed.
    status VARCHAR(16) NOT NULL,
    -- Units processed: meters (dq), bills (bills), buildings (overshoot) or sync steps (sync).
    units_total INTEGER,
    -- Distinct units that failed; their ids and reasons are in error.
    units_failed INTEGER,
    -- Issues (or faults) the run found.
    issues_found INTEGER,
    -- Failed units as `unit: reason` lines, or the error that failed the run.
    error VARCHAR(65535)
);

-- One row per finding: a meter problem found by a detector, or a bill finding of a bill check;
-- people triage it (status). Key issue_id; the same meter, detector, source and start give the same
-- issue_id on every rerun.
CREATE TABLE dq_issues (
    -- Stable id (keyed hash of meter, detector, source and start; of check and bill for bill
    -- findings).
    issue_id VARCHAR(64) NOT NULL,
    -- meter (a detector on readings) or bill (a bill check).
    kind VARCHAR(16) NOT NULL,
    -- Detector name (docs/detectors.md) or bill check name (docs/bills.md).
    detector VARCHAR(64) NOT NULL,
    -- Account of the meter or bill when found.
    account_id VARCHAR(256),
    -- Building of the meter or bill when found.
    building_id VARCHAR(256),
    -- The meter (empty for a bill finding without a meter).
    meter_id VARCHAR(256),
    -- The bill (bill findings only).
    bill_id VARCHAR(256),
    -- platform or raw: the feed the detector read; bill for bill findings.
    source VARCHAR(16),
    -- Start of the problem, naive UTC (first flagged interval); a bill finding: its period's first
    -- day.
    start_ts TIMESTAMP,
    -- End of the problem, exclusive (end of the last flagged interval); a bill finding: the day
    -- after its period.
    end_ts TIMESTAMP,
    -- low, medium or high.
    severity VARCHAR(16) NOT NULL,
    -- Size of the problem in the detector's unit (hours, kWh or gal, ...: docs/detectors.md) or the
    -- bill check's.
    magnitude DOUBLE PRECISION,
    -- JSON text: a meter issue's flagged slots and hours; a bill finding's check details and bill
    -- figures.
    details VARCHAR(65535),
    -- dq_runs.run_id of the run that first found it.
    first_seen_run VARCHAR(64) NOT NULL,
    -- dq_runs.run_id of the latest run that found it.
    last_seen_run VARCHAR(64) NOT NULL,
    -- open, acknowledged, resolved, ignored, not_an_issue or muted (docs: the Issues page); a rerun
    -- never changes a status a person set.
    status VARCHAR(16) NOT NULL,
    -- Who set the status: a user name, or system (the jobs).
    status_by VARCHAR(256) NOT NULL,
    -- When the status was last set (UTC).
    status_at TIMESTAMP NOT NULL,
    -- Why, as written by whoever set the status.
    status_note VARCHAR(65535)
);

-- Audit log of dq_issues: one row per status change, by a person or a job. Never updated.
CREATE TABLE issue_events (
    -- The issue (dq_issues.issue_id).
    issue_id VARCHAR(64) NOT NULL,
    -- When (UTC).
    changed_at TIMESTAMP NOT NULL,
    -- User name, or system.
    changed_by VARCHAR(256) NOT NULL,
    -- Status before the change.
    from_status VARCHAR(16),
    -- Status after the change.
    to_status VARCHAR(16) NOT NULL,
    -- The note given with the change.
    note VARCHAR(65535)
);

-- One row per meter, scored UTC day and feed: how complete and clean its readings were. Key
-- (meter_id, day, source); a rerun of the day replaces it.
CREATE TABLE dq_meter_days (
    -- The meter.
    meter_id VARCHAR(256) NOT NULL,
    -- The meter's account when scored.
    account_id VARCHAR(256),
    -- The meter's building when scored.
    building_id VARCHAR(256),
    -- The scored UTC day.
    day DATE NOT NULL,
    -- Feed scored: platform or raw.
    source VARCHAR(16) NOT NULL,
    -- Interval slots in the day (96 for 15-minute data).
    expected_points INTEGER NOT NULL,
    -- Slots with a reading.
    present_points INTEGER NOT NULL,
    -- present_points / expected_points, in [0, 1].
    completeness DOUBLE PRECISION NOT NULL,
    -- Slots covered by a finding about the readings.
    flagged_points INTEGER NOT NULL,
    -- Share of expected slots present and not flagged, in [0, 1]: the DQ score.
    score DOUBLE PRECISION NOT NULL,
    -- dq_runs.run_id of the run that scored it.
    run_id VARCHAR(64)
);
