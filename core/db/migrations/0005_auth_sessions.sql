-- Sign-in state shared by every app process (core/auth/sessions.py, core/auth/throttle.py).
-- auth_sessions: one row per sign-in; session_id is the SHA-256 of the id the browser's signed
-- cookie carries, never the id itself. ended_at/ended_reason record sign-out, "sign out
-- everywhere", a password or role change, removal and idle timeouts.
-- auth_failures: failed sign-ins per user name and per client address, for throttling.

-- One row per sign-in (server-side session).
CREATE TABLE auth_sessions (
    -- SHA-256 of the session id in the browser's signed cookie (never the id itself).
    session_id VARCHAR(64) NOT NULL,
    -- Who signed in.
    username VARCHAR(256) NOT NULL,
    -- Sign-in mode: users, oidc or proxy.
    mode VARCHAR(16) NOT NULL,
    -- When they signed in (UTC).
    created_at TIMESTAMP NOT NULL,
    -- Last click (UTC, written at most once a minute); idle timeouts count from it.
    last_seen_at TIMESTAMP NOT NULL,
    -- When the session ended (UTC); empty while active.
    ended_at TIMESTAMP,
    -- Why it ended: sign-out, sign out everywhere, a password or role change, removal or idle
    -- timeout.
    ended_reason VARCHAR(256)
);

-- One row per failed sign-in, counted per user name and per client address for throttling.
CREATE TABLE auth_failures (
    -- user (a user name) or client (a client address).
    subject_kind VARCHAR(16) NOT NULL,
    -- The user name (lower case) or client address.
    subject VARCHAR(256) NOT NULL,
    -- When (UTC).
    failed_at TIMESTAMP NOT NULL
);

-- Earlier versions kept a generated login-cookie key here on demo warehouses: anyone who could
-- read the database could forge logins with it. Cookie keys never live in the warehouse now.
DELETE FROM dq_meta WHERE meta_key = 'demo_cookie_key';
