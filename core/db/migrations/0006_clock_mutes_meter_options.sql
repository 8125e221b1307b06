-- Detection that holds on field data (issue 14): per meter-day clock offsets recorded by the
-- import, mutes of a meter+detector pair until a date, and per-meter options from the meters
-- file (bidirectional) kept beside `meters` so positional inserts into `meters` keep working.
-- Common SQL subset only; keys are kept by delete+insert.

-- One row per meter, source and UTC day of imported readings: how far their timestamps sat from
-- the slot boundary. Offsets are signed seconds (positive = stamped after the boundary).
-- readings: rows kept (snapped or on the boundary); off_grid: rows rejected as farther off
-- than the snap tolerance; late/early: rows at least 1 s after/before the boundary.
CREATE TABLE meter_clock_days (
    -- The meter.
    meter_id VARCHAR(256) NOT NULL,
    -- Feed: platform or raw.
    source VARCHAR(16) NOT NULL,
    -- UTC day of the readings.
    day DATE NOT NULL,
    -- Rows kept (snapped or on the boundary).
    readings INTEGER NOT NULL,
    -- Rows rejected as farther off the slot boundary than the snap tolerance.
    off_grid INTEGER NOT NULL,
    -- Rows stamped at least 1 s after the boundary.
    late INTEGER NOT NULL,
    -- Rows stamped at least 1 s before the boundary.
    early INTEGER NOT NULL,
    -- Median signed offset in seconds (positive = late).
    median_offset_s DOUBLE PRECISION,
    -- Largest offset in seconds.
    max_offset_s DOUBLE PRECISION,
    -- When these statistics were recorded (UTC).
    imported_at TIMESTAMP NOT NULL
);

-- A person mutes one detector on one meter until a day (inclusive) with a reason; findings of
-- the pair on scored days up to that day are stored with status `muted`. ended_at/ended_by are
-- set when someone ends the mute early.
CREATE TABLE dq_mutes (
    -- The mute's id.
    mute_id VARCHAR(64) NOT NULL,
    -- The meter's account.
    account_id VARCHAR(256),
    -- The muted meter.
    meter_id VARCHAR(256) NOT NULL,
    -- The muted detector.
    detector VARCHAR(64) NOT NULL,
    -- Last day muted (inclusive).
    until_day DATE NOT NULL,
    -- Why, as written by the person who muted it.
    reason VARCHAR(65535) NOT NULL,
    -- Who muted it.
    created_by VARCHAR(256) NOT NULL,
    -- When (UTC).
    created_at TIMESTAMP NOT NULL,
    -- When someone ended it early (UTC); empty otherwise.
    ended_at TIMESTAMP,
    -- Who ended it early.
    ended_by VARCHAR(256)
);

-- Optional per-meter settings from the meters file. bidirectional: the meter measures net flow
-- (e.g. a solar net meter) and negative readings are normal.
CREATE TABLE meter_options (
    -- The meter.
    meter_id VARCHAR(256) NOT NULL,
    -- True: a net meter (e.g. solar) whose negative readings are normal.
    bidirectional BOOLEAN NOT NULL
);
