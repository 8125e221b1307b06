"""Validate bills: ids, commodity, dates, numbers (``$1,234.50``), meter and account; last wins."""

from __future__ import annotations

import duckdb

from core.ingest import checks as ck
from core.ingest.spec import COMMODITIES
from core.ingest.sql import (
    boolean,
    date,
    ident,
    lit,
    loose_number,
    shown,
    text,
    tidy_number,
    type_class,
)
from core.ingest.staging import Staged

OUT = "_bills_out"
KNOWN = "_known"
TABLE_COLUMNS = [
    "bill_id", "account_id", "building_id", "meter_id", "commodity", "period_start",
    "period_end", "usage", "usage_unit", "cost", "demand_kw", "estimated",
]  # fmt: skip
_TEXT = ("bill_id", "account_id", "building_id", "meter_id", "usage_unit")
_NUMBERS = {"usage": False, "cost": True, "demand_kw": False}  # column -> currency allowed


def _parsed_sql(s: Staged) -> str:
    t = s.types
    col = {c: f"r.{ident(c)}" for c in s.spec.columns}
    texts = ", ".join(f"{text(col[c])} AS {c}" for c in _TEXT)
    numbers = ", ".join(f"{loose_number(col[c], t[c], cur)} AS {c}" for c, cur in _NUMBERS.items())
    dates = ", ".join(f"{date(col[c], t[c])} AS {c}" for c in ("period_start", "period_end"))
    given = ", ".join(f"{text(col[c])} IS NOT NULL AS _has_{c}" for c in s.spec.columns)
    if type_class(t["cost"]) == "text":
        tidied = tidy_number(col["cost"], t["cost"], currency=True)
        tidy = f"{tidied} IS DISTINCT FROM {text(col['cost'])}"
    else:
        tidy = "false"
    return (
        f"SELECT r._rowid, r._line, {s.index} AS _file, {texts}, "
        f"lower({text(col['commodity'])}) AS commodity, {dates}, {numbers}, "
        f"{boolean(col['estimated'], t['estimated'])} AS estimated, {given}, "
        f"coalesce(NOT k.rejected, false) AS _meter_known, k.rejected AS _meter_rejected, "
        f"k.account_id AS _meter_account, "
        f"({tidy}) AS _cost_tidied "
        f"FROM ({s.rows_sql()}) r LEFT JOIN {KNOWN} k ON k.meter_id = {text(col['meter_id'])}"
    )


def _checks() -> list[ck.Check]:
    required = ("bill_id", "account_id", "building_id", "commodity", "period_start", "period_end")
    rules = [ck.empty(c) for c in required]
    rules += [
        ck.Check(
            "commodity",
            f"commodity NOT IN ({', '.join(lit(c) for c in COMMODITIES)})",
            f"'commodity ' || {shown('r.commodity')} "
            f"|| {lit(' is not one of ' + ', '.join(COMMODITIES))}",
        ),
        ck.invalid(
            "period_start", "period_start", "_has_period_start", "is not a date (YYYY-MM-DD)"
        ),
        ck.invalid("period_end", "period_end", "_has_period_end", "is not a date (YYYY-MM-DD)"),
        ck.Check(
            "period_end",
            "period_end < period_start",
            f"'period_end ' || {shown('r.period_end')} || ' is before period_start ' "
            f"|| {shown('r.period_start')}",
        ),
    ]
    rules += [ck.invalid(c, c, f"_has_{c}", "is not a number") for c in _NUMBERS]
    rules += [
        ck.invalid(
            "estimated", "estimated", "_has_estimated", "is not a boolean (true/false, 1/0, yes/no)"
        ),
        ck.Check(
            "meter_id",
            "meter_id IS NOT NULL AND NOT _meter_known",
            f"'meter_id ' || {shown('c.meter_id')} || ' is not a known meter ('"
            " || CASE WHEN c._meter_rejected THEN 'its row in the meters file was rejected'"
            " ELSE 'not in the warehouse nor in the meters file' END || ')'",
        ),
        # A bill filed under another account than its meter's would show one account's bill
        # (and its figures) to the other's users: refused, naming both accounts.
        ck.Check(
            "account_id",
            "_meter_known AND account_id IS NOT NULL AND _meter_account IS NOT NULL "
            "AND account_id <> _meter_account",
            f"'account_id ' || {shown('c.account_id')} || ' differs from the account of meter ' "
            f"|| {shown('c.meter_id')} || ' (' || {shown('c._meter_account')} || ')'",
        ),
    ]
    return rules


def validate(con: duckdb.DuckDBPyConnection, files: list[Staged]) -> ck.Validated:
    """Check every bills file and keep the last valid row per bill_id.

    Empty ``usage``, ``usage_unit``, ``cost`` and ``demand_kw`` are stored as NULL (the bill
    checks judge them); an empty ``meter_id`` means the bill is for the whole building.

    Returns
    -------
    Validated
        ``table`` holds the warehouse columns plus ``_file``.
    """
    if not files:
        return ck.Validated(table=None)
    rules = _checks()
    out = ck.Validated(table=OUT)
    tidied = {}
    for s in files:
        chk = f"_bchk_{s.index}"
        ck.build_checked(con, chk, _parsed_sql(s), rules)
        out.bad_rows.append(ck.collect_bad_rows(con, chk, s, rules))
        out.reports.append(ck.start_report(con, s, chk))
        tidied[s.index] = ck.count(con, f"SELECT count(*) FROM {chk} WHERE _ok AND _cost_tidied")
    columns = ", ".join(
        "coalesce(estimated, false) AS estimated" if c == "estimated" else c for c in TABLE_COLUMNS
    )
    union = " UNION ALL ".join(
        f"SELECT _file, _line, {columns} FROM _bchk_{s.index} WHERE _ok" for s in files
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _bills_ok AS {union}")
    stats = ck.dedup_last(con, "_bills_ok", ["bill_id"], TABLE_COLUMNS[1:], OUT)
    ck.fill_counts(con, out, files, stats)
    for report, s in zip(out.reports, files, strict=True):
        report.normalised_costs = tidied[s.index]
    return out
