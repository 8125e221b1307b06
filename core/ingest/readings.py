"""Validate readings: known meter, ISO-8601 ts snapped to the meter's slot grid, finite value.

Everything is set-based SQL in the private connection. The checked rows are a view, not a
copy: a clean file is read twice, once by the per meter-day aggregation that counts, screens
for duplicates and gathers the clock statistics (core.ingest.meterdays), once by the write.
Bad rows are copied (to word their reasons), and the exact duplicate check runs only when the
screen finds a meter-day that may hold two rows on one slot.

The slot grid of a meter is its ``interval_minutes`` counted on the meter's local clock.
For 15-minute meters that is the UTC quarter-hour grid in every real time zone; for hourly
meters in zones with a half-hour offset (e.g. Asia/Kolkata) the slots start at :30 UTC.

Gateways stamp readings seconds to minutes off the boundary (jitter, a drifting clock). A
timestamp within the snap tolerance (:class:`Snap`) lands on its nearest slot; its signed
offset goes into the per meter-day clock statistics (``meter_clock_days``), from which the DQ
job raises ``clock_drift``. Readings farther off are skipped and reported once per meter and
file with their count. Two readings landing on one slot keep the one closest to the boundary
(the last line on a tie).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from core import config
from core.errors import ConfigError
from core.ingest import checks as ck
from core.ingest import duplicates, meterdays, staging
from core.ingest.report import CONFLICT_COLUMNS
from core.ingest.spec import SOURCES
from core.ingest.sql import ident, lit, number, shown, text, timestamp_utc, type_class
from core.ingest.staging import Staged
from core.ingest.write import Replacement

OUT = "_readings_out"
KNOWN = "_known"
CLOCK = "_clock_out"
GRID = "_grid"  # the known meters with their slot grid: _create_grid
CHANGES = "_readings_changes"  # kept rows per meter-day: core.ingest.meterdays
CLOCK_COLUMNS = [
    "meter_id", "source", "day", "readings", "off_grid", "late", "early", "median_offset_s",
    "max_offset_s", "imported_at",
]  # fmt: skip
_KEEP = [
    "_midx", "_src", "ts", "value", "_off_us", "_soff_us", "_tol_us", "_interval", "_rejected",
    "_fine",
]  # fmt: skip
# _fine: passes every check but the off-grid one (the checks _checks() words, in one test).
_FINE = (
    "NOT _no_meter AND _interval IS NOT NULL AND ts_utc IS NOT NULL AND value IS NOT NULL "
    "AND _src IS NOT NULL"
)
OFF_GRID = 4  # position of the off-grid rule in _checks(): reported per meter, not per row
MAX_SNAP_FRACTION = 0.5  # half an interval: every timestamp has exactly one nearest slot


@dataclass(frozen=True)
class Snap:
    """How far from its slot boundary a timestamp may be and still land on the slot.

    Parameters
    ----------
    seconds : int
        Absolute tolerance; 0 means ``fraction`` of the meter's interval.
    fraction : float
        Tolerance as a share of the interval (0.2: 3 min on 15-minute meters, 12 min hourly).
    """

    seconds: int = 0
    fraction: float = 0.2

    @classmethod
    def from_settings(cls) -> Snap:
        """``DQ_SNAP_SECONDS`` and ``DQ_SNAP_FRACTION``, read now.

        Raises
        ------
        ConfigError
            If the fraction exceeds ``MAX_SNAP_FRACTION``.
        """
        fraction = config.get("DQ_SNAP_FRACTION")
        if fraction > MAX_SNAP_FRACTION:
            raise ConfigError(
                f"Setting DQ_SNAP_FRACTION={fraction:g} must be at most {MAX_SNAP_FRACTION} "
                "(half an interval)"
            )
        return cls(int(config.get("DQ_SNAP_SECONDS")), float(fraction))

    def sql(self) -> str:
        """Tolerance in microseconds as SQL over the meter's ``_slot_us``."""
        if self.seconds > 0:
            return str(int(self.seconds) * 1_000_000)
        return f"CAST(_slot_us * {float(self.fraction)!r} AS BIGINT)"


