-- Offline-device follow-up fields on issues, and a key/value table describing the warehouse
-- (e.g. whether it holds the synthetic demo fleet, which enables the demo users).

ALTER TABLE dq_issues ADD COLUMN owner VARCHAR(256);

ALTER TABLE dq_issues ADD COLUMN next_step VARCHAR(65535);

CREATE TABLE dq_meta (
    meta_key VARCHAR(64) NOT NULL,
    meta_value VARCHAR(65535)
);
