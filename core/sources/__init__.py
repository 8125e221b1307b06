"""Where meters and readings come from: the warehouse's own tables, InfluxDB, raw packets in S3.

Meters always come from the warehouse's ``meters`` table. The platform feed is chosen by
``DQ_PLATFORM_READINGS`` and the raw feed by ``DQ_RAW_READINGS``; :func:`from_settings` builds
them and :class:`Readings` merges their blocks for the DQ job. docs/sources.md has the details.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core import config
from core.db.base import Database
from core.errors import ConfigError
from core.sources.base import (
    ReadingsBlock,
    ReadingsSource,
    Reporter,
    SourceError,
    SourceUnavailableError,
)
from core.sources.embedded import EmbeddedSource

__all__ = [
    "PLATFORM_SOURCES",
    "RAW_SOURCES",
    "Loaded",
    "Readings",
    "ReadingsBlock",
    "ReadingsSource",
    "SourceError",
    "SourceUnavailableError",
    "eligible_meters",
    "from_settings",
]


def _embedded(feed: str) -> Callable[[Database, Reporter], ReadingsSource]:
    return lambda db, _report: EmbeddedSource(db, (feed,))


def _influxdb(_db: Database, _report: Reporter) -> ReadingsSource:
    from core.sources.influx import InfluxSource

    return InfluxSource.from_settings()


def _s3(_db: Database, report: Reporter) -> ReadingsSource:
    from core.sources.s3_raw import S3RawSource

    return S3RawSource.from_settings(report)


# Setting value -> source; drivers (influxdb, boto3) are imported only when chosen.
PLATFORM_SOURCES: dict[str, Callable[[Database, Reporter], ReadingsSource]] = {
    "embedded": _embedded("platform"),
    "influxdb": _influxdb,
}
RAW_SOURCES: dict[str, Callable[[Database, Reporter], ReadingsSource] | None] = {
    "embedded": _embedded("raw"),
    "s3": _s3,
    "none": None,
}


def eligible_meters(db: Database) -> pd.DataFrame:
    """Meters the DQ job scores, from the warehouse's ``meters`` table (every source's meters)."""
    return EmbeddedSource(db).eligible_meters()


@dataclass(frozen=True)
class Loaded:
    """One chunk's readings, and the feeds that could not be read for it.

    Attributes
    ----------
    block : ReadingsBlock
        Platform and raw rows of every source that answered.
    down : tuple of str
        ``platform`` and/or ``raw`` when their source failed (this chunk or earlier).
    """

    block: ReadingsBlock
    down: tuple[str, ...] = ()


@dataclass
class _Outage:
    error: SourceError
    feeds: tuple[str, ...]
    meters: int = 0


@dataclass
class Readings:
    """The sources of a run, each serving one or both feeds; loads a chunk from all of them.

    A source that fails (unreachable after its retries, or refusing) is not asked again in
    the same run: every later chunk reports its feeds as down at once, so an outage costs one
    timeout, not one per chunk.

    Parameters
    ----------
    sources : list of (feeds, source)
        E.g. ``[(("platform", "raw"), EmbeddedSource(db))]``, the embedded default.
    """

    sources: list[tuple[tuple[str, ...], ReadingsSource]]
    _outages: dict[int, _Outage] = field(default_factory=dict)

    def load(self, meter_ids: np.ndarray, start: pd.Timestamp, end: pd.Timestamp) -> Loaded:
        """Readings of ``meter_ids`` in ``[start, end)`` from every source still up.

        With one source (the embedded default) its block is returned as it is. After the
        platform source fails the others are not asked: the chunk cannot be scored.
        """
        blocks: list[ReadingsBlock] = []
        down: list[str] = []
        for i, (feeds, source) in enumerate(self.sources):
            if i not in self._outages:
                try:
                    blocks.append(source.load(meter_ids, start, end))
                    continue
                except SourceError as exc:
                    self._outages[i] = _Outage(exc, feeds)
            self._outages[i].meters += len(meter_ids)
            down += feeds
            if "platform" in feeds:
                break  # the chunk will not be scored: do not wait for the other sources
        return Loaded(ReadingsBlock.concat(blocks), tuple(down))

    def outages(self) -> list[tuple[str, str]]:
        """``(source label, reason)`` per failed source, for ``Run.fail_unit``."""
        out = []
        for i, outage in sorted(self._outages.items()):
            _, source = self.sources[i]
            feeds = " and ".join(outage.feeds)
            cause = (
                outage.error.reason
                if isinstance(outage.error, SourceUnavailableError)
                else str(outage.error).removeprefix(f"{source.label}: ")
            )
            meters = f"{outage.meters} meter{'' if outage.meters == 1 else 's'}"
            if "platform" in outage.feeds:
                lost = f"{meters} not scored"
            else:
                lost = f"raw feed of {meters} not scored (earlier raw results kept)"
            out.append((source.label, f"{feeds} readings unavailable: {cause}; {lost}"))
        return out


def from_settings(db: Database, report: Reporter) -> Readings:
    """The run's sources from ``DQ_PLATFORM_READINGS`` and ``DQ_RAW_READINGS``.

    Both embedded (the default) is one source read in one scan per chunk.

    Parameters
    ----------
    db : Database
        The warehouse (meters, and the embedded readings).
    report : callable
        ``report(unit id, reason)`` for units a source skips, e.g. a malformed raw packet.

    Raises
    ------
    ConfigError
        For an unknown source name or a chosen source's missing setting.
    """
    platform = _choice("DQ_PLATFORM_READINGS", PLATFORM_SOURCES)
    raw = _choice("DQ_RAW_READINGS", RAW_SOURCES)
    if platform == raw == "embedded":
        return Readings([(("platform", "raw"), EmbeddedSource(db))])
    sources: list[tuple[tuple[str, ...], ReadingsSource]] = [
        (("platform",), PLATFORM_SOURCES[platform](db, report))
    ]
    make_raw = RAW_SOURCES[raw]
    if make_raw is not None:
        sources.append((("raw",), make_raw(db, report)))
    return Readings(sources)


def _choice(name: str, options: dict[str, object]) -> str:
    value = str(config.get(name)).strip().lower()
    if value not in options:
        raise ConfigError(f"Setting {name}={value!r} is not one of {', '.join(options)}")
    return value
