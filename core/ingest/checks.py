"""Row checks as SQL: flag bad rows in one pass, then describe only the flagged ones.

A validator turns a staged file into a *parsed* query (typed columns plus ``_rowid`` and
``_line``) and a list of :class:`Check`. :func:`build_checked` materialises the parsed rows
with one boolean per check and ``_ok``; :func:`collect_bad_rows` joins the few failing rows
back to their raw values and words the reasons. Nothing loops over rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from core.ingest.report import FileReport, empty_bad_rows
from core.ingest.sql import ident, lit, shown
from core.ingest.staging import Staged


@dataclass(frozen=True)
class Check:
    """One rule a row must pass.

    Parameters
    ----------
    column : str
        Canonical column the problem is about; its raw value goes into the report.
    bad : str
        SQL boolean over the parsed row's columns; true means the row fails (NULL = passes).
    message : str
        SQL text expression for the reason, without the ``line N:`` prefix. It may use the raw
        row as ``r`` (``r."ts"``) and the parsed row as ``c``.
    """

    column: str
    bad: str
    message: str


def empty(column: str) -> Check:
    """A required column's value is missing (the parsed row has ``_has_<column>``)."""
    return Check(column, f"NOT _has_{column}", lit(f"{column} is empty"))


def invalid(column: str, parsed: str, raw_present: str, what: str) -> Check:
    """A present value that did not parse: "<column> '<value>' <what>"."""
    return Check(
        column,
        f"{raw_present} AND {parsed} IS NULL",
        f"{lit(column + ' ')} || {shown('r.' + ident(column))} || {lit(' ' + what)}",
    )


def build_checked(
    con: duckdb.DuckDBPyConnection,
    table: str,
    parsed_sql: str,
    checks: list[Check],
    keep: list[str] | None = None,
    view: bool = False,
    ok: str | None = None,
) -> None:
    """Create ``table``: the parsed rows (or only the ``keep`` columns), ``_bad0..n`` and ``_ok``.

    Messages of failed checks may only use kept columns (and ``_rowid``, ``_line``). With
    ``view`` it is a view: nothing is computed until a query reads it, and each query computes
    only the columns it uses. ``ok``: SQL over the flags and kept columns that is true exactly
    when no flag is (a cheaper equivalent the validator vouches for).
    """
    flags = ", ".join(f"coalesce({c.bad}, false) AS _bad{i}" for i, c in enumerate(checks))
    if ok is None:
        ok = "NOT (" + (" OR ".join(f"_bad{i}" for i in range(len(checks))) or "false") + ")"
    bad = ", ".join(f"_bad{i}" for i in range(len(checks)))
    columns = ", ".join(["_rowid", "_line", *keep]) + (f", {bad}" if bad else "") if keep else "*"
    con.execute(
        f"CREATE OR REPLACE {'VIEW' if view else 'TABLE'} {table} AS "
        f"SELECT {columns}, {ok} AS _ok "
        f"FROM (SELECT *, {flags} FROM ({parsed_sql}) p) f"
    )


def collect_bad_rows(
    con: duckdb.DuckDBPyConnection,
    checked: str,
    staged: Staged,
    checks: list[Check],
    skip: tuple[int, ...] = (),
) -> pd.DataFrame:
    """One row per failed check (and malformed CSV line), in file order, with the reason.

    Checks whose positions are in ``skip`` are left to the caller (worded per group).

    Returns
    -------
    pandas.DataFrame
        Columns ``file, line, meter_id, bill_id, column, value, reason``; ``reason`` starts
        with ``line N:`` (CSV) or ``row N:`` (Parquet, DataFrame).
    """
    if not checks:
        return empty_bad_rows()
    con.execute(f"CREATE OR REPLACE TEMP TABLE _failed AS SELECT * FROM {checked} WHERE NOT _ok")
    ids = {
        key: (
            f"nullif(trim(CAST(r.{ident(key)} AS VARCHAR)), '')" if key in staged.types else "NULL"
        )
        for key in ("meter_id", "bill_id")
    }
    parts = [
        f"SELECT {i} AS _check, c._line AS line, {ids['meter_id']} AS meter_id, "
        f'{ids["bill_id"]} AS bill_id, {lit(check.column)} AS "column", '
        f"CAST(r.{ident(check.column)} AS VARCHAR) AS value, "
        f"printf('%s %d: %s', {lit(staged.loc)}, c._line, {check.message}) AS reason "
        f"FROM _failed c JOIN {staged.table} r ON r.rowid = c._rowid WHERE c._bad{i}"
        for i, check in enumerate(checks)
        if i not in skip
    ]
    df = con.execute(
        f'SELECT {lit(staged.name)} AS file, line, meter_id, bill_id, "column", value, reason '
        f"FROM ({' UNION ALL '.join(parts)}) u ORDER BY line, _check"
    ).df()
    con.execute("DROP TABLE _failed")
    if staged.rejected is not None and not staged.rejected.empty:
        df = pd.concat([staged.rejected, df], ignore_index=True)
        df = df.sort_values("line", kind="stable", ignore_index=True)
    return df


