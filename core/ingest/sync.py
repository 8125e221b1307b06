"""The sync job (``python -m jobs sync``): the platform's data lands in the warehouse.

Steps, each one unit of the run (a step that fails is recorded and the others still run):

1. ``platform``: meters with their eligibility and bills from the platform database
   (``DQ_PLATFORM_DB_URL``; core.ingest.platform).
2. ``influxdb``: platform readings (``DQ_PLATFORM_READINGS=influxdb``) from the start of the UTC
   day of the last sync's high water mark minus ``DQ_SYNC_LOOKBACK_HOURS`` (late points and
   corrections; whole days, see ``_start``) to now, by chunks of ``DQ_CHUNK_METERS`` meters.
   The high water mark moves only when every chunk landed.
3. ``s3``: raw packets (``DQ_RAW_READINGS=s3``) under the day partitions from the last synced
   day minus ``DQ_SYNC_LOOKBACK_HOURS`` to today, only objects not handled before (by key and
   etag, ``sync_objects``; with ``since``, every packet of those days again). A malformed
   packet is reported once, by key, and set aside (``status = 'malformed'``): later runs do
   not read it again (unless it is rewritten), so it never makes them partial.
4. ``retention``: readings older than ``DQ_READINGS_RETENTION_DAYS`` are deleted (0: keep all).

Readings go through the importer (snapping, clock statistics, bad rows by meter) and are written
as changes (core.ingest.write): a rerun writes nothing, and each meter-day that changed is
recorded in ``reading_changes`` so the DQ job re-scores days it had already scored. ``--since``
re-reads from a given day (a backfill) whatever the high water marks say.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
from tqdm import tqdm

from core import config, runs, sources
from core.db.base import Database
from core.errors import SourceError
from core.ingest import platform
from core.ingest.importer import import_frames
from core.ingest.report import ImportReport

log = logging.getLogger(__name__)

_BAD_SHOWN = 5  # bad-row reasons per step kept in the run's notes
_BATCH = 500  # keys per IN (...) list


@dataclass
class SyncSummary:
    """What a sync did, for the CLI, the worker and tests."""

    run_id: str
    status: str = "ok"
    lines: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    readings_changed: int = 0


def run(
    db: Database, since: date | None = None, now: datetime | None = None, progress: bool = False
) -> SyncSummary:
    """Sync every configured source into the warehouse (see the module docstring).

    Parameters
    ----------
    db : Database
        The warehouse.
    since : date, optional
        Re-read readings from this UTC day on, instead of from the last sync.
    now : datetime, optional
        Naive UTC end of the window (default: the current minute); tests pass their own.
    progress : bool
        Show a progress bar per readings step on stderr.
    """
    now = pd.Timestamp(now or runs.utcnow()).floor("min").to_pydatetime()
    run_ = runs.Run("sync", {"since": str(since) if since else "last"})
    runs.start(db, run_)
    summary = SyncSummary(run_.run_id)
    try:
        _platform(db, run_, summary)
        influx = _source(run_, "influxdb", sources.platform_source)
        if influx is not None:
            _influx(db, influx, since, now, run_, summary, progress)
        s3 = _source(run_, "s3", sources.raw_source)
        if s3 is not None:
            _s3(db, s3, since, now, run_, summary)
        _retention(db, now, summary)
        if not summary.lines:
            summary.lines.append(
                "nothing to sync: no platform database, InfluxDB or S3 source is configured"
            )
        with db.transaction() as tx:
            runs.finish(tx, run_)
    except BaseException as exc:
        runs.fail(db, run_, exc)
        raise
    summary.status, summary.failures = run_.status, run_.failures
    return summary


def _source(run_: runs.Run, step: str, make):  # noqa: ANN001, ANN202 - a factory, its source
    try:
        return make()
    except SourceError as exc:  # a bad setting is a ConfigError and stops the run
        run_.fail_unit(step, str(exc))
        return None


def _platform(db: Database, run_: runs.Run, summary: SyncSummary) -> None:
    url = str(config.get("DQ_PLATFORM_DB_URL")).strip()
    if not url:
        return
    run_.units_total += 1
    try:
        landed = platform.land(db, url)
    except SourceError as exc:
        run_.fail_unit("platform", str(exc))
        summary.lines.append(f"platform: not synced: {exc}")
        return
    summary.lines.append(landed.line())
    summary.lines += _bad_lines("platform", landed.report)


def _influx(
    db: Database,
    source: sources.InfluxSource,
    since: date | None,
    now: datetime,
    run_: runs.Run,
    summary: SyncSummary,
    progress: bool,
) -> None:
    run_.units_total += 1
    start = _start(db, "influxdb", since, now)
    meters = db.fetch_df("SELECT meter_id FROM meters ORDER BY meter_id")["meter_id"].to_numpy()
    chunk = config.get("DQ_CHUNK_METERS")
    read = changed = bad = 0
    bar = tqdm(total=len(meters), unit="meter", desc="sync influxdb", disable=not progress)
    for offset in range(0, len(meters), chunk):
        ids = meters[offset : offset + chunk]
        try:
            rows = source.rows(ids, pd.Timestamp(start), pd.Timestamp(now))
        except SourceError as exc:
            run_.fail_unit("influxdb", f"{exc}; meters from {ids[0]} on not synced")
            summary.lines.append(f"influxdb: stopped at meter {ids[0]}: {exc}")
            break
        report = _land(db, rows, "platform", f"influxdb[{ids[0]}..{ids[-1]}]", "influxdb")
        read, changed = read + len(rows), changed + report.readings_changed
        bad += len(report.bad_rows)
        summary.lines += _bad_lines("influxdb", report)
        bar.update(len(ids))
    else:
        _set_high_water(db, "influxdb", now, run_)
    bar.close()
    summary.readings_changed += changed
    summary.lines.insert(
        0, f"influxdb: {read} readings read from {start:%Y-%m-%d %H:%M} to {now:%Y-%m-%d %H:%M}, "
        f"{changed} new or changed, {bad} bad"
    )  # fmt: skip


def _s3(
    db: Database,
    source: sources.S3RawSource,
    since: date | None,
    now: datetime,
    run_: runs.Run,
    summary: SyncSummary,
) -> None:
    """Land new packets one day partition at a time.

    Memory holds one day, and a failure keeps the days already landed (the high water mark
    moves only when every day landed).
    """
    run_.units_total += 1
    start = _start(db, "s3", since, now)
    days = list(pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(now).normalize()))
    # ``since`` re-reads the packets it lists, like InfluxDB's readings (a backfill restores
    # what the warehouse lost); packets set aside as malformed stay aside until rewritten.
    seen_sql = "SELECT object_key, etag FROM sync_objects"
    if since is not None:
        seen_sql += " WHERE status = 'malformed'"
    seen = dict(db.fetch_all(seen_sql))
    packets = aside = read = changed = 0
    for day in days:
        try:
            new = source.new_objects([day], seen)
            rows, bad, counts = source.fetch([key for key, _, _ in new]) if new else _NONE
        except SourceError as exc:
            run_.fail_unit("s3", f"{exc}; partitions from {day:%Y-%m-%d} on not synced")
            summary.lines.append(f"s3: stopped at {day:%Y-%m-%d}: {exc}")
            break
        if not new:
            continue
        report = _land(db, rows, "raw", f"s3[date={day:%Y-%m-%d}]", "s3")
        for key, reason in bad:
            run_.fail_unit(
                f"s3://{source.bucket}/{key}", f"malformed raw packet set aside: {reason}"
            )
        _record_objects(db, new, dict(bad), counts, run_)
        packets, aside, read = packets + len(new), aside + len(bad), read + len(rows)
        changed += report.readings_changed
        summary.lines += _bad_lines("s3", report)
    else:
        _set_high_water(db, "s3", now, run_)
    summary.readings_changed += changed
    summary.lines.append(
        f"s3: {packets} new packets over {len(days)} day partitions, {aside} set aside, "
        f"{read} readings read, {changed} new or changed"
    )


_NONE = (pd.DataFrame(columns=["meter_id", "ts", "value"]), [], {})


def _record_objects(
    db: Database,
    new: list[tuple[str, str, int]],
    reasons: dict[str, str],
    counts: dict[str, int],
    run_: runs.Run,
) -> None:
    """Every handled packet in ``sync_objects``: ``ok`` with its readings, or ``malformed``."""
    objects = pd.DataFrame(
        [
            {
                "object_key": key,
                "etag": etag,
                "size_bytes": size,
                "status": "malformed" if key in reasons else "ok",
                "readings": counts.get(key, 0),
                "error": reasons.get(key),
                "synced_at": runs.utcnow(),
                "run_id": run_.run_id,
            }
            for key, etag, size in new
        ]
    )
    keys = list(objects["object_key"])
    with db.transaction() as tx:
        for i in range(0, len(keys), _BATCH):
            tx.execute(*_in("DELETE FROM sync_objects WHERE object_key", keys[i : i + _BATCH]))
        tx.insert_df("sync_objects", objects)


def _retention(db: Database, now: datetime, summary: SyncSummary) -> None:
    days = config.get("DQ_READINGS_RETENTION_DAYS")
    if not days:
        return
    cutoff = pd.Timestamp(now).normalize() - pd.Timedelta(days=days)
    with db.transaction() as tx:
        n = tx.fetch_all("SELECT count(*) FROM readings WHERE ts < ?", (cutoff,))[0][0]
        if n:
            tx.execute("DELETE FROM readings WHERE ts < ?", (cutoff,))
    summary.lines.append(f"retention: {n} readings before {cutoff:%Y-%m-%d} deleted")


def _land(db: Database, rows: pd.DataFrame, feed: str, label: str, origin: str) -> ImportReport:
    frame = rows.assign(source=feed)
    return import_frames(db, readings=frame, label=label, origin=origin)


def _bad_lines(step: str, report: ImportReport) -> list[str]:
    bad = report.bad_rows
    if bad.empty:
        return []
    shown = [f"  {step}: {reason}" for reason in bad["reason"].head(_BAD_SHOWN)]
    more = len(bad) - _BAD_SHOWN
    return [f"{step}: {len(bad)} bad rows skipped:", *shown] + (
        [f"  ... and {more} more"] if more > 0 else []
    )


def _start(db: Database, source: str, since: date | None, now: datetime) -> datetime:
    """Where a readings step starts: always a UTC midnight.

    ``since``; else the start of the day of the high water mark minus the lookback; else
    ``DQ_SYNC_FIRST_DAYS`` days before ``now``. Whole days, because the import records each
    meter-day's clock statistics (``meter_clock_days``) from the readings it was given: a re-read
    starting mid-day would replace a day's statistics with those of its last hours.
    """
    if since is not None:
        return datetime.combine(since, datetime.min.time())
    mark = high_water(db, source)
    if mark is None:
        return (
            pd.Timestamp(now).normalize() - pd.Timedelta(days=config.get("DQ_SYNC_FIRST_DAYS"))
        ).to_pydatetime()
    back = mark - timedelta(hours=config.get("DQ_SYNC_LOOKBACK_HOURS"))
    return pd.Timestamp(back).normalize().to_pydatetime()


def high_water(db: Database, source: str) -> datetime | None:
    """The end of the last complete sync of ``source`` (naive UTC), or None."""
    value = db.fetch_value("SELECT max(high_water) FROM sync_state WHERE source = ?", (source,))
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _set_high_water(db: Database, source: str, at: datetime, run_: runs.Run) -> None:
    row = pd.DataFrame(
        {
            "source": [source],
            "high_water": [at],
            "synced_at": [runs.utcnow()],
            "run_id": [run_.run_id],
        }
    )
    db.replace_rows("sync_state", "source = ?", (source,), row)


def _in(sql: str, values: list[str]) -> tuple[str, tuple]:
    marks = ", ".join("?" for _ in values)
    return f"{sql} IN ({marks})", tuple(values)
