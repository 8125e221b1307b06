-- Work for the job worker (`python -m jobs serve`): run-now requests from the Admin page and the
-- worker's own schedule ticks, one row each. Ids are made in Python; common SQL subset only.
-- status: queued -> running -> ok | partial | failed; skipped marks a tick not run (first start).
-- attempts counts claims: a request whose worker died is queued again up to a limit.

CREATE TABLE run_requests (
    request_id VARCHAR(64) NOT NULL,
    job VARCHAR(32) NOT NULL,
    params VARCHAR(65535),
    requested_at TIMESTAMP NOT NULL,
    requested_by VARCHAR(256) NOT NULL,
    picked_at TIMESTAMP,
    finished_at TIMESTAMP,
    attempts INTEGER NOT NULL,
    run_id VARCHAR(64),
    status VARCHAR(16) NOT NULL,
    error VARCHAR(65535)
);
