"""Validate readings: known meter, ISO-8601 ts snapped to the meter's slot grid, finite value.

Everything is set-based SQL in the private connection; a 10-million-row DataFrame goes
through one parse/check pass, one hash aggregation (duplicates) and nothing else.

The slot grid of a meter is its ``interval_minutes`` counted on the meter's local clock.
For 15-minute meters that is the UTC quarter-hour grid in every real time zone; for hourly
meters in zones with a half-hour offset (e.g. Asia/Kolkata) the slots start at :30 UTC.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from core.ingest import checks as ck
from core.ingest.report import CONFLICT_COLUMNS
from core.ingest.spec import SOURCES
from core.ingest.sql import ident, lit, number, shown, text, timestamp_utc, type_class
from core.ingest.staging import Staged

OUT = "_readings_out"
KNOWN = "_known"
_KEEP = ["_midx", "_src", "ts", "value", "_off_us", "_interval", "_rejected"]


def _present(col: str, duck_type: str) -> str:
    if type_class(duck_type) == "text":
        return f"{text(col)} IS NOT NULL"
    return f"{col} IS NOT NULL"


def _parsed_sql(s: Staged) -> str:
    """Parse one file: meters and sources become small integers so the rest is numeric."""
    t = s.types
    col = {c: f"r.{ident(c)}" for c in s.spec.columns}
    codes = " ".join(f"WHEN {lit(name)} THEN {code}" for code, name in enumerate(SOURCES))
    tidy = f"CASE coalesce(lower({text(col['source'])}), {lit(SOURCES[0])}) {codes} END"
    # Exact spellings first: the ELSE branch (trim, lower) only runs for the odd rows.
    raw_source = col["source"] if t["source"] == "VARCHAR" else f"CAST({col['source']} AS VARCHAR)"
    source = f"CAST(CASE {raw_source} {codes} ELSE {tidy} END AS TINYINT)"
    parse = (
        f"SELECT r._rowid, r._line, k.midx AS _midx, k.rejected AS _rejected, "
        f"coalesce(trim(CAST({col['meter_id']} AS VARCHAR)), '') = '' AS _no_meter, "
        f"{source} AS _src, "
        f"{timestamp_utc(col['ts'], t['ts'])} AS ts_utc, "
        f"{number(col['value'], t['value'])} AS value, "
        f"{_present(col['ts'], t['ts'])} AS _has_ts, "
        f"{_present(col['value'], t['value'])} AS _has_value, "
        f"k.interval_minutes AS _interval, k.timezone AS _tz "
        f"FROM ({s.rows_sql()}) r LEFT JOIN {KNOWN} k "
        f"ON k.meter_id = trim(CAST({col['meter_id']} AS VARCHAR))"
    )
    local_us = (
        "epoch_us(ts_utc) + CASE WHEN _interval = 15 OR _tz = 'UTC' THEN 0 ELSE "
        "epoch_us(timezone(_tz, CAST(ts_utc AS TIMESTAMPTZ))) - epoch_us(ts_utc) END"
    )
    grid = (
        f"SELECT *, ((({local_us}) % _slot_us) + _slot_us) % _slot_us AS _rem FROM "
        f"(SELECT *, CAST(_interval AS BIGINT) * 60000000 AS _slot_us FROM ({parse}) p) g"
    )
    return (
        "SELECT _rowid, _line, _midx, _src, value, _no_meter, _rejected, _has_ts, _has_value, "
        "_interval, ts_utc, least(_rem, _slot_us - _rem) AS _off_us, ts_utc + to_microseconds("
        "CASE WHEN 2 * _rem >= _slot_us THEN _slot_us - _rem ELSE -_rem END) AS ts "
        f"FROM ({grid}) s"
    )


def _checks(snap_seconds: int) -> list[ck.Check]:
    off = (
        "CASE WHEN c._off_us >= 60000000 THEN printf('%d min %02d s', c._off_us // 60000000, "
        "(c._off_us % 60000000) // 1000000) ELSE printf('%.6g s', c._off_us / 1e6) END"
    )
    return [
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
        ck.Check(
            "ts",
            f"_off_us > {int(snap_seconds) * 1_000_000}",
            f"'ts ' || {shown('r.ts')} || printf(' is not on the %d-minute grid (', c._interval) "
            f"|| {off} || ' off the nearest slot; snapping allows {int(snap_seconds)} s)'",
        ),
        ck.Check("value", "NOT _has_value", lit("value is empty")),
        ck.invalid("value", "value", "_has_value", "is not a finite number"),
        ck.Check(
            "source",
            "_src IS NULL",
            f"'source ' || {shown('r.source')} || {lit(' is not one of ' + ', '.join(SOURCES))}",
        ),
    ]


def _dedup(con: duckdb.DuckDBPyConnection, s: Staged, chk: str) -> tuple[int, int, pd.DataFrame]:
    """Collapse each (meter, source, slot) of one file to its last line.

    Returns exact duplicates, conflicting duplicates and the conflicting slots.
    """
    slots = f"_rslot_{s.index}"
    repeated = ck.count(
        con,
        f"SELECT count(*) FROM (SELECT 1 FROM {chk} WHERE _ok "
        "GROUP BY _midx, _src, ts HAVING count(*) > 1)",
    )
    if not repeated:  # the usual case: skip the heavier aggregation and the copy
        con.execute(
            f"CREATE OR REPLACE VIEW {slots} AS SELECT {s.index} AS _file, _midx, _src, ts, value "
            f"FROM {chk} WHERE _ok"
        )
        return 0, 0, pd.DataFrame(columns=CONFLICT_COLUMNS)
    con.execute(
        f"CREATE OR REPLACE TABLE {slots} AS SELECT {s.index} AS _file, _midx, _src, ts, "
        "count(*) AS n, min(value) AS vmin, max(value) AS vmax, arg_max(value, _line) AS value, "
        f"max(_line) AS _line FROM {chk} WHERE _ok GROUP BY _midx, _src, ts"
    )
    exact = ck.count(con, f"SELECT sum(n - 1) FROM {slots} WHERE vmin = vmax")
    if not ck.count(con, f"SELECT count(*) FROM {slots} WHERE vmin < vmax"):
        return exact, 0, pd.DataFrame(columns=CONFLICT_COLUMNS)
    source = " ".join(f"WHEN {code} THEN {lit(name)}" for code, name in enumerate(SOURCES))
    conflicts = con.execute(
        f"SELECT {lit(s.name)} AS file, k.meter_id, CASE x._src {source} END AS source, x.ts, "
        "x.n AS rows, count(DISTINCT c.value) AS distinct_values, x._line AS kept_line, "
        f"x.value AS kept_value FROM {slots} x JOIN {KNOWN} k ON k.midx = x._midx "
        f"JOIN {chk} c ON c._ok AND c._midx = x._midx AND c._src = x._src AND c.ts = x.ts "
        "WHERE x.vmin < x.vmax GROUP BY ALL ORDER BY k.meter_id, source, x.ts"
    ).df()
    exact += int((conflicts["rows"] - conflicts["distinct_values"]).sum())
    return exact, int((conflicts["distinct_values"] - 1).sum()), conflicts


def validate(
    con: duckdb.DuckDBPyConnection, files: list[Staged], snap_seconds: int
) -> tuple[ck.Validated, pd.DataFrame]:
    """Check, snap and de-duplicate every readings file.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The private connection, holding ``_known(midx, meter_id, interval_minutes, timezone,
        rejected)``.
    files : list of Staged
        Readings files of this call, in order (a later file replaces an earlier one's slots).
    snap_seconds : int
        Largest distance from a slot boundary that is snapped rather than rejected.

    Returns
    -------
    tuple
        The validated rows (a table with ``_midx, _src, ts, value, _file``; turn it into
        warehouse rows with :func:`frame`) and the conflicting slots.
    """
    if not files:
        return ck.Validated(table=None), pd.DataFrame(columns=CONFLICT_COLUMNS)
    rules = _checks(snap_seconds)
    out = ck.Validated(table=OUT)
    stats: dict[int, tuple[int, int]] = {}
    conflicts = []
    for s in files:
        chk = f"_rchk_{s.index}"
        ck.build_checked(con, chk, _parsed_sql(s), rules, keep=_KEEP)
        out.bad_rows.append(ck.collect_bad_rows(con, chk, s, rules))
        report = ck.start_report(con, s, chk)
        report.snapped_timestamps = ck.count(
            con, f"SELECT count(*) FROM {chk} WHERE _ok AND _off_us > 0"
        )
        out.reports.append(report)
        exact, conflicting, slots = _dedup(con, s, chk)
        stats[s.index] = (exact, conflicting)
        conflicts.append(slots)
    if len(files) == 1:
        out.table = f"_rslot_{files[0].index}"
    else:
        union = " UNION ALL ".join(
            f"SELECT _midx, _src, ts, value, _file FROM _rslot_{s.index}" for s in files
        )
        con.execute(
            f"CREATE OR REPLACE TABLE {OUT} AS SELECT * FROM ({union}) u QUALIFY "
            "row_number() OVER (PARTITION BY _midx, _src, ts ORDER BY _file DESC) = 1"
        )
    ck.fill_counts(con, out, files, stats)
    frames = [c for c in conflicts if not c.empty]
    return out, (pd.concat(frames, ignore_index=True) if frames else conflicts[0])


def frame(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """The kept readings as warehouse rows: ``meter_id, ts, value, source``.

    Only numbers cross from DuckDB to pandas; ``meter_id`` and ``source`` are rebuilt as
    categoricals from their codes (no per-row string objects), which DuckDB reads back as
    strings when the frame is inserted.
    """
    ids = con.execute(f"SELECT meter_id FROM {KNOWN} ORDER BY midx").df()["meter_id"]
    rows = con.execute(f"SELECT _midx, _src, ts, value FROM {table}").df()
    return pd.DataFrame(
        {
            "meter_id": pd.Categorical.from_codes(
                rows["_midx"].to_numpy(), categories=pd.Index(ids)
            ),
            "ts": rows["ts"],
            "value": rows["value"],
            "source": pd.Categorical.from_codes(rows["_src"].to_numpy(), categories=list(SOURCES)),
        }
    )
