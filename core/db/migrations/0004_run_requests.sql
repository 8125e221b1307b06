-- Work for the job worker (`python -m jobs serve`): run-now requests from the Admin page and the
-- worker's own schedule ticks, one row each. Ids are made in Python; common SQL subset only.
-- status: queued -> running -> ok | partial | failed; skipped marks a tick not run (first start).
-- attempts counts claims: a request whose worker died is queued again up to a limit.

-- One row per run-now request or schedule tick; the worker claims queued rows one at a time.
-- Key request_id.
CREATE TABLE run_requests (
    -- The request's id.
    request_id VARCHAR(64) NOT NULL,
    -- sync, dq, bills or overshoot.
    job VARCHAR(32) NOT NULL,
    -- The job's parameters as JSON text (day, run date or month).
    params VARCHAR(65535),
    -- When it was asked for, or the schedule tick's time (UTC).
    requested_at TIMESTAMP NOT NULL,
    -- User name (Admin page's Run now) or schedule (the worker's own tick).
    requested_by VARCHAR(256) NOT NULL,
    -- When the worker claimed it (UTC).
    picked_at TIMESTAMP,
    -- When the run ended (UTC).
    finished_at TIMESTAMP,
    -- How often a worker claimed it.
    attempts INTEGER NOT NULL,
    -- dq_runs.run_id of the run it started.
    run_id VARCHAR(64),
    -- queued, running, ok, partial, failed or skipped.
    status VARCHAR(16) NOT NULL,
    -- Why it failed.
    error VARCHAR(65535)
);