def count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The integer a one-value query returns (0 for NULL)."""
    return int(con.execute(sql).fetchall()[0][0] or 0)


def dedup_last(
    con: duckdb.DuckDBPyConnection,
    source: str,
    keys: list[str],
    values: list[str],
    out: str,
) -> dict[int, tuple[int, int]]:
    """Keep the last line per key within each file, then the last file per key.

    ``source`` has ``_file``, ``_line``, ``keys`` and ``values``. Within one file, a dropped
    row identical to a later row (same values) is an exact duplicate; a dropped row whose
    values differ from every later row is a conflicting duplicate. A later file of the same
    call replaces an earlier one's row silently, as a separate import would. Window
    functions: meant for the small meters and bills files.

    Returns
    -------
    dict
        ``{file_index: (exact_duplicates, conflicting_duplicates)}``; ``out`` holds the kept
        rows.
    """
    key_sql = ", ".join(ident(k) for k in keys)
    all_sql = ", ".join(ident(c) for c in keys + values)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _ranked AS SELECT *, "
        f"row_number() OVER (PARTITION BY _file, {key_sql} ORDER BY _line DESC) AS _rk, "
        f"row_number() OVER (PARTITION BY _file, {all_sql} ORDER BY _line DESC) AS _rv "
        f"FROM {source}"
    )
    stats = {
        int(f): (int(e), int(c))
        for f, e, c in con.execute(
            "SELECT _file, count(*) FILTER (WHERE _rv > 1), "
            "count(*) FILTER (WHERE _rk > 1 AND _rv = 1) FROM _ranked GROUP BY _file"
        ).fetchall()
    }
    con.execute(
        f"CREATE OR REPLACE TABLE {out} AS SELECT * EXCLUDE (_rk, _rv) FROM _ranked "
        f"WHERE _rk = 1 QUALIFY row_number() OVER (PARTITION BY {key_sql} ORDER BY _file DESC) = 1"
    )
    con.execute("DROP TABLE _ranked")
    return stats


@dataclass
class Validated:
    """Clean rows of one kind in the private connection, with their file reports.

    Attributes
    ----------
    table : str or None
        Table of kept rows (warehouse columns plus ``_file``); None when no file was given.
    reports : list of FileReport
        One per file, in input order.
    bad_rows : list of pandas.DataFrame
        Bad-row frames to concatenate into the import report.
    """

    table: str | None
    reports: list[FileReport] = field(default_factory=list)
    bad_rows: list[pd.DataFrame] = field(default_factory=list)


def start_report(
    con: duckdb.DuckDBPyConnection, staged: Staged, checked: str, bad: int | None = None
) -> FileReport:
    """A file's report with rows read and bad rows (malformed CSV lines included).

    ``bad``: the checked rows that failed, when the caller counted them already.
    """
    rejected = 0 if staged.rejected is None else len(staged.rejected)
    if bad is None:
        bad = count(con, f"SELECT count(*) FROM {checked} WHERE NOT _ok")
    return FileReport(
        file=staged.name,
        kind=staged.spec.kind,
        rows_read=staged.rows + rejected,
        bad_rows=bad + rejected,
        ignored_columns=list(staged.ignored),
        notes=list(staged.notes),
    )


def fill_counts(
    con: duckdb.DuckDBPyConnection,
    result: Validated,
    files: list[Staged],
    stats: dict[int, tuple[int, int]],
    loaded: dict[int, int] | None = None,
) -> None:
    """Set duplicates, loaded and superseded counts once ``result.table`` holds the kept rows.

    ``loaded``: kept rows per file index, when the caller knows them (else counted).
    """
    if loaded is None:
        loaded = dict(
            con.execute(f"SELECT _file, count(*) FROM {result.table} GROUP BY _file").fetchall()
        )
    for report, s in zip(result.reports, files, strict=True):
        report.exact_duplicates, report.conflicting_duplicates = stats.get(s.index, (0, 0))
        report.rows_loaded = int(loaded.get(s.index, 0))
        report.superseded = (
            report.rows_read
            - report.bad_rows
            - report.exact_duplicates
            - report.conflicting_duplicates
            - report.rows_loaded
        )