def _duration(us: str) -> str:
    """SQL text of a duration in microseconds: ``7 min 00 s`` or ``45 s``."""
    return (
        f"CASE WHEN {us} >= 60000000 THEN printf('%d min %02d s', {us} // 60000000, "
        f"({us} % 60000000) // 1000000) ELSE printf('%.6g s', {us} / 1e6) END"
    )


def _present(col: str, duck_type: str) -> str:
    if type_class(duck_type) == "text":
        return f"{text(col)} IS NOT NULL"
    return f"{col} IS NOT NULL"


def _create_grid(con: duckdb.DuckDBPyConnection, snap: Snap) -> bool:
    """Create ``_grid``: the known meters with what their slot grid needs, computed once.

    Columns added to ``_known``'s: ``_slot_us``, ``_half_us``, ``_tol_us`` (the snap tolerance)
    and ``_plain`` (no time zone arithmetic needed). Returns whether any meter needs it.
    """
    con.execute(
        f"CREATE OR REPLACE TABLE {GRID} AS SELECT *, {snap.sql()} AS _tol_us, "
        "_slot_us // 2 AS _half_us, (interval_minutes = 15 OR timezone = 'UTC') AS _plain "
        "FROM (SELECT *, "
        f"CAST(interval_minutes AS BIGINT) * 60000000 AS _slot_us FROM {KNOWN}) k"
    )
    return ck.count(con, f"SELECT count(*) FROM {GRID} WHERE NOT _plain") > 0


def _parsed_sql(s: Staged, zoned: bool = True) -> str:
    """Parse one file: meters and sources become small integers so the rest is numeric.

    ``zoned``: some known meter's grid needs time zone arithmetic (not 15-minute, not UTC);
    without it, the local clock is the UTC clock and no row pays for the test.
    """
    t = s.types
    col = {c: f"r.{ident(c)}" for c in s.spec.columns}
    codes = " ".join(f"WHEN {lit(name)} THEN {code}" for code, name in enumerate(SOURCES))
    tidy = f"CASE coalesce(lower({text(col['source'])}), {lit(SOURCES[0])}) {codes} END"
    # Exact spellings first: the ELSE branch (trim, lower) only runs for the odd rows.
    raw_source = col["source"] if t["source"] == "VARCHAR" else f"CAST({col['source']} AS VARCHAR)"
    source = f"CAST(CASE {raw_source} {codes} ELSE {tidy} END AS TINYINT)"
    if "source" not in s.columns:  # an absent column is all-empty: the default source
        source = "CAST(0 AS TINYINT)"
    # A matched meter is not empty: the trim runs only for the unmatched rows.
    no_meter = (
        f"CASE WHEN k.meter_id <> '' THEN false "
        f"ELSE coalesce(trim(CAST({col['meter_id']} AS VARCHAR)), '') = '' END"
    )
    parse = (
        f"SELECT r._rowid, r._line, k.midx AS _midx, k.rejected AS _rejected, "
        f"{no_meter} AS _no_meter, "
        f"{source} AS _src, "
        f"{timestamp_utc(col['ts'], t['ts'])} AS ts_utc, "
        f"{number(col['value'], t['value'])} AS value, "
        f"{_present(col['ts'], t['ts'])} AS _has_ts, "
        f"{_present(col['value'], t['value'])} AS _has_value, "
        "k.interval_minutes AS _interval, k.timezone AS _tz, k._slot_us, k._half_us, k._tol_us, "
        "k._plain "
        f"FROM ({s.rows_sql()}) r LEFT JOIN {GRID} k "
        f"ON k.meter_id = trim(CAST({col['meter_id']} AS VARCHAR))"
    )
    local_us = "epoch_us(ts_utc)"
    if zoned:
        local_us += (
            " + CASE WHEN _plain THEN 0 ELSE "
            "epoch_us(timezone(_tz, CAST(ts_utc AS TIMESTAMPTZ))) - epoch_us(ts_utc) END"
        )
    # _soff_us: signed offset from the nearest boundary, negative = stamped before it (half
    # way between two boundaries rounds up): the floor remainder of local + half, minus half.
    grid = (
        f"SELECT *, ((({local_us}) % _slot_us) + _slot_us + _half_us) % _slot_us - _half_us "
        f"AS _soff_us FROM ({parse}) p"
    )
    return (
        "SELECT _rowid, _line, _midx, _src, value, _no_meter, _rejected, _has_ts, _has_value, "
        "_interval, ts_utc, abs(_soff_us) AS _off_us, _soff_us, _tol_us, "
        f"make_timestamp(epoch_us(ts_utc) - _soff_us) AS ts, {_FINE} AS _fine FROM ({grid}) s"
    )


