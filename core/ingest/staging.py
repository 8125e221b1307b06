"""Read import files and DataFrames into the private DuckDB connection, one raw table each.

Two phases so a bad file never costs a write: :func:`inspect` reads only the header (CSV) or
schema (Parquet, DataFrame) and raises :class:`~core.errors.ImportFileError` for unreadable
files and missing columns; :func:`load` then copies the rows into ``_raw_<n>`` in file order,
so ``rowid`` numbers the data rows. CSV is read with every column as VARCHAR; malformed CSV
lines (wrong number of fields, bad encoding) are kept aside by DuckDB's reject tables and
reported as bad rows instead of failing the file.

A Parquet file may instead be loaded *lazily*: ``_raw_<n>`` is then a view over the file with
its row number as ``rowid``. Big readings files take that way: scanning Parquet (dictionary
encoded, column by column) is faster than copying it, and each pass reads only the columns it
needs.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from core.errors import ImportFileError
from core.ingest.spec import FileSpec
from core.ingest.sql import ident, lit

# The header is read by Python and passed as the column list, so DuckDB's sniffer cannot
# mistake the column count when some lines are malformed; every column is VARCHAR.
_CSV_OPTIONS = "header=true, auto_detect=false, delim=',', quote='\"', escape='\"'"
FORMATS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class Input:
    """One file or DataFrame to import, before it is read."""

    spec: FileSpec
    name: str
    path: Path | None = None
    frame: pd.DataFrame | None = None


@dataclass
class Staged:
    """A file's rows in the private connection.

    Attributes
    ----------
    index : int
        Position among the call's inputs; later files win over earlier ones.
    table : str
        Raw table: canonical column names (absent optional ones as NULL), rows in file order.
    types : dict
        DuckDB type of each canonical column as read (VARCHAR for CSV).
    loc : str
        ``"line"`` (CSV: physical line, header is line 1) or ``"row"`` (1-based data row).
    rejected : pandas.DataFrame
        Malformed CSV lines, already worded as bad rows.
    """

    index: int
    spec: FileSpec
    name: str
    table: str = ""
    scan: str = ""
    header: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    loc: str = "row"
    first: int = 1
    rows: int = 0
    lazy: bool = False
    shift_table: str | None = None
    rejected: pd.DataFrame | None = None
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def rows_sql(self) -> str:
        """A query over the raw rows adding ``_rowid`` and ``_line`` (the reported number)."""
        base = f"(SELECT rowid AS _rowid, * FROM {self.table})"
        if self.shift_table is None:
            return f"SELECT _rowid + {self.first} AS _line, * FROM {base} r"
        return (
            f"SELECT r._rowid + {self.first} + coalesce(s.shift, 0) AS _line, r.* "
            f"FROM {base} r ASOF LEFT JOIN {self.shift_table} s ON r._rowid >= s.thr"
        )


def file_format(name: str) -> str | None:
    """``"csv"`` or ``"parquet"`` from the file name's extension, or None."""
    lower = name.lower()
    for ext, fmt in sorted(FORMATS.items(), key=lambda kv: -len(kv[0])):
        if lower.endswith(ext):
            return fmt
    return None


def inspect(con: duckdb.DuckDBPyConnection, item: Input, index: int) -> Staged:
    """Open the header or schema and match its columns to the spec; read no rows.

    Raises
    ------
    ImportFileError
        If the file is missing, empty, of an unknown type or unreadable, or lacks a required
        column (the message lists the missing and the required columns).
    """
    staged = Staged(index=index, spec=item.spec, name=item.name)
    if item.frame is None and _check_file(item) == "csv":
        staged.loc, staged.first = "line", 2
        staged.header = _csv_header(item)
        staged.scan = _csv_scan(item.path, staged.header)
        described = [(name, "VARCHAR") for name in staged.header]
    else:
        if item.frame is None:
            staged.scan = f"read_parquet({lit(str(item.path))})"
        elif isinstance(item.frame, pd.DataFrame):
            staged.scan = f"_frame_{index}"
            con.register(staged.scan, item.frame)
        else:
            kind = type(item.frame).__name__
            raise ImportFileError(item.name, f"expected a pandas DataFrame, got {kind}")
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {staged.scan}").fetchall()
        except duckdb.Error as exc:
            message = f"cannot read the {item.spec.kind} data: {exc}"
            raise ImportFileError(item.name, message) from exc
    found: dict[str, tuple[str, str]] = {}
    for name, duck_type, *_ in described:
        canonical = str(name).strip().lower()
        if canonical in found:
            raise ImportFileError(item.name, f"column {canonical!r} appears twice")
        found[canonical] = (name, duck_type)
    missing = [c for c in item.spec.required if c not in found]
    if missing:
        raise ImportFileError(item.name, _missing_message(item.spec, missing, list(found)))
    staged.columns = {c: found[c][0] for c in item.spec.columns if c in found}
    staged.types = {c: (found[c][1] if c in found else "VARCHAR") for c in item.spec.columns}
    staged.ignored = [found[c][0] for c in found if c not in item.spec.columns]
    return staged


