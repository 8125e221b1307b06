"""One aggregation of a readings file's checked rows, by meter, source and UTC day.

The checked rows (core.ingest.readings: ``_midx, _src, ts, _soff_us, _ok, _fine`` per row,
held as an Arrow table) are grouped once, which gives everything the import needs before it
touches a row again:

- the report's counts: rows kept, bad rows, off-grid readings, snapped timestamps;
- the clock statistics of each meter-day (``meter_clock_days``): readings kept and off the
  grid; late and early readings, the largest and the median offset are computed afterwards,
  only for the meter-days with an off-boundary reading (elsewhere they are 0 by definition);
- a duplicate screen: each kept row sets the bit of its quarter-hour of the day in a 128-bit
  map. A meter-day with fewer bits set than rows *may* hold two rows on one slot and sends the
  file through the exact duplicate check. Two rows on one slot always set the same bit, so a
  file that passes has no duplicates; on 15- and 60-minute grids distinct slots of one day set
  distinct bits, so a clean file never pays for the exact check;
- the kept rows per meter and day: the meter-days the import changes (``reading_changes``).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

LATE_US = 1_000_000  # a reading at least 1 s off the boundary counts as late / early
_QUARTER_OF_DAY = "((epoch_us(ts) // 900000000) % 128 + 128) % 128"


@dataclass(frozen=True)
class Totals:
    """Counts of one file's checked rows.

    Attributes
    ----------
    kept : int
        Rows passing every check (before duplicates are collapsed).
    bad : int
        Rows failing any check.
    off_grid : int
        Rows beyond the snap tolerance that pass every other check.
    snapped : int
        Kept rows whose timestamp was moved onto the slot boundary.
    maybe_duplicates : bool
        Whether the duplicate screen found a meter-day that may hold two rows on one slot.
    """

    kept: int
    bad: int
    off_grid: int
    snapped: int
    maybe_duplicates: bool


def aggregate(con: duckdb.DuckDBPyConnection, rows: str, index: int) -> Totals:
    """Build ``_rstat_<index>`` and the clock statistics ``_clock_<index>`` from ``rows``.

    ``rows`` holds every checked row of file ``index`` with ``_midx, _src, ts, _soff_us``,
    ``_ok`` (passes every check) and ``_fine`` (passes every check but the off-grid one).
    """
    stat, clock = f"_rstat_{index}", f"_clock_{index}"
    one = "CAST(1 AS UBIGINT)"
    con.execute(
        f"CREATE OR REPLACE TABLE {stat} AS SELECT _midx, _src, CAST(ts AS DATE) AS day, "
        "count(*) AS n, count(*) FILTER (WHERE _fine) AS clock_rows, "
        "count(*) FILTER (WHERE _ok) AS readings, "
        "count(*) FILTER (WHERE _fine AND _soff_us <> 0) AS off_boundary, "
        f"bit_or({one} << CASE WHEN _bit < 64 THEN _bit END) AS bits_lo, "
        f"bit_or({one} << CASE WHEN _bit >= 64 THEN _bit - 64 END) AS bits_hi "
        f"FROM (SELECT *, CAST(CASE WHEN _ok THEN {_QUARTER_OF_DAY} END AS UBIGINT) AS _bit "
        f"FROM {rows}) r GROUP BY ALL"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {clock} AS SELECT {index} AS _file, _midx, _src, day, "
        "readings, clock_rows - readings AS off_grid, CAST(0 AS BIGINT) AS late, "
        "CAST(0 AS BIGINT) AS early, CAST(0 AS DOUBLE) AS max_offset_s, "
        f"CAST(0 AS DOUBLE) AS median_offset_s FROM {stat} WHERE clock_rows > 0"
    )
    n, kept, off_grid, off_boundary, maybe = con.execute(
        "SELECT coalesce(sum(n), 0), coalesce(sum(readings), 0), "
        "coalesce(sum(clock_rows - readings), 0), coalesce(sum(off_boundary), 0), "
        "coalesce(bool_or(readings > coalesce(bit_count(bits_lo), 0) "
        f"+ coalesce(bit_count(bits_hi), 0)), false) FROM {stat}"
    ).fetchall()[0]
    if off_boundary:
        _offsets(con, rows, stat, clock)
    # Off-grid rows are off the boundary too: the rest of the off-boundary rows were snapped.
    return Totals(int(kept), int(n - kept), int(off_grid), int(off_boundary - off_grid), maybe)


def _offsets(con: duckdb.DuckDBPyConnection, rows: str, stat: str, clock: str) -> None:
    """Late, early, largest and median offset of the meter-days with an off-boundary reading.

    The median is kept only where a reading is late, early or off the grid (a meter-day
    whose readings are all within a second of the boundary keeps 0).
    """
    con.execute(
        f"UPDATE {clock} t SET late = m.late, early = m.early, max_offset_s = m.max_offset_s, "
        "median_offset_s = CASE WHEN m.late + m.early + t.off_grid > 0 THEN m.med ELSE 0 END "
        "FROM (SELECT r._midx, r._src, g.day, "
        f"count(*) FILTER (WHERE r._soff_us >= {LATE_US}) AS late, "
        f"count(*) FILTER (WHERE r._soff_us <= -{LATE_US}) AS early, "
        "max(abs(r._soff_us)) / 1e6 AS max_offset_s, median(r._soff_us) / 1e6 AS med "
        f"FROM {rows} r JOIN {stat} g ON g._midx = r._midx AND g._src = r._src "
        "AND g.day = CAST(r.ts AS DATE) AND g.off_boundary > 0 WHERE r._fine "
        "GROUP BY r._midx, r._src, g.day) m "
        "WHERE t._midx = m._midx AND t._src = m._src AND t.day = m.day"
    )


def changes_from_stats(con: duckdb.DuckDBPyConnection, index: int, table: str) -> None:
    """``table(_midx, day, rows)``: kept rows per meter-day of file ``index``.

    Right only when the file's kept rows are its rows passing every check (no duplicates, no
    other file in the same call).
    """
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT _midx, day, sum(readings) AS rows "
        f"FROM _rstat_{index} WHERE readings > 0 GROUP BY _midx, day"
    )


def changes_from_rows(con: duckdb.DuckDBPyConnection, rows: str, table: str) -> None:
    """``table(_midx, day, rows)`` counted from the kept rows ``rows``."""
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT _midx, CAST(ts AS DATE) AS day, "
        f"count(*) AS rows FROM {rows} GROUP BY _midx, CAST(ts AS DATE)"
    )