def _checks() -> list[ck.Check]:
    rules = [
        ck.Check("meter_id", "_no_meter", lit("meter_id is empty")),
        ck.Check(
            "meter_id",
            "NOT _no_meter AND _interval IS NULL",
            f"'meter_id ' || {shown(text('r.meter_id'))} || CASE WHEN c._rejected "
            "THEN ' is not a known meter (its row in the meters file was rejected)' "
            "ELSE ' is not a known meter (not in the warehouse nor in the meters file)' END",
        ),
        ck.Check("ts", "NOT _has_ts", lit("ts is empty")),
        ck.invalid("ts", "ts_utc", "_has_ts", "is not an ISO-8601 timestamp"),
        ck.Check(  # worded per meter and file by _off_grid_rows, not per row
            "ts", "_off_us > _tol_us", lit("ts is not on the meter's slot grid")
        ),
        ck.Check("value", "NOT _has_value", lit("value is empty")),
        ck.invalid("value", "value", "_has_value", "is not a finite number"),
        ck.Check(
            "source",
            "_src IS NULL",
            f"'source ' || {shown('r.source')} || {lit(' is not one of ' + ', '.join(SOURCES))}",
        ),
    ]
    return rules


def _off_grid_rows(con: duckdb.DuckDBPyConnection, chk: str, s: Staged) -> pd.DataFrame:
    """One bad-row entry per meter for the readings beyond the snap tolerance, with the count.

    A gateway whose clock runs minutes late has every row off the grid: one line per reading
    would bury the report, and the meter needs one fix (its clock, or the tolerance).
    """
    one = (
        f"'ts ' || {shown('r.ts')} || printf(' is not on the %d-minute grid (', g.interval) "
        f"|| {_duration('g.lo')} || ' off the nearest slot; snapping allows ' "
        f"|| {_duration('g.tol')} || ')'"
    )
    many = (
        f"printf('%d readings of meter %s are not on the %d-minute grid (', g.n, "
        f"{shown('g.meter_id')}, g.interval) || {_duration('g.lo')} || ' to ' || "
        f"{_duration('g.hi')} || ' off the nearest slot; snapping allows ' || "
        f"{_duration('g.tol')} || printf('), %ss %d to %d, first ts ', {lit(s.loc)}, "
        f"g.first_line, g.last_line) || {shown('r.ts')}"
    )
    return con.execute(
        f"WITH g AS (SELECT c._midx, k.meter_id, count(*) AS n, min(c._line) AS first_line, "
        "max(c._line) AS last_line, min(c._off_us) AS lo, max(c._off_us) AS hi, "
        "any_value(c._interval) AS interval, any_value(c._tol_us) AS tol "
        f"FROM {chk} c JOIN {KNOWN} k ON k.midx = c._midx WHERE c._bad{OFF_GRID} "
        "GROUP BY c._midx, k.meter_id) "
        f"SELECT {lit(s.name)} AS file, g.first_line AS line, g.meter_id, NULL AS bill_id, "
        "'ts' AS \"column\", CAST(r.ts AS VARCHAR) AS value, "
        f"printf('%s %d: ', {lit(s.loc)}, g.first_line) || CASE WHEN g.n = 1 THEN {one} "
        f"ELSE {many} END AS reason "
        f"FROM g JOIN {chk} c ON c._midx = g._midx AND c._line = g.first_line "
        f"JOIN {s.table} r ON r.rowid = c._rowid ORDER BY line"
    ).df()


def _bad_rows(
    con: duckdb.DuckDBPyConnection, chk: str, s: Staged, rules: list[ck.Check]
) -> pd.DataFrame:
    """Per-row reasons for every rule but the off-grid one, plus one entry per off-grid meter."""
    per_row = ck.collect_bad_rows(con, chk, s, rules, skip=(OFF_GRID,))
    grouped = _off_grid_rows(con, chk, s)
    if grouped.empty:
        return per_row
    both = pd.concat([per_row, grouped.astype({"line": "int64"})], ignore_index=True)
    return both.sort_values("line", kind="stable", ignore_index=True)