def _csv_header(item: Input) -> list[str]:
    """Column names from a CSV file's first line (unnamed columns become ``columnN``)."""
    opener = gzip.open if item.name.lower().endswith(".gz") else open
    try:
        with opener(item.path, "rt", encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        raise ImportFileError(item.name, f"cannot read the CSV header: {exc}") from exc
    if not any(name.strip() for name in header):
        raise ImportFileError(
            item.name, f"the first line has no column names; {item.spec.describe()}"
        )
    return [name if name.strip() else f"column{n}" for n, name in enumerate(header)]


def _csv_scan(path: Path, header: list[str], rejects: int | None = None) -> str:
    """``read_csv(...)`` with the given columns, all VARCHAR; optionally keeping rejected lines."""
    columns = ", ".join(f"{lit(name)}: 'VARCHAR'" for name in header)
    options = f"{_CSV_OPTIONS}, columns={{{columns}}}"
    if rejects is not None:
        options += (
            f", store_rejects=true, rejects_table='_rej_{rejects}', "
            f"rejects_scan='_rejscan_{rejects}'"
        )
    return f"read_csv({lit(str(path))}, {options})"


def _check_file(item: Input) -> str:
    """The file's format (``"csv"`` or ``"parquet"``) once it is known to exist and be non-empty."""
    path = item.path
    fmt = file_format(item.name)
    if fmt is None:
        raise ImportFileError(
            item.name, f"unknown file type; expected {', '.join(FORMATS)} (CSV or Parquet)"
        )
    if not path.exists():
        raise ImportFileError(item.name, "file not found")
    if not path.is_file():
        raise ImportFileError(item.name, "not a regular file")
    if path.stat().st_size == 0:
        raise ImportFileError(item.name, f"file is empty; {item.spec.describe()}")
    return fmt


def _missing_message(spec: FileSpec, missing: list[str], found: list[str]) -> str:
    text = (
        f"missing required column(s) {', '.join(missing)}; {spec.describe()}; "
        f"found: {', '.join(found) or 'no columns'}"
    )
    if len(found) == 1 and any(sep in found[0] for sep in (";", "\t", "|")):
        text += " (the file must be comma-separated)"
    return text


def load(
    con: duckdb.DuckDBPyConnection, staged: Staged, path: Path | None, lazy: bool = False
) -> Staged:
    """Copy the rows into ``_raw_<index>`` in file order and note malformed CSV lines.

    With ``lazy`` a Parquet file is not copied: ``_raw_<index>`` is a view over it whose
    ``rowid`` is the file's row number (module docstring). The caller then reads it in full
    once, wrapping errors as :func:`unreadable` does, because a corrupt page is only found
    when the rows are read.

    Raises
    ------
    ImportFileError
        If reading fails part-way (e.g. a corrupt Parquet page; only when not ``lazy``).
    """
    i = staged.index
    staged.table = f"_raw_{i}"
    select = ", ".join(
        f"{ident(staged.columns[c])} AS {ident(c)}"
        if c in staged.columns
        else f"NULL::VARCHAR AS {ident(c)}"
        for c in staged.spec.columns
    )
    scan = staged.scan
    if staged.loc == "line":
        scan = _csv_scan(path, list(staged.header), rejects=i)
    staged.lazy = (
        lazy
        and scan.startswith("read_parquet(")
        and "file_row_number"
        not in {c.lower() for c in [*staged.columns.values(), *staged.ignored]}
    )
    if staged.lazy:
        scan = f"read_parquet({lit(str(path))}, file_row_number=true)"
        select = f"file_row_number AS rowid, {select}"
    kind = "VIEW" if staged.lazy else "TABLE"
    try:
        con.execute(f"CREATE OR REPLACE {kind} {staged.table} AS SELECT {select} FROM {scan}")
    except duckdb.Error as exc:
        raise unreadable(staged, exc) from exc
    finally:
        if staged.scan.startswith("_frame_"):
            con.unregister(staged.scan)
    staged.rows = int(con.execute(f"SELECT count(*) FROM {staged.table}").fetchall()[0][0])
    if staged.loc == "line":
        _note_rejects(con, staged)
        _note_line_drift(staged, path)
    return staged


def unreadable(staged: Staged, exc: Exception) -> ImportFileError:
    """The error for a file whose rows cannot be read (e.g. a corrupt Parquet page)."""
    return ImportFileError(staged.name, f"cannot read the {staged.spec.kind} data: {exc}")


def _note_rejects(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    i = staged.index
    con.execute(
        f"CREATE OR REPLACE TABLE _rejlines_{i} AS SELECT line, first(error_message) AS msg, "
        f"first(csv_line) AS csv_line FROM _rej_{i} GROUP BY line"
    )
    rejected = con.execute(
        f"SELECT {lit(staged.name)} AS file, CAST(line AS BIGINT) AS line, NULL AS meter_id, "
        f"NULL AS bill_id, '(row)' AS \"column\", csv_line AS value, "
        f"printf('line %d: malformed CSV row (%s)', line, msg) AS reason "
        f"FROM _rejlines_{i} ORDER BY line"
    ).df()
    staged.rejected = rejected
    if rejected.empty:
        return
    # Accepted row k comes after rejected line L_j when k >= L_j - first - j.
    staged.shift_table = f"_shift_{i}"
    con.execute(
        f"CREATE OR REPLACE TABLE _shift_{i} AS SELECT thr, max(n) AS shift FROM ("
        f"SELECT CAST(line AS BIGINT) - {staged.first} - (row_number() OVER (ORDER BY line) - 1) "
        f"AS thr, row_number() OVER (ORDER BY line) AS n FROM _rejlines_{i}) GROUP BY thr"
    )


def _note_line_drift(staged: Staged, path: Path | None) -> None:
    """Warn when blank lines or multi-line quoted values make line numbers approximate."""
    if path is None:
        return
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    lines, last = 0, b"\n"
    with opener(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    expected = 1 + staged.rows + (0 if staged.rejected is None else len(staged.rejected))
    if lines > expected:
        staged.notes.append(
            f"{lines - expected} blank line(s) or value(s) spanning lines: line numbers after "
            f"them may be too small"
        )
