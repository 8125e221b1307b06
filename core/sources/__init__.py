"""Where readings come from before they land in the warehouse: InfluxDB and raw packets in S3.

Every page and job reads readings from the warehouse's ``readings`` table (``EmbeddedSource``
for the DQ job's grids). In production the sync job (``python -m jobs sync``, core.ingest.sync)
fills that table from the platform's feeds: ``DQ_PLATFORM_READINGS`` picks where platform
readings come from and ``DQ_RAW_READINGS`` where raw packets come from; ``embedded`` means they
are imported into the warehouse directly (``python -m jobs import``) and there is nothing to
sync. docs/sources.md has the details.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import config
from core.errors import ConfigError
from core.sources.base import ReadingsBlock, SourceError, SourceUnavailableError

if TYPE_CHECKING:
    from core.sources.influx import InfluxSource
    from core.sources.s3_raw import S3RawSource

__all__ = [
    "PLATFORM_READINGS",
    "RAW_READINGS",
    "ReadingsBlock",
    "SourceError",
    "SourceUnavailableError",
    "platform_source",
    "raw_source",
]

PLATFORM_READINGS = ("embedded", "influxdb")  # values of DQ_PLATFORM_READINGS
RAW_READINGS = ("embedded", "s3", "none")  # values of DQ_RAW_READINGS


def platform_source() -> InfluxSource | None:
    """The InfluxDB source the sync reads, or None when platform readings are imported.

    Raises
    ------
    ConfigError
        For an unknown ``DQ_PLATFORM_READINGS`` or a missing ``DQ_INFLUX_URL``.
    """
    if _choice("DQ_PLATFORM_READINGS", PLATFORM_READINGS) != "influxdb":
        return None
    from core.sources.influx import InfluxSource  # the driver only when chosen

    return InfluxSource.from_settings()


def raw_source() -> S3RawSource | None:
    """The S3 packets source the sync reads, or None (raw readings imported, or no raw feed).

    Raises
    ------
    ConfigError
        For an unknown ``DQ_RAW_READINGS`` or a missing ``DQ_S3_RAW_URL``.
    """
    if _choice("DQ_RAW_READINGS", RAW_READINGS) != "s3":
        return None
    from core.sources.s3_raw import S3RawSource  # boto3 only when chosen

    return S3RawSource.from_settings()


def _choice(name: str, options: tuple[str, ...]) -> str:
    value = str(config.get(name)).strip().lower()
    if value not in options:
        raise ConfigError(f"Setting {name}={value!r} is not one of {', '.join(options)}")
    return value