@dataclass
class Kept(ck.Validated):
    """The validated readings; ``rows`` holds them as an Arrow table when no query is needed."""

    rows: pa.Table | None = None


def validate(
    con: duckdb.DuckDBPyConnection, files: list[Staged], snap: Snap | None = None
) -> tuple[Kept, pd.DataFrame]:
    """Check, snap and de-duplicate every readings file.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The private connection, holding ``_known(midx, meter_id, interval_minutes, timezone,
        rejected)``.
    files : list of Staged
        Readings files of this call, in order (a later file replaces an earlier one's slots).
    snap : Snap, optional
        Largest distance from a slot boundary that is snapped rather than rejected (default:
        ``Snap()``, a fifth of the interval).

    Returns
    -------
    tuple
        The validated rows (a table with ``_midx, _src, ts, value, _file``; turn it into
        warehouse rows with :func:`rows`) and the conflicting slots. ``_clock_out`` holds the
        clock statistics (see :func:`clock_replacement`), ``_readings_changes`` the kept rows
        per meter-day (:func:`changes`).

    Raises
    ------
    ImportFileError
        If a lazily staged file turns out unreadable (core.ingest.staging).
    """
    if not files:
        return Kept(table=None), pd.DataFrame(columns=CONFLICT_COLUMNS)
    rules = _checks()
    out = Kept(table=OUT)
    stats: dict[int, tuple[int, int]] = {}
    conflicts = []
    clocks = []
    zoned = _create_grid(con, snap or Snap())
    for s in files:
        # A view, read once in full into Arrow (the columns the rest needs); bad rows and the
        # exact duplicate check go back to it only when there are any.
        chk = f"_rchk_{s.index}"
        ok = f"_fine AND NOT _bad{OFF_GRID}"
        ck.build_checked(con, chk, _parsed_sql(s, zoned), rules, keep=_KEEP, view=True, ok=ok)
        checked = _read(con, chk, s)
        totals = meterdays.aggregate(con, f"_rrows_{s.index}", checked, s.index)
        failed = f"_rfail_{s.index}"
        limit = "WHERE NOT _ok" if totals.bad else "LIMIT 0"
        con.execute(f"CREATE OR REPLACE TABLE {failed} AS SELECT * FROM {chk} {limit}")
        out.bad_rows.append(_bad_rows(con, failed, s, rules))
        report = ck.start_report(con, s, chk, bad=totals.bad)
        report.snapped_timestamps = totals.snapped
        report.off_grid_readings = totals.off_grid + ck.count(
            con, f"SELECT count(*) FROM {failed} WHERE _bad{OFF_GRID} AND NOT _fine"
        )
        out.reports.append(report)
        clocks.append(f"_clock_{s.index}")
        exact, conflicting, slots = duplicates.collapse(
            con, s, chk, screened=not totals.maybe_duplicates
        )
        stats[s.index] = (exact, conflicting)
        conflicts.append(slots)
    if len(files) == 1:
        s = files[0]
        out.table = f"_rslot_{s.index}"
        if stats[s.index] == (0, 0):
            meterdays.changes_from_stats(con, s.index, CHANGES)
            kept = checked.filter(checked["_ok"]) if totals.bad else checked
            out.rows = kept.select(["_midx", "_src", "ts", "value"])
        else:
            meterdays.changes_from_rows(con, out.table, CHANGES)
        loaded = totals.kept - sum(stats[s.index])
        ck.fill_counts(con, out, files, stats, loaded={s.index: loaded})
    else:
        union = " UNION ALL ".join(
            f"SELECT _midx, _src, ts, value, _file FROM _rslot_{s.index}" for s in files
        )
        con.execute(
            f"CREATE OR REPLACE TABLE {OUT} AS SELECT * FROM ({union}) u QUALIFY "
            "row_number() OVER (PARTITION BY _midx, _src, ts ORDER BY _file DESC) = 1"
        )
        meterdays.changes_from_rows(con, OUT, CHANGES)
        ck.fill_counts(con, out, files, stats)
    union = " UNION ALL ".join(f"SELECT * FROM {c}" for c in clocks)
    con.execute(
        f"CREATE OR REPLACE TABLE {CLOCK} AS SELECT * FROM ({union}) u QUALIFY "
        "row_number() OVER (PARTITION BY _midx, _src, day ORDER BY _file DESC) = 1"
    )
    frames = [c for c in conflicts if not c.empty]
    return out, (pd.concat(frames, ignore_index=True) if frames else conflicts[0])


