-- Sign-in state shared by every app process (core/auth/sessions.py, core/auth/throttle.py).
-- auth_sessions: one row per sign-in; session_id is the SHA-256 of the id the browser's signed
-- cookie carries, never the id itself. ended_at/ended_reason record sign-out, "sign out
-- everywhere", a password or role change, removal and idle timeouts.
-- auth_failures: failed sign-ins per user name and per client address, for throttling.

CREATE TABLE auth_sessions (
    session_id VARCHAR(64) NOT NULL,
    username VARCHAR(256) NOT NULL,
    mode VARCHAR(16) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    ended_reason VARCHAR(256)
);

CREATE TABLE auth_failures (
    subject_kind VARCHAR(16) NOT NULL,
    subject VARCHAR(256) NOT NULL,
    failed_at TIMESTAMP NOT NULL
);

-- Earlier versions kept a generated login-cookie key here on demo warehouses: anyone who could
-- read the database could forge logins with it. Cookie keys never live in the warehouse now.
DELETE FROM dq_meta WHERE meta_key = 'demo_cookie_key';
