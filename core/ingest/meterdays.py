"""One aggregation of a readings file's checked rows, by meter, source and UTC day.

The checked rows (core.ingest.readings: ``_midx, _src, ts, _soff_us, _ok, _fine`` per row,
held as an Arrow table) are grouped once, which gives everything the import needs before it
touches a row again:

- the report's counts: rows kept, bad rows, off-grid readings, snapped timestamps;
- the clock statistics of each meter-day (``meter_clock_days``): readings kept and off the
  grid; late and early readings, the largest and the median offset are computed afterwards,
  only for the meter-days with an off-boundary reading (elsewhere they are 0 by definition);
- a duplicate screen: each kept row sets the bit of its quarter-hour of the day in a 127-bit
  map. A meter-day with fewer bits set than rows *may* hold two rows on one slot and sends the
  file through the exact duplicate check. Two rows on one slot always set the same bit, so a
  file that passes has no duplicates; on 15- and 60-minute grids distinct slots of one day set
  distinct bits, so a clean file never pays for the exact check (a file's rows are not in file
  order by then, so order cannot prove the same);
- the kept rows per meter and day: the meter-days the import changes (``reading_changes``).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

LATE_US = 1_000_000  # a reading at least 1 s off the boundary counts as late / early
# Bit of a kept row in its meter-day's slot map, 0..126 (HUGEINT bit 127 is the sign): the
# quarter-hour of the day, distinct for the slots of one UTC day on a 15- or 60-minute grid.
_SLOT_BIT = "((epoch_us(ts) // 900000000) % 127 + 127) % 127"


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


def aggregate(con: duckdb.DuckDBPyConnection, rows: str, table: pa.Table, index: int) -> Totals:
    """Build ``_rstat_<index>`` and the clock statistics ``_clock_<index>`` from ``rows``.

    ``rows`` names ``table``, every checked row of file ``index`` with ``_midx, _src, ts,
    _soff_us``, ``_ok`` (passes every check) and ``_fine`` (passes every check but the
    off-grid one). The totals are counted on the Arrow columns first, so a count that is all
    rows (or none) costs the aggregation nothing.
    """
    stat, clock = f"_rstat_{index}", f"_clock_{index}"
    n = table.num_rows
    kept = _true(table["_ok"])
    fine = _true(table["_fine"])
    off_boundary = _true(pc.and_(table["_fine"], pc.not_equal(table["_soff_us"], 0)))

    def count(where: str, matching: int) -> str:
        if matching == n:
            return "count(*)"
        return f"count(*) FILTER (WHERE {where})" if matching else "CAST(0 AS BIGINT)"

    bit = _SLOT_BIT if kept == n else f"CASE WHEN _ok THEN {_SLOT_BIT} END"
    con.execute(
        f"CREATE OR REPLACE TABLE {stat} AS SELECT _midx, _src, CAST(ts AS DATE) AS day, "
        f"{count('_fine', fine)} AS clock_rows, {count('_ok', kept)} AS readings, "
        f"{count('_fine AND _soff_us <> 0', off_boundary)} AS off_boundary, "
        f"bit_or(CAST(1 AS HUGEINT) << CAST({bit} AS HUGEINT)) AS slots "
        f"FROM {rows} GROUP BY _midx, _src, CAST(ts AS DATE)"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {clock} AS SELECT {index} AS _file, _midx, _src, day, "
        "readings, clock_rows - readings AS off_grid, CAST(0 AS BIGINT) AS late, "
        "CAST(0 AS BIGINT) AS early, CAST(0 AS DOUBLE) AS max_offset_s, "
        f"CAST(0 AS DOUBLE) AS median_offset_s FROM {stat} WHERE clock_rows > 0"
    )
    maybe = con.execute(
        f"SELECT coalesce(bool_or(readings > coalesce(bit_count(slots), 0)), false) FROM {stat}"
    ).fetchall()[0][0]
    if off_boundary:
        _offsets(con, rows, stat, clock)
    off_grid = fine - kept
    # Off-grid rows are off the boundary too: the rest of the off-boundary rows were snapped.
    return Totals(kept, n - kept, off_grid, off_boundary - off_grid, bool(maybe))


def _true(flags: pa.ChunkedArray) -> int:
    """How many values are true (nulls are not)."""
    return int(pc.sum(flags).as_py() or 0)


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
