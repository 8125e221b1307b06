"""Settings of where readings come from and how the sync job lands them.

InfluxDB, S3 packets, the sync's lookback and first window, retention.
"""

from core.settings.setting import Setting

SETTINGS: tuple[Setting, ...] = (
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
        allow_zero=True,
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
)
