"""Synthetic benchmark fleet: N meters x D days of 15-minute readings, generated in DuckDB SQL.

Rows are produced by ``range()`` inside DuckDB (no Python objects per reading) and inserted in
batches of meters, in ``meter_id`` order, so 100,000 meters x 29 days (278M rows) fits in a
few hundred MB of RAM. The file is cached under ``bench/out/`` keyed by N, D and the generator
version and reused when present.

Shape: a daytime bump by local hour of day, lower on weekends, a per-meter scale and +/-8 %
hash noise. A few meters carry anomalies (gaps, an offline tail, zero runs, flatlines, spikes,
drops, negative values, raw readings that disagree with the platform), half of them on the
last (scored) day.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench import cachefile
from bench.cachefile import OUT

VERSION = 1  # bump when the generated data changes, so stale cached files are not reused
FIRST_DAY = date(2024, 1, 1)  # a Monday
SLOTS = 96
BATCH_METERS = 5000
NY_EVERY = 20  # every 20th meter is in America/New_York, the rest UTC
RAW_EVERY = 100  # every 100th meter also has raw readings


@dataclass(frozen=True)
class Fleet:
    """A generated warehouse file.

    Attributes
    ----------
    path : str
        Absolute path of the DuckDB file.
    meters, days : int
        Fleet size and number of days of readings.
    first_day, last_day : str
        ISO dates of the first and last day (the last is the day the benchmark scores).
    rows : int
        Rows in ``readings``.
    seconds : float
        Generation time (of the run that built the file).
    """

    path: str
    meters: int
    days: int
    first_day: str
    last_day: str
    rows: int
    seconds: float

    @property
    def url(self) -> str:
        """``DQ_WAREHOUSE`` URL of the file."""
        return f"duckdb:///{self.path}"


def _platform_sql(lo: int, hi: int, days: int) -> str:
    """INSERT of the platform readings of meters ``[lo, hi)``, ordered by meter then time."""
    t = days * SLOTS
    # anomaly start slot: half on the last day, the rest on a hashed day; 80 keeps it in the day
    start = f"(least(hash(i, 1) % {2 * days}, {days - 1}) * {SLOTS} + hash(i, 2) % 80)"
    return f"""
    INSERT INTO readings
    WITH g AS (SELECT r // {t} AS i, r % {t} AS j FROM range({lo * t}, {hi * t}) t(r)),
    f AS (
      SELECT i, j, j - {start} AS k,
        ((j % {SLOTS}) + CASE WHEN i % {NY_EVERY} = 0 THEN {96 - 20} ELSE 0 END) % {SLOTS}
          / 4.0 AS hour,
        (j // {SLOTS}) % 7 >= 5 AS weekend,
        2 + 30 * (hash(i) % 1000) / 1000.0 AS scale,
        1 + 0.08 * ((hash(i, j) % 2001) / 1000.0 - 1) AS noise
      FROM g
    ),
    v AS (
      SELECT i, j, k, scale * noise * (0.35 + CASE WHEN weekend THEN 0.3 ELSE 0.65 END
               * greatest(0, sin(pi() * (hour - 6) / 13))) AS base, scale
      FROM f
    )
    SELECT printf('m%06d', i), TIMESTAMP '{FIRST_DAY}' + to_minutes(j * 15),
      round(CASE
        WHEN i % 43 = 7 AND k BETWEEN 0 AND 31 THEN 0                     -- 8 h of zeros
        WHEN i % 47 = 3 AND k BETWEEN 0 AND 47 THEN round(scale * 0.5, 1) -- 12 h flatline
        WHEN i % 53 = 9 AND k = 0 THEN base * 8                           -- one spike
        WHEN i % 59 = 17 AND k BETWEEN 0 AND 7 THEN base * 0.1            -- 2 h drop
        WHEN i % 211 = 13 AND k = 0 THEN -base                            -- negative value
        ELSE base END, 3),
      'platform'
    FROM v
    WHERE NOT (i % 37 = 5 AND k BETWEEN 0 AND 11)   -- 3 h gap
      AND NOT (i % 401 = 11 AND j >= {t - 40})       -- offline for the last 10 h
    """


def _raw_sql(lo: int, hi: int, days: int) -> str:
    """INSERT of raw readings for every ``RAW_EVERY``-th meter: a copy of platform, 1 in 10
    off by 30 % for 6 h of the last day."""
    t = days * SLOTS
    return f"""
    INSERT INTO readings
    SELECT meter_id, ts,
      CASE WHEN CAST(substr(meter_id, 2) AS BIGINT) % {RAW_EVERY * 10} = 0
            AND ts >= TIMESTAMP '{FIRST_DAY}' + to_minutes({(t - 48) * 15})
            AND ts < TIMESTAMP '{FIRST_DAY}' + to_minutes({(t - 24) * 15})
        THEN round(value * 1.3, 3) ELSE value END,
      'raw'
    FROM readings
    WHERE meter_id >= printf('m%06d', {lo}) AND meter_id < printf('m%06d', {hi})
      AND CAST(substr(meter_id, 2) AS BIGINT) % {RAW_EVERY} = 0 AND source = 'platform'
    ORDER BY meter_id, ts
    """


def _meters_sql(n: int) -> str:
    return f"""
    INSERT INTO meters
    SELECT printf('m%06d', i), printf('b%06d', i // 4), printf('a%04d', i // 400),
      'electricity', 'kWh', printf('Building %d', i // 4), printf('Account %d', i // 400),
      CASE WHEN i % {NY_EVERY} = 0 THEN 'America/New_York' ELSE 'UTC' END,
      true, true, false, 15
    FROM range(1, {n + 1}) t(i)
    """


def path_for(meters: int, days: int) -> Path:
    """Cache path of the fleet of ``meters`` x ``days``."""
    return OUT / f"fleet_v{VERSION}_{meters}m_{days}d.duckdb"


def ensure(meters: int, days: int = 29, regenerate: bool = False, quiet: bool = False) -> Fleet:
    """Return the cached fleet file, generating it first when absent (or ``regenerate``).

    Parameters
    ----------
    meters : int
        Number of meters (ids ``m000001`` ...).
    days : int
        Days of readings from ``FIRST_DAY``; the benchmark scores the last one.
    regenerate : bool
        Rebuild even when a cached file exists.
    quiet : bool
        No progress lines on stderr.
    """
    path = path_for(meters, days)
    if (saved := cachefile.cached(path, regenerate)) is not None:
        return Fleet(**saved)
    return _generate(path, meters, days, quiet)


def _generate(path: Path, meters: int, days: int, quiet: bool) -> Fleet:
    t0 = time.perf_counter()
    tmp, con = cachefile.start(path)
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(_meters_sql(meters))
        for lo in range(1, meters + 1, BATCH_METERS):
            hi = min(lo + BATCH_METERS, meters + 1)
            con.execute(_platform_sql(lo, hi, days))
            con.execute(_raw_sql(lo, hi, days))
            if not quiet:
                done = hi - 1
                print(
                    f"fleetgen: {done:,}/{meters:,} meters, {time.perf_counter() - t0:.0f} s",
                    file=sys.stderr,
                )
        rows = con.execute("SELECT count(*) FROM readings").fetchone()[0]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return cachefile.finish(
        tmp,
        path,
        Fleet(
            path=str(path),
            meters=meters,
            days=days,
            first_day=str(FIRST_DAY),
            last_day=str(FIRST_DAY + timedelta(days=days - 1)),
            rows=int(rows),
            seconds=round(time.perf_counter() - t0, 1),
        ),
    )
