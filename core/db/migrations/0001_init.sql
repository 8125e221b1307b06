-- Baseline schema: platform data (meters, readings, bills) and DQ results.
-- Common SQL subset only (DuckDB, PostgreSQL, Redshift): no ON CONFLICT, no enforced keys;
-- uniqueness is kept by delete+insert in one transaction. Timestamps are naive UTC.

CREATE TABLE meters (
    meter_id VARCHAR(256) NOT NULL,
    building_id VARCHAR(256) NOT NULL,
    account_id VARCHAR(256) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    unit VARCHAR(32) NOT NULL,
    building_name VARCHAR(256),
    account_name VARCHAR(256),
    timezone VARCHAR(64) NOT NULL,
    dq_enabled BOOLEAN NOT NULL,
    account_active BOOLEAN NOT NULL,
    building_archived BOOLEAN NOT NULL,
    interval_minutes INTEGER NOT NULL
);

CREATE TABLE readings (
    meter_id VARCHAR(256) NOT NULL,
    ts TIMESTAMP NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    source VARCHAR(16) NOT NULL
);

CREATE TABLE bills (
    bill_id VARCHAR(256) NOT NULL,
    account_id VARCHAR(256) NOT NULL,
    building_id VARCHAR(256) NOT NULL,
    meter_id VARCHAR(256),
    commodity VARCHAR(32) NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    usage DOUBLE PRECISION,
    usage_unit VARCHAR(32),
    cost DOUBLE PRECISION,
    demand_kw DOUBLE PRECISION,
    estimated BOOLEAN NOT NULL
);

CREATE TABLE dq_runs (
    run_id VARCHAR(64) NOT NULL,
    job VARCHAR(32) NOT NULL,
    params VARCHAR(65535),
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR(16) NOT NULL,
    units_total INTEGER,
    units_failed INTEGER,
    issues_found INTEGER,
    error VARCHAR(65535)
);

CREATE TABLE dq_issues (
    issue_id VARCHAR(64) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    detector VARCHAR(64) NOT NULL,
    account_id VARCHAR(256),
    building_id VARCHAR(256),
    meter_id VARCHAR(256),
    bill_id VARCHAR(256),
    source VARCHAR(16),
    start_ts TIMESTAMP,
    end_ts TIMESTAMP,
    severity VARCHAR(16) NOT NULL,
    magnitude DOUBLE PRECISION,
    details VARCHAR(65535),
    first_seen_run VARCHAR(64) NOT NULL,
    last_seen_run VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    status_by VARCHAR(256) NOT NULL,
    status_at TIMESTAMP NOT NULL,
    status_note VARCHAR(65535)
);

CREATE TABLE issue_events (
    issue_id VARCHAR(64) NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    changed_by VARCHAR(256) NOT NULL,
    from_status VARCHAR(16),
    to_status VARCHAR(16) NOT NULL,
    note VARCHAR(65535)
);

CREATE TABLE dq_meter_days (
    meter_id VARCHAR(256) NOT NULL,
    account_id VARCHAR(256),
    building_id VARCHAR(256),
    day DATE NOT NULL,
    source VARCHAR(16) NOT NULL,
    expected_points INTEGER NOT NULL,
    present_points INTEGER NOT NULL,
    completeness DOUBLE PRECISION NOT NULL,
    flagged_points INTEGER NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    run_id VARCHAR(64)
);
