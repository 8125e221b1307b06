"""Settings of where DQ Hub stores things.

The warehouse, its app cache, Redshift loading, the projects and platform databases.
"""

from core.settings.setting import Setting

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
        "DQ_CACHE_BATCH_ROWS",
        100_000,
        int,
        "Remote warehouse only: rows a cache refresh holds in memory at a time while it streams "
        "a table from the warehouse (bounds the refresh's memory).",
    ),
    Setting(
        "DQ_CACHE_FULL_REFRESH_HOURS",
        24,
        int,
        "Remote warehouse only: a refresh copies everything again when the last full copy is "
        "older than this (others copy only what changed); 0 = every refresh is a full copy.",
        allow_zero=True,
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
        "DQ_CONNECT_TIMEOUT_SECONDS",
        10,
        int,
        "Seconds any PostgreSQL connection (DQ_PLATFORM_DB_URL, DQ_PROJECTS_DB_URL) waits to "
        "connect before it fails.",
    ),
    Setting(
        "DQ_LOCK_TIMEOUT_SECONDS",
        60.0,
        float,
        "How long an operation retries a DuckDB file locked by another process.",
    ),
)
