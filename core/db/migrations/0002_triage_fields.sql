-- Offline-device follow-up fields on issues, and a key/value table describing the warehouse
-- (e.g. whether it holds the synthetic demo fleet, which enables the demo users).

-- Offline devices follow-up: who is on it.
ALTER TABLE dq_issues ADD COLUMN owner VARCHAR(256);

-- Offline devices follow-up: what happens next.
ALTER TABLE dq_issues ADD COLUMN next_step VARCHAR(65535);

-- Key/value facts about the warehouse itself: issue_id_key (the secret behind issue ids), demo_seed
-- (a demo warehouse), demo_ended (why demo mode ended). Key meta_key.
CREATE TABLE dq_meta (
    -- Name of the fact.
    meta_key VARCHAR(64) NOT NULL,
    -- Its value (text).
    meta_value VARCHAR(65535)
);
