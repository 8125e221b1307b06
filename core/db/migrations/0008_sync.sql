-- Production sync (issue 15): readings, raw packets, meters and bills land in the warehouse from
-- the platform's systems (`python -m jobs sync`), and days whose readings changed after they
-- were scored are re-scored. Common SQL subset only; keys are kept by delete+insert.

-- One row per meter, UTC day and origin whose stored readings a sync or an import changed
-- (rows added, replaced with a different value, or removed by retention). `changed_at` drives
-- the app cache's incremental refresh (readings copied by day) and the DQ job's re-scoring:
-- a day already scored before `changed_at` is scored again on the next run, which then sets
-- `rescored_run`. origin: import | influxdb | s3.
CREATE TABLE reading_changes (
    meter_id VARCHAR(256) NOT NULL,
    day DATE NOT NULL,
    origin VARCHAR(16) NOT NULL,
    rows_changed INTEGER NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    rescored_run VARCHAR(64)
);

-- Where each incremental source got to: the last synced point (InfluxDB: the newest reading
-- time seen) and when. One row per source.
CREATE TABLE sync_state (
    source VARCHAR(32) NOT NULL,
    high_water TIMESTAMP,
    synced_at TIMESTAMP NOT NULL,
    run_id VARCHAR(64)
);

-- Every raw packet object the sync has handled, by key: loaded (`ok`) or set aside
-- (`malformed`, with the reason). A key listed here is never fetched again unless its etag changes.
CREATE TABLE sync_objects (
    object_key VARCHAR(1024) NOT NULL,
    etag VARCHAR(256),
    size_bytes BIGINT,
    status VARCHAR(16) NOT NULL,
    readings INTEGER NOT NULL,
    error VARCHAR(65535),
    synced_at TIMESTAMP NOT NULL,
    run_id VARCHAR(64)
);