def _read(con: duckdb.DuckDBPyConnection, chk: str, s: Staged) -> pa.Table:
    """Every checked row of ``s`` as Arrow, registered as ``_rrows_<i>``; the first full read.

    Raises
    ------
    ImportFileError
        If a lazily staged file cannot be read (e.g. a corrupt Parquet page).
    """
    # An offset is at most half a slot: 4 bytes hold it for slots up to 71 minutes.
    wide = ck.count(con, f"SELECT count(*) FROM {GRID} WHERE _half_us >= 2147483648")
    offset = "_soff_us" if wide else "CAST(_soff_us AS INTEGER) AS _soff_us"
    try:
        rows = con.sql(
            f"SELECT _midx, _src, ts, value, {offset}, _ok, _fine FROM {chk}"
        ).to_arrow_table()
    except duckdb.Error as exc:
        if s.lazy:
            raise staging.unreadable(s, exc) from exc
        raise
    con.register(f"_rrows_{s.index}", rows)
    return rows


def clock_replacement(con: duckdb.DuckDBPyConnection, files: list[Staged]) -> Replacement | None:
    """The clock statistics as ``meter_clock_days`` rows, replacing stored meter-days.

    A meter-day's statistics come from the latest import that held readings of that day.
    """
    if not files:
        return None
    source = " ".join(f"WHEN {code} THEN {lit(name)}" for code, name in enumerate(SOURCES))
    rows = con.execute(
        f"SELECT k.meter_id, CASE c._src {source} END AS source, c.day, "
        "CAST(c.readings AS INTEGER) AS readings, CAST(c.off_grid AS INTEGER) AS off_grid, "
        "CAST(c.late AS INTEGER) AS late, CAST(c.early AS INTEGER) AS early, "
        "c.median_offset_s, c.max_offset_s, "
        "CAST(date_trunc('second', now()) AS TIMESTAMP) AS imported_at "
        f"FROM {CLOCK} c JOIN {KNOWN} k ON k.midx = c._midx"
    ).df()
    return Replacement("meter_clock_days", rows[CLOCK_COLUMNS], ("meter_id", "source", "day"))


def rows(con: duckdb.DuckDBPyConnection, result: Kept) -> pa.Table:
    """The kept readings as warehouse rows: ``meter_id, ts, value, source``, an Arrow table.

    Only numbers leave DuckDB: ``meter_id`` and ``source`` are dictionary-encoded from their
    codes (no per-row strings), which the warehouse reads back as strings on insert.
    """
    ids = con.sql(f"SELECT meter_id FROM {KNOWN} ORDER BY midx").to_arrow_table()["meter_id"]
    kept = result.rows
    if kept is None:
        kept = con.sql(f"SELECT _midx, _src, ts, value FROM {result.table}").to_arrow_table()
    return pa.table(
        {
            "meter_id": _coded(kept["_midx"], ids.combine_chunks().cast(pa.string())),
            "ts": kept["ts"],
            "value": kept["value"],
            "source": _coded(kept["_src"], pa.array(SOURCES, pa.string())),
        }
    )


def _coded(codes: pa.ChunkedArray, names: pa.Array) -> pa.ChunkedArray:
    chunks = [pa.DictionaryArray.from_arrays(c, names) for c in codes.chunks]
    return pa.chunked_array(chunks, pa.dictionary(codes.type, pa.string()))


def changes(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Kept rows per meter and UTC day: ``meter_id, day, rows_changed`` (``reading_changes``)."""
    return con.sql(
        f"SELECT k.meter_id, c.day, CAST(c.rows AS INTEGER) AS rows_changed FROM {CHANGES} c "
        f"JOIN {KNOWN} k ON k.midx = c._midx"
    ).to_arrow_table()
