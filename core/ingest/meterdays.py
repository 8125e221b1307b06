"""One pass over a checked readings file, by meter, source and UTC day.

A single aggregation over the checked rows (:mod:`core.ingest.readings`) gives everything the
import needs to know before it touches a row again:

- the report's counts (bad rows, off-grid readings, snapped timestamps, rows kept);
- the clock statistics of each meter-day (``meter_clock_days``): readings kept, off the grid,
  late, early, the largest offset; the median offset is added afterwards, only for the
  meter-days that have an off-boundary reading (the rest are 0 by definition);
- a duplicate screen: each kept row sets the bit of its slot-of-the-day in a 128-bit map; a
  meter-day with fewer bits set than rows *may* hold two rows on one slot and sends the file
  through the exact duplicate check. Two rows on one slot always set the same bit, so a file
  that passes the screen has no duplicates (a false alarm only costs the exact check);
- per meter and day, the kept rows and their first and last timestamps: the meter-days an
  import changes (``reading_changes``) when nothing is stored in that time range yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from core.ingest import staging
from core.ingest.staging import Staged

LATE_US = 1_000_000  # a reading at least 1 s off the boundary counts as late / early
# Slot of the day, 0..127: distinct for the slots of one UTC day on a 15- or 60-minute grid.
_SLOT_BIT = "((epoch_us(ts) // (CAST(_interval AS BIGINT) * 60000000)) % 128 + 128) % 128"


@dataclass(frozen=True)
class Totals:
    """Counts of one file's checked rows.

    Attributes
    ----------
    bad : int
        Rows failing any check.
    off_grid : int
        Rows beyond the snap tolerance (some of them may fail another check too).
    snapped : int
        Kept rows whose timestamp was moved onto the slot boundary.
    kept : int
        Rows passing every check (before duplicates are collapsed).
    maybe_duplicates : bool
        Whether the duplicate screen found a meter-day that may hold two rows on one slot.
    off_boundary : bool
        Whether any meter-day has a late, early or off-grid reading (median offsets needed).
    """

    bad: int
    off_grid: int
    snapped: int
    kept: int
    maybe_duplicates: bool
    off_boundary: bool


def aggregate(
    con: duckdb.DuckDBPyConnection, chk: str, s: Staged, others: str, off_grid: str
) -> Totals:
    """Build ``_rstat_<i>`` and ``_clock_<i>`` from the checked rows ``chk`` of file ``s``.

    ``others`` is the SQL of "fails a check other than the off-grid one", ``off_grid`` the
    off-grid flag. Raises :class:`~core.errors.ImportFileError` when a lazily staged file
    cannot be read (this is its first full read).
    """
    stat, clock = f"_rstat_{s.index}", f"_clock_{s.index}"
    kept_bit = f"CAST(CASE WHEN _ok THEN {_SLOT_BIT} END AS UBIGINT)"
    one = "CAST(1 AS UBIGINT)"
    sql = (
        f"CREATE OR REPLACE TABLE {stat} AS SELECT _midx, _src, CAST(ts AS DATE) AS day, "
        "count(*) FILTER (WHERE NOT _ok) AS bad, "
        f"count(*) FILTER (WHERE {off_grid}) AS off_grid_all, "
        "count(*) FILTER (WHERE _ok AND _off_us > 0) AS snapped, "
        "count(*) FILTER (WHERE NOT _oth) AS clock_rows, "
        "count(*) FILTER (WHERE _ok) AS readings, "
        "count(*) FILTER (WHERE NOT _oth AND NOT _ok) AS off_grid, "
        f"count(*) FILTER (WHERE NOT _oth AND _soff_us >= {LATE_US}) AS late, "
        f"count(*) FILTER (WHERE NOT _oth AND _soff_us <= -{LATE_US}) AS early, "
        "max(_off_us) FILTER (WHERE NOT _oth) / 1e6 AS max_offset_s, "
        f"bit_or({one} << CASE WHEN _bit < 64 THEN _bit END) AS bits_lo, "
        f"bit_or({one} << CASE WHEN _bit >= 64 THEN _bit - 64 END) AS bits_hi, "
        "min(ts) FILTER (WHERE _ok) AS first_ts, max(ts) FILTER (WHERE _ok) AS last_ts "
        f"FROM (SELECT *, {others} AS _oth, {kept_bit} AS _bit FROM {chk}) c GROUP BY ALL"
    )
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        if s.lazy:
            raise staging.unreadable(s, exc) from exc
        raise
    con.execute(
        f"CREATE OR REPLACE TABLE {clock} AS SELECT {s.index} AS _file, _midx, _src, day, "
        "readings, off_grid, late, early, max_offset_s, CAST(0 AS DOUBLE) AS median_offset_s "
        f"FROM {stat} WHERE clock_rows > 0"
    )
    row = con.execute(
        "SELECT coalesce(sum(bad), 0), coalesce(sum(off_grid_all), 0), coalesce(sum(snapped), 0), "
        "coalesce(sum(readings), 0), coalesce(bool_or(readings > coalesce(bit_count(bits_lo), 0) "
        "+ coalesce(bit_count(bits_hi), 0)), false), "
        f"coalesce(bool_or(clock_rows > 0 AND late + early + off_grid > 0), false) FROM {stat}"
    ).fetchall()[0]
    totals = Totals(*(int(v) for v in row[:4]), bool(row[4]), bool(row[5]))
    if totals.off_boundary:
        _medians(con, chk, clock, others)
    return totals


def _medians(con: duckdb.DuckDBPyConnection, chk: str, clock: str, others: str) -> None:
    """Median signed offset of the meter-days with an off-boundary reading."""
    con.execute(
        f"UPDATE {clock} t SET median_offset_s = m.med FROM (SELECT c._midx, c._src, "
        "CAST(c.ts AS DATE) AS day, median(c._soff_us) / 1e6 AS med "
        f"FROM {chk} c JOIN {clock} g ON g._midx = c._midx AND g._src = c._src "
        "AND g.day = CAST(c.ts AS DATE) AND g.late + g.early + g.off_grid > 0 "
        f"WHERE NOT ({others}) "
        "GROUP BY ALL) m WHERE t._midx = m._midx AND t._src = m._src AND t.day = m.day"
    )


def changes_from_stats(con: duckdb.DuckDBPyConnection, s: Staged, table: str) -> None:
    """``table(_midx, day, rows, first_ts, last_ts)``: kept rows per meter-day of one file.

    Right only when the file's kept rows are its rows passing every check (no duplicates, no
    later file of the same call).
    """
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT _midx, day, sum(readings) AS rows, "
        f"min(first_ts) AS first_ts, max(last_ts) AS last_ts FROM _rstat_{s.index} "
        "WHERE readings > 0 GROUP BY _midx, day"
    )


def changes_from_rows(con: duckdb.DuckDBPyConnection, rows: str, table: str) -> None:
    """``table(_midx, day, rows, first_ts, last_ts)`` counted from the kept rows ``rows``."""
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT _midx, CAST(ts AS DATE) AS day, "
        f"count(*) AS rows, min(ts) AS first_ts, max(ts) AS last_ts FROM {rows} "
        "GROUP BY _midx, CAST(ts AS DATE)"
    )
