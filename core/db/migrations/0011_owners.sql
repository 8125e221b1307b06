-- Owners and my queue (issue 16): every issue may be assigned to a DQ Hub user; admins and DS
-- set a default owner per account and per building, which new issues take; a reassignment is
-- logged in issue_events like a status change. In the oidc and proxy sign-in modes the people
-- who can be assigned are recorded as they sign in (dq_people). Common SQL subset only; keys
-- are kept by delete+insert.

-- The DQ Hub user (login name) the issue is assigned to; empty = unassigned. A new issue takes
-- its building's default owner, else its account's (dq_owners); a rerun never changes it.
ALTER TABLE dq_issues ADD COLUMN assignee VARCHAR(256);

-- Who set the assignee: a user name, or system (a default owner, when the job stored the issue).
ALTER TABLE dq_issues ADD COLUMN assigned_by VARCHAR(256);

-- When the assignee was last set (UTC); empty while it never was.
ALTER TABLE dq_issues ADD COLUMN assigned_at TIMESTAMP;

-- Assignee before a reassignment (empty = unassigned). A row that reassigned the issue has
-- from_assignee or to_assignee set; both empty = the assignee did not change.
ALTER TABLE issue_events ADD COLUMN from_assignee VARCHAR(256);

-- Assignee after a reassignment (empty = unassigned, when from_assignee is set).
ALTER TABLE issue_events ADD COLUMN to_assignee VARCHAR(256);

-- Default owners: one row per account (building_id empty) or building, naming the DQ Hub user
-- its new issues are assigned to (the building's owner first, else the account's). Set on the
-- Owners page or by `python -m jobs owners import`. Key (account_id, building_id).
CREATE TABLE dq_owners (
    -- The account.
    account_id VARCHAR(256) NOT NULL,
    -- A building of that account; empty = the account's default owner.
    building_id VARCHAR(256),
    -- The DQ Hub user (login name) new issues there are assigned to.
    owner VARCHAR(256) NOT NULL,
    -- Who set it: a user name, or system (`python -m jobs owners import`, the demo).
    set_by VARCHAR(256) NOT NULL,
    -- When (UTC).
    set_at TIMESTAMP NOT NULL
);

-- oidc and proxy sign-in modes: one row per person who signed in, with the role and accounts
-- their last sign-in mapped to (DQ_AUTH_MAPPING_FILE). With the mapping file's user rules, the
-- people issues can be assigned to in those modes (users mode reads the users file). Key
-- username.
CREATE TABLE dq_people (
    -- Login name (the identity the provider or proxy sent).
    username VARCHAR(256) NOT NULL,
    -- Display name.
    name VARCHAR(256),
    -- admin, ds, staff or bse.
    role VARCHAR(16) NOT NULL,
    -- Granted account ids as a JSON list, or all.
    accounts VARCHAR(65535) NOT NULL,
    -- Their last sign-in (UTC); people not seen for DQ_PEOPLE_SEEN_DAYS drop out of the list.
    seen_at TIMESTAMP NOT NULL
);
