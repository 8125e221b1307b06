-- Detection that holds on field data (issue 14): per meter-day clock offsets recorded by the
-- import, mutes of a meter+detector pair until a date, and per-meter options from the meters
-- file (bidirectional) kept beside `meters` so positional inserts into `meters` keep working.
-- Common SQL subset only; keys are kept by delete+insert.

-- One row per meter, source and UTC day of imported readings: how far their timestamps sat from
-- the slot boundary. Offsets are signed seconds (positive = stamped after the boundary).
-- readings: rows kept (snapped or on the boundary); off_grid: rows rejected as farther off
-- than the snap tolerance; late/early: rows at least 1 s after/before the boundary.
CREATE TABLE meter_clock_days (
    meter_id VARCHAR(256) NOT NULL,
    source VARCHAR(16) NOT NULL,
    day DATE NOT NULL,
    readings INTEGER NOT NULL,
    off_grid INTEGER NOT NULL,
    late INTEGER NOT NULL,
    early INTEGER NOT NULL,
    median_offset_s DOUBLE PRECISION,
    max_offset_s DOUBLE PRECISION,
    imported_at TIMESTAMP NOT NULL
);

-- A person mutes one detector on one meter until a day (inclusive) with a reason; findings of
-- the pair on scored days up to that day are stored with status `muted`. ended_at/ended_by are
-- set when someone ends the mute early.
CREATE TABLE dq_mutes (
    mute_id VARCHAR(64) NOT NULL,
    account_id VARCHAR(256),
    meter_id VARCHAR(256) NOT NULL,
    detector VARCHAR(64) NOT NULL,
    until_day DATE NOT NULL,
    reason VARCHAR(65535) NOT NULL,
    created_by VARCHAR(256) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    ended_by VARCHAR(256)
);

-- Optional per-meter settings from the meters file. bidirectional: the meter measures net flow
-- (e.g. a solar net meter) and negative readings are normal.
CREATE TABLE meter_options (
    meter_id VARCHAR(256) NOT NULL,
    bidirectional BOOLEAN NOT NULL
);
