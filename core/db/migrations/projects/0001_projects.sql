-- The AFDD fault rows and the projects BSEs act on, with the audit log of project status
-- changes. Part of the warehouse (migration 0003) by default, or the whole schema of the
-- PostgreSQL database named by DQ_PROJECTS_DB_URL. IF NOT EXISTS: both may be one database.
-- Common SQL subset: no ON CONFLICT; uniqueness kept by delete+insert in one transaction.

CREATE TABLE IF NOT EXISTS afdd_faults (
    fault_id VARCHAR(64) NOT NULL,
    building_id VARCHAR(256) NOT NULL,
    account_id VARCHAR(256),
    month VARCHAR(7) NOT NULL,
    overshoot_days INTEGER NOT NULL,
    top_hits INTEGER NOT NULL,
    worst_day DATE,
    worst_excess_kw DOUBLE PRECISION,
    est_monthly_cost DOUBLE PRECISION,
    reason VARCHAR(32),
    details VARCHAR(65535),
    run_id VARCHAR(64),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS projects (
    project_id VARCHAR(64) NOT NULL,
    building_id VARCHAR(256) NOT NULL,
    account_id VARCHAR(256),
    type VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    title VARCHAR(1024),
    summary VARCHAR(65535),
    est_monthly_cost DOUBLE PRECISION,
    month VARCHAR(7),
    source_fault_id VARCHAR(64),
    void BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR(256) NOT NULL
);

CREATE TABLE IF NOT EXISTS project_events (
    project_id VARCHAR(64) NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    changed_by VARCHAR(256) NOT NULL,
    from_status VARCHAR(16),
    to_status VARCHAR(16) NOT NULL,
    note VARCHAR(65535)
);
