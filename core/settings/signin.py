"""Settings of signing in.

Auth modes, users file, mapping, proxies, cookies, sessions and throttling.
"""

from core.settings.setting import Setting

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DQ_AUTH_MODE",
        "users",
        str,
        "How people sign in: oidc (the company's identity provider via Streamlit's st.login; "
        "production), proxy (an authenticating reverse proxy's header) or users (a users file; "
        "small teams and the demo).",
    ),
    Setting(
        "DQ_USERS_FILE",
        ".streamlit/users.yaml",
        str,
        "users mode: YAML file of app users (bcrypt hashes, role, accounts); `python -m jobs "
        "users` edits it. While it exists the demo logins are off.",
    ),
    Setting(
        "DQ_AUTH_MAPPING_FILE",
        ".streamlit/auth_mapping.yaml",
        str,
        "oidc and proxy modes: YAML rules mapping a user or identity-provider group to a role and "
        "accounts (first match wins); checked at start, errors name the line.",
    ),
    Setting(
        "DQ_AUTH_PROXY_HEADER",
        "",
        str,
        "proxy mode: request header holding the signed-in user, e.g. X-Forwarded-Email "
        "(oauth2-proxy, Databricks Apps) or X-Goog-Authenticated-User-Email.",
    ),
    Setting(
        "DQ_AUTH_PROXY_GROUPS_HEADER",
        "",
        str,
        "proxy mode: request header with the user's groups, comma-separated (e.g. "
        "X-Forwarded-Groups); empty = map by user only.",
    ),
    Setting(
        "DQ_TRUSTED_PROXIES",
        "",
        str,
        "Comma-separated addresses or networks of the reverse proxy in front of the app; only "
        "connections from them may set DQ_AUTH_PROXY_HEADER or X-Forwarded-For.",
    ),
    Setting(
        "DQ_PEOPLE_SEEN_DAYS",
        90,
        int,
        "oidc and proxy modes: people who signed in within this many days can be assigned "
        "issues and made default owners (with the role and accounts of their last sign-in); "
        "people named by a user rule of the mapping file always can.",
    ),
    Setting(
        "DQ_COOKIE_KEY",
        "",
        str,
        "Secret (32+ characters) signing session cookies and keying screen-share pseudonyms; "
        "required outside the demo. Never stored in the warehouse.",
    ),
    Setting(
        "DQ_COOKIE_EXPIRY_DAYS",
        1.0,
        float,
        "Days a sign-in lasts at most, however active, before the user must sign in again.",
    ),
    Setting(
        "DQ_SESSION_IDLE_MINUTES",
        60.0,
        float,
        "Minutes without any click after which a session ends (open tabs too); users and oidc "
        "modes.",
    ),
    Setting(
        "DQ_LOGIN_MAX_FAILURES",
        5,
        int,
        "users mode: failed sign-ins per user name within DQ_LOGIN_LOCKOUT_MINUTES before that "
        "name is locked for that long.",
    ),
    Setting(
        "DQ_LOGIN_MAX_FAILURES_PER_CLIENT",
        20,
        int,
        "users mode: failed sign-ins per client address within DQ_LOGIN_LOCKOUT_MINUTES before "
        "that address is locked for that long.",
    ),
    Setting(
        "DQ_LOGIN_LOCKOUT_MINUTES",
        15.0,
        float,
        "users mode: the window failed sign-ins are counted in, and how long a lock lasts.",
    ),
)
