"""Validate meters: ids, kind/unit, time zone, booleans, interval; keep the last row per meter.

``bidirectional`` is written to ``meter_options`` (``OPTION_COLUMNS``), not to ``meters``.
"""

from __future__ import annotations

from zoneinfo import available_timezones

import duckdb
import pandas as pd

from core.ingest import checks as ck
from core.ingest.spec import INTERVALS, METER_UNITS
from core.ingest.sql import boolean, ident, integer, lit, shown, text
from core.ingest.staging import Staged

OUT = "_meters_out"
TABLE_COLUMNS = [
    "meter_id", "building_id", "account_id", "kind", "unit", "building_name", "account_name",
    "timezone", "dq_enabled", "account_active", "building_archived", "interval_minutes",
]  # fmt: skip
OPTION_COLUMNS = ["meter_id", "bidirectional"]  # the meter_options table
BOOL_DEFAULTS = {
    "dq_enabled": True,
    "account_active": True,
    "building_archived": False,
    "bidirectional": False,
}
_TEXT = ("meter_id", "building_id", "account_id", "building_name", "account_name")


def create_timezones(con: duckdb.DuckDBPyConnection) -> None:
    """``_tz(name, lname)``: IANA names known to both DuckDB (ICU) and Python's zoneinfo."""
    python_names = pd.DataFrame({"name": sorted(available_timezones())})
    con.register("_py_tz", python_names)
    con.execute(
        "CREATE OR REPLACE TABLE _tz AS SELECT DISTINCT d.name, lower(d.name) AS lname "
        "FROM pg_timezone_names() d JOIN _py_tz p ON p.name = d.name"
    )
    con.unregister("_py_tz")


def _parsed_sql(s: Staged) -> str:
    t = s.types
    col = {c: f"r.{ident(c)}" for c in s.spec.columns}
    units = " ".join(f"WHEN {lit(u.lower())} THEN {lit(u)}" for u in METER_UNITS.values())
    texts = ", ".join(f"{text(col[c])} AS {c}" for c in _TEXT)
    bools = ", ".join(f"{boolean(col[c], t[c])} AS {c}" for c in BOOL_DEFAULTS)
    given = ", ".join(f"{text(col[c])} IS NOT NULL AS _has_{c}" for c in s.spec.columns)
    return (
        f"SELECT r._rowid, r._line, {s.index} AS _file, {texts}, "
        f"lower({text(col['kind'])}) AS kind, "
        f"CASE lower({text(col['unit'])}) {units} END AS unit, tz.name AS timezone, {bools}, "
        f"{integer(col['interval_minutes'], t['interval_minutes'])} AS interval_minutes, {given} "
        f"FROM ({s.rows_sql()}) r LEFT JOIN _tz tz ON tz.lname = lower({text(col['timezone'])})"
    )


def _checks() -> list[ck.Check]:
    kinds = ", ".join(METER_UNITS)
    expected = " ".join(f"WHEN {lit(k)} THEN {lit(u)}" for k, u in METER_UNITS.items())
    kind_sql = f"CASE kind {expected} END"
    rules = [ck.empty(c) for c in ("meter_id", "building_id", "account_id", "kind")]
    rules += [
        ck.Check(
            "kind",
            f"kind IS NOT NULL AND kind NOT IN ({', '.join(lit(k) for k in METER_UNITS)})",
            f"'kind ' || {shown('r.kind')} || {lit(f' is not one of {kinds}')}",
        ),
        ck.Check(
            "unit",
            "NOT _has_unit",
            f"'unit is empty' || coalesce(' (expected ' || CASE c.kind {expected} END || ')', '')",
        ),
        ck.Check(
            "unit",
            f"_has_unit AND {kind_sql} IS NOT NULL AND unit IS DISTINCT FROM {kind_sql}",
            f"'unit ' || {shown('r.unit')} || ' does not match kind ' || {shown('c.kind')} "
            f"|| ' (expected ' || CASE c.kind {expected} END || ')'",
        ),
        ck.invalid("timezone", "timezone", "_has_timezone", "is not an IANA time zone name"),
        ck.Check(
            "interval_minutes",
            f"_has_interval_minutes AND coalesce(interval_minutes NOT IN "
            f"({', '.join(map(str, INTERVALS))}), true)",
            f"'interval_minutes ' || {shown('r.interval_minutes')} || "
            f"{lit(' is not ' + ' or '.join(map(str, INTERVALS)))}",
        ),
    ]
    rules += [
        ck.invalid(c, c, f"_has_{c}", "is not a boolean (true/false, 1/0, yes/no)")
        for c in BOOL_DEFAULTS
    ]
    return rules


def validate(con: duckdb.DuckDBPyConnection, files: list[Staged]) -> ck.Validated:
    """Check every meters file and keep the last valid row per meter_id.

    Returns
    -------
    Validated
        ``table`` holds the warehouse columns (defaults applied) plus ``_file``. The table
        ``_meters_rejected`` lists meter ids that only had bad rows.
    """
    if not files:
        return ck.Validated(table=None)
    create_timezones(con)
    rules = _checks()
    out = ck.Validated(table=OUT)
    for s in files:
        chk = f"_mchk_{s.index}"
        ck.build_checked(con, chk, _parsed_sql(s), rules)
        bad = ck.collect_bad_rows(con, chk, s, rules)
        out.bad_rows.append(bad)
        out.reports.append(ck.start_report(con, s, chk))
    defaults = ", ".join(
        f"coalesce({c}, {str(v).lower()}) AS {c}" for c, v in BOOL_DEFAULTS.items()
    )
    union = " UNION ALL ".join(
        f"SELECT _file, _line, meter_id, building_id, account_id, kind, unit, building_name, "
        f"account_name, coalesce(timezone, 'UTC') AS timezone, {defaults}, "
        f"coalesce(interval_minutes, 15) AS interval_minutes FROM _mchk_{s.index} WHERE _ok"
        for s in files
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _meters_ok AS {union}")
    stats = ck.dedup_last(
        con, "_meters_ok", ["meter_id"], [*TABLE_COLUMNS[1:], *OPTION_COLUMNS[1:]], OUT
    )
    ck.fill_counts(con, out, files, stats)
    con.execute(
        "CREATE OR REPLACE TABLE _meters_rejected AS "
        + " UNION ".join(f"SELECT meter_id FROM _mchk_{s.index} WHERE NOT _ok" for s in files)
        + f" EXCEPT SELECT meter_id FROM {OUT}"
    )
    return out
