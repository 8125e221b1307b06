-- The AFDD fault rows and the projects BSEs act on, with the audit log of project status
-- changes. Part of the warehouse (migration 0003) by default, or the whole schema of the
-- PostgreSQL database named by DQ_PROJECTS_DB_URL. IF NOT EXISTS: both may be one database.
-- Common SQL subset: no ON CONFLICT; uniqueness kept by delete+insert in one transaction.

-- One row per building and local month that meets the morning-overshoot fault criteria (AFDD). Key
-- fault_id; a rerun of the month replaces the month's rows.
CREATE TABLE IF NOT EXISTS afdd_faults (
    -- Stable id per building and month.
    fault_id VARCHAR(64) NOT NULL,
    -- The building.
    building_id VARCHAR(256) NOT NULL,
    -- The building's account.
    account_id VARCHAR(256),
    -- Local month, YYYY-MM.
    month VARCHAR(7) NOT NULL,
    -- Overshoot days in the month.
    overshoot_days INTEGER NOT NULL,
    -- Overshoot days whose morning peak is in the top DQ_OVERSHOOT_TOP_FRACTION of the month's
    -- daily peaks.
    top_hits INTEGER NOT NULL,
    -- Local date of the largest overshoot.
    worst_day DATE,
    -- Its excess over the plateau, kW.
    worst_excess_kw DOUBLE PRECISION,
    -- Estimated demand charge of the overshoot: worst_excess_kw x DQ_DEMAND_RATE_PER_KW.
    est_monthly_cost DOUBLE PRECISION,
    -- Which criterion it met: days (at least DQ_OVERSHOOT_MIN_DAYS), top, or days+top.
    reason VARCHAR(32),
    -- JSON text: the month's statistics (counted days, worst peak and plateau, startup minutes,
    -- overshoot dates, ...).
    details VARCHAR(65535),
    -- dq_runs.run_id of the run that wrote it.
    run_id VARCHAR(64),
    -- When the fault was first stored (UTC); kept by reruns.
    created_at TIMESTAMP NOT NULL
);

-- One row per building and project type: what BSEs act on (the Projects page). The overshoot job
-- creates and updates system DRAFTs; a project a person changed is never overwritten. Key
-- project_id.
CREATE TABLE IF NOT EXISTS projects (
    -- Stable id per building and type.
    project_id VARCHAR(64) NOT NULL,
    -- The building.
    building_id VARCHAR(256) NOT NULL,
    -- The building's account.
    account_id VARCHAR(256),
    -- Project type: morning_overshoot.
    type VARCHAR(64) NOT NULL,
    -- DRAFT, IN_PROGRESS, COMPLETED or WONT_DO.
    status VARCHAR(16) NOT NULL,
    -- Short title.
    title VARCHAR(1024),
    -- The evidence in words.
    summary VARCHAR(65535),
    -- Estimated monthly cost of the problem (from afdd_faults).
    est_monthly_cost DOUBLE PRECISION,
    -- Month of the evidence, YYYY-MM.
    month VARCHAR(7),
    -- afdd_faults.fault_id the evidence comes from.
    source_fault_id VARCHAR(64),
    -- True for a system DRAFT whose building stopped overshooting (hidden by default; never
    -- deleted).
    void BOOLEAN NOT NULL,
    -- Last change (UTC).
    updated_at TIMESTAMP NOT NULL,
    -- Who changed it last: a user name, or system.
    updated_by VARCHAR(256) NOT NULL
);

-- Audit log of projects: one row per status change. Never updated.
CREATE TABLE IF NOT EXISTS project_events (
    -- The project (projects.project_id).
    project_id VARCHAR(64) NOT NULL,
    -- When (UTC).
    changed_at TIMESTAMP NOT NULL,
    -- User name, or system.
    changed_by VARCHAR(256) NOT NULL,
    -- Status before; empty when the project was created.
    from_status VARCHAR(16),
    -- Status after.
    to_status VARCHAR(16) NOT NULL,
    -- The note given (required for WONT_DO and reopening).
    note VARCHAR(65535)
);
