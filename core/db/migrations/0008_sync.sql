-- Production sync (issue 15): readings, raw packets, meters and bills land in the warehouse from
-- the platform's systems (`python -m jobs sync`), and days whose readings changed after they
-- were scored are re-scored. Common SQL subset only; keys are kept by delete+insert.

-- One row per meter, UTC day and origin whose stored readings a sync or an import changed
-- (rows added or replaced with a different value; retention deletes are not recorded). `changed_at` drives
-- the app cache's incremental refresh (readings copied by day) and the DQ job's re-scoring:
-- a day already scored before `changed_at` is scored again on the next run, which then sets
-- `rescored_run`. origin: import | influxdb | s3.
CREATE TABLE reading_changes (
    -- The meter.
    meter_id VARCHAR(256) NOT NULL,
    -- UTC day whose readings changed.
    day DATE NOT NULL,
    -- What changed them: import, influxdb or s3.
    origin VARCHAR(16) NOT NULL,
    -- Rows added, replaced with a different value, or removed.
    rows_changed INTEGER NOT NULL,
    -- When (UTC).
    changed_at TIMESTAMP NOT NULL,
    -- dq_runs.run_id of the run that re-scored the day; empty until then.
    rescored_run VARCHAR(64)
);

-- Where each incremental source got to: the last synced point (InfluxDB: the newest reading
-- time seen) and when. One row per source.
CREATE TABLE sync_state (
    -- The incremental source (e.g. influxdb).
    source VARCHAR(32) NOT NULL,
    -- The last point synced (InfluxDB: the newest reading time seen).
    high_water TIMESTAMP,
    -- When (UTC).
    synced_at TIMESTAMP NOT NULL,
    -- The sync run.
    run_id VARCHAR(64)
);

-- Every raw packet object the sync has handled, by key: loaded (`ok`) or set aside
-- (`malformed`, with the reason). A key listed here is never fetched again unless its etag changes.
CREATE TABLE sync_objects (
    -- The S3 object's key.
    object_key VARCHAR(1024) NOT NULL,
    -- Its etag when handled; a new etag means it is fetched again.
    etag VARCHAR(256),
    -- Its size.
    size_bytes BIGINT,
    -- ok (loaded) or malformed (set aside).
    status VARCHAR(16) NOT NULL,
    -- Readings loaded from it.
    readings INTEGER NOT NULL,
    -- Why it was set aside.
    error VARCHAR(65535),
    -- When (UTC).
    synced_at TIMESTAMP NOT NULL,
    -- The sync run.
    run_id VARCHAR(64)
);
