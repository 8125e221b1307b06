"""Settings: declared once (name, default, type, help), read from env or secrets.toml per call."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Setting:
    """One documented setting.

    Parameters
    ----------
    name : str
        Environment variable (and secrets.toml key) that sets it.
    default : Any
        Value used when neither the environment nor secrets.toml sets it.
    type : type
        ``str``, ``int`` or ``float``; values are converted and validated.
    help : str
        One line shown in the README and ``python -m jobs settings``.
    allow_zero : bool
        Whether a numeric setting may be 0 (otherwise it must be positive).
    """

    name: str
    default: Any
    type: type
    help: str
    allow_zero: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DQ_WAREHOUSE",
        "duckdb:///data/dqhub.duckdb",
        str,
        "Results store URL: duckdb:///rel/path, duckdb:////abs/path, duckdb:///:memory:, "
        "postgresql://user:pass@host:5432/db or redshift://user:pass@host:5439/db.",
    ),
    Setting(
        "DQ_PLATFORM_DB_URL",
        "",
        str,
        "Platform database (postgresql://user:pass@host:5432/db) whose meters, eligibility and "
        "bills the sync job (and the bill job, first) land in the warehouse; empty = the "
        "warehouse's own meters and bills tables, filled by import.",
    ),
    Setting(
        "DQ_CACHE_PATH",
        "data/cache.duckdb",
        str,
        "Remote warehouse only: the local DuckDB copy pages read from; empty = read the "
        "warehouse directly.",
    ),
    Setting(
        "DQ_CACHE_REFRESH_SECONDS",
        300,
        int,
        "Remote warehouse only: the app refreshes the cache in the background when older.",
    ),
    Setting(
        "DQ_CACHE_READINGS_DAYS",
        35,
        int,
        "Remote warehouse only: days of readings copied into the cache (the meter explorer's).",
    ),
    Setting(
        "DQ_REDSHIFT_INSERT_BATCH_ROWS",
        1000,
        int,
        "Redshift warehouse: rows per multi-row INSERT statement (no COPY FROM STDIN there).",
    ),
    Setting(
        "DQ_REDSHIFT_STAGING_URL",
        "",
        str,
        "Redshift warehouse: s3://bucket/prefix (private, the cluster's region) where large "
        "inserts are staged as Parquet for one COPY and deleted after; empty = INSERTs only.",
    ),
    Setting(
        "DQ_REDSHIFT_IAM_ROLE",
        "",
        str,
        "Redshift warehouse: IAM role ARN the cluster assumes to read DQ_REDSHIFT_STAGING_URL "
        "(COPY ... IAM_ROLE); required with it.",
    ),
    Setting(
        "DQ_REDSHIFT_COPY_MIN_ROWS",
        100000,
        int,
        "Redshift warehouse with DQ_REDSHIFT_STAGING_URL: inserts of at least this many rows go "
        "through S3 and COPY; smaller ones are batched INSERTs.",
    ),
    Setting(
        "DQ_PROJECTS_DB_URL",
        "",
        str,
        "Where AFDD faults and projects live: empty = the warehouse; postgresql://user:pass@"
        "host:5432/db = that PostgreSQL database (as in production).",
    ),
    Setting(
        "DQ_OVERSHOOT_MORNING_HOURS",
        "04:00-11:00",
        str,
        "Overshoot: local morning window [start-end) where a startup peak is looked for.",
    ),
    Setting(
        "DQ_OVERSHOOT_PLATEAU_HOURS",
        "11:00-16:00",
        str,
        "Overshoot: local plateau window [start-end) whose median is normal occupied demand.",
    ),
    Setting(
        "DQ_OVERSHOOT_MIN_RATIO",
        0.10,
        float,
        "Overshoot: the morning peak must exceed the plateau median by this fraction (0.10 = 10%).",
    ),
    Setting(
        "DQ_OVERSHOOT_FLOOR_KW",
        5.0,
        float,
        "Overshoot: ... and by at least max(this many kW, DQ_OVERSHOOT_FLOOR_PEAK_FRACTION x the "
        "month's peak).",
        allow_zero=True,
    ),
    Setting(
        "DQ_OVERSHOOT_FLOOR_PEAK_FRACTION",
        0.02,
        float,
        "Overshoot: share of the building's monthly peak used in the absolute floor (0.02 = 2%).",
        allow_zero=True,
    ),
    Setting(
        "DQ_OVERSHOOT_MIN_COMPLETE",
        0.90,
        float,
        "Overshoot: a day counts only if at least this share of its slots is present.",
    ),
    Setting(
        "DQ_OVERSHOOT_MIN_DAYS",
        3,
        int,
        "Overshoot: a building-month with at least this many overshoot days is a fault.",
    ),
    Setting(
        "DQ_OVERSHOOT_TOP_FRACTION",
        0.15,
        float,
        "Overshoot: ... or with one overshoot whose morning peak is in this top share of the "
        "month's daily peaks.",
    ),
    Setting(
        "DQ_OVERSHOOT_CHUNK_METERS",
        500,
        int,
        "Overshoot: meters (of whole buildings) loaded and scanned together; bounds the job's "
        "memory.",
    ),
    Setting(
        "DQ_DEMAND_RATE_PER_KW",
        15.0,
        float,
        "Demand charge in $/kW per month: estimated cost = worst excess kW x this rate.",
    ),
    Setting(
        "DQ_CONNECT_TIMEOUT_SECONDS",
        10,
        int,
        "Seconds any PostgreSQL connection (DQ_PLATFORM_DB_URL, DQ_PROJECTS_DB_URL) waits to "
        "connect before it fails.",
    ),
    Setting(
        "DQ_PLATFORM_READINGS",
        "embedded",
        str,
        "Where platform readings come from: embedded (imported into the warehouse's readings "
        "table) or influxdb (DQ_INFLUX_*; the sync job lands them in that table).",
    ),
    Setting(
        "DQ_RAW_READINGS",
        "embedded",
        str,
        "Where the raw feed comes from: embedded (imported into the warehouse's readings "
        "table), s3 (JSON packets under DQ_S3_RAW_URL; the sync job lands them) or none.",
    ),
    Setting(
        "DQ_SYNC_LOOKBACK_HOURS",
        48,
        int,
        "Sync: each run re-reads this many hours before the last sync's end, so late points, "
        "corrections and late packets land (unchanged readings are not rewritten).",
    ),
    Setting(
        "DQ_SYNC_FIRST_DAYS",
        30,
        int,
        "Sync: days of readings the first sync of a source copies (later syncs start where the "
        "last ended; `jobs sync --since D` re-reads from a day).",
    ),
    Setting(
        "DQ_READINGS_RETENTION_DAYS",
        0,
        int,
        "Sync: readings older than this many days are deleted from the warehouse at the end of "
        "each sync; 0 = keep every reading.",
        allow_zero=True,
    ),
    Setting(
        "DQ_INFLUX_URL",
        "",
        str,
        "InfluxDB 1.x server and database of the platform readings: "
        "http[s]://[user:pass@]host:8086/database.",
    ),
    Setting(
        "DQ_INFLUX_MEASUREMENT",
        "readings",
        str,
        "InfluxDB measurement holding one point per reading (time = interval start).",
    ),
    Setting(
        "DQ_INFLUX_METER_TAG",
        "meter_id",
        str,
        "InfluxDB tag holding the meter id (meters.meter_id).",
    ),
    Setting(
        "DQ_INFLUX_VALUE_FIELD",
        "value",
        str,
        "InfluxDB field holding the consumption in the interval (meter unit).",
    ),
    Setting(
        "DQ_S3_RAW_URL",
        "",
        str,
        "Raw packets in S3: s3://bucket/prefix, read from <prefix>/date=YYYY-MM-DD/*.json "
        "(AWS credentials from the standard boto3 chain).",
    ),
    Setting(
        "DQ_S3_ENDPOINT_URL",
        "",
        str,
        "S3-compatible endpoint for DQ_S3_RAW_URL (MinIO, moto: http://127.0.0.1:9000); "
        "empty = AWS.",
    ),
    Setting(
        "DQ_SOURCE_TIMEOUT_SECONDS",
        30.0,
        float,
        "Seconds each InfluxDB or S3 request may wait to connect and to read before it fails.",
    ),
    Setting(
        "DQ_SOURCE_RETRIES",
        3,
        int,
        "Retries (with backoff) of an InfluxDB or S3 request after a connection error, "
        "timeout or 5xx; then the source counts as down and the run ends partial.",
        allow_zero=True,
    ),
    Setting(
        "DQ_HISTORY_DAYS",
        28,
        int,
        "Days of readings before the scored day that detectors use for baselines.",
    ),
    Setting(
        "DQ_CHUNK_METERS",
        2000,
        int,
        "Meters loaded and scored together; bounds the DQ job's memory.",
    ),
    Setting(
        "DQ_LOCK_TIMEOUT_SECONDS",
        60.0,
        float,
        "How long an operation retries a DuckDB file locked by another process.",
    ),
    Setting(
        "DQ_SNAP_SECONDS",
        0,
        int,
        "Import: a timestamp this close to its slot boundary is snapped onto it; 0 = use "
        "DQ_SNAP_FRACTION of the meter's interval.",
        allow_zero=True,
    ),
    Setting(
        "DQ_SNAP_FRACTION",
        0.2,
        float,
        "Import: when DQ_SNAP_SECONDS is 0, the snap tolerance as a share of the meter's "
        "interval (0.2 = 3 min on 15-minute data, 12 min on hourly); at most 0.5.",
    ),
    Setting(
        "DQ_HOLIDAYS",
        "",
        str,
        "Holiday calendar of the daily usage checks: YYYY-MM-DD (every account) or "
        "ACCOUNT:YYYY-MM-DD entries, comma-separated; such local days are not judged.",
    ),
    Setting(
        "DQ_EVALUATE_DAYS",
        30,
        int,
        "Days of people's verdicts behind per-detector precision (jobs evaluate, DQ overview).",
    ),
    Setting(
        "DQ_SCHEDULE_SYNC",
        "0 2 * * *",
        str,
        "Worker: crontab of the sync job (platform meters, bills and readings into the "
        "warehouse); runs before the DQ job.",
    ),
    Setting(
        "DQ_SCHEDULE_DQ",
        "30 2 * * *",
        str,
        "Worker: crontab (minute hour day month weekday) of the DQ job; scores the latest full "
        "day with readings.",
    ),
    Setting(
        "DQ_SCHEDULE_BILLS",
        "0 3 * * *",
        str,
        "Worker: crontab of the bill checks; run date = the day of the tick.",
    ),
    Setting(
        "DQ_SCHEDULE_OVERSHOOT",
        "0 4 2 * *",
        str,
        "Worker: crontab of the overshoot scan; scans the month before the tick (the 2nd: the "
        "last full month).",
    ),
    Setting(
        "DQ_SCHEDULE_TIMEZONE",
        "UTC",
        str,
        "Worker: IANA time zone the DQ_SCHEDULE_* expressions are read in.",
    ),
    Setting(
        "DQ_WORKER_POLL_SECONDS",
        5.0,
        float,
        "Worker: how often it looks for queued run-now requests (Admin page).",
    ),
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
    Setting(
        "DQ_DORMANT_DAYS",
        14,
        int,
        "Offline devices page: meters offline longer than this are listed apart as dormant.",
    ),
    Setting(
        "DQ_PAGE_SIZE",
        50,
        int,
        "Rows per page on the Issues and Utility bills pages (paging happens in SQL).",
    ),
    Setting(
        "DQ_BILL_URL_TEMPLATE",
        "",
        str,
        "Utility bills page: link to a bill in the platform, e.g. "
        "https://platform.example/bills/{bill_id}; empty = no link.",
    ),
    Setting(
        "DQ_DEMO_SEED",
        42,
        int,
        "Random seed of the synthetic demo fleet that `make run` shows.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _secrets() -> dict[str, Any]:
    path = Path(os.environ.get("DQ_SECRETS_FILE", SECRETS_FILE))
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def get(name: str) -> Any:
    """Return the current value of setting ``name`` (env beats secrets.toml beats default).

    Raises
    ------
    ConfigError
        If the name is unknown or the value cannot be converted to the setting's type.
    """
    setting = _BY_NAME.get(name)
    if setting is None:
        raise ConfigError(f"Unknown setting {name!r}; expected one of {', '.join(_BY_NAME)}")
    raw = os.environ.get(name)
    if raw is None:
        raw = _secrets().get(name, setting.default)
    try:
        value = setting.type(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Setting {name}={raw!r} is not a valid {setting.type.__name__}") from exc
    if setting.type in (int, float) and (value < 0 or (value == 0 and not setting.allow_zero)):
        raise ConfigError(f"Setting {name}={raw!r} must be positive")
    return value
