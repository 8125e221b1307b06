"""``import_files`` and ``import_frames``: check all inputs, validate in memory, write once.

Order of work, so that a bad file never leaves a half-import behind:

1. read every input's header/schema (any missing column or unreadable file raises
   :class:`~core.errors.ImportFileError` here, before any row is read);
2. load the rows into a private in-memory DuckDB connection (TimeZone UTC);
3. validate meters, then readings and bills against the warehouse's meters plus the new ones;
4. write everything valid in one warehouse transaction (delete+insert by key).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.compute as pc

from core.auth import demo
from core.db.base import Database
from core.ingest import bills, meters, readings, staging
from core.ingest.report import BAD_ROW_COLUMNS, ImportReport, empty_bad_rows
from core.ingest.spec import BILLS, METERS, READINGS, FileSpec
from core.ingest.write import Replacement, write_all
from core.runs import utcnow

log = logging.getLogger(__name__)
DEMO_LABEL = "demo"  # import_frames(label=...) of `jobs demo`: the one import that is not real

PathArg = str | os.PathLike | Sequence[str | os.PathLike] | None
FrameArg = pd.DataFrame | Sequence[pd.DataFrame] | None


def import_files(
    db: Database, meters: PathArg = None, readings: PathArg = None, bills: PathArg = None
) -> ImportReport:
    """Import meters, readings and bills files (``.csv``, ``.csv.gz`` or ``.parquet``).

    Parameters
    ----------
    db : Database
        The warehouse (``core.db.open_warehouse()``).
    meters, readings, bills : path or sequence of paths, optional
        Files in the canonical format (docs/import.md). Within one kind, a later file's rows
        replace an earlier file's rows with the same key, as separate imports would.

    Returns
    -------
    ImportReport
        Per-file counts, bad rows (skipped, with file, line and reason) and conflicts.

    Raises
    ------
    ImportFileError
        If any file is missing, unreadable, of an unknown type or lacks a required column.
        Raised before anything is written: the warehouse is unchanged.
    """
    items = [
        staging.Input(spec=spec, name=str(path), path=Path(path))
        for spec, given in ((METERS, meters), (READINGS, readings), (BILLS, bills))
        for path in _as_list(given, (str, os.PathLike))
    ]
    return _run(db, items)


def import_frames(
    db: Database,
    meters: FrameArg = None,
    readings: FrameArg = None,
    bills: FrameArg = None,
    label: str = "dataframe",
    origin: str = "import",
) -> ImportReport:
    """Import pandas DataFrames with the canonical columns; same rules as :func:`import_files`.

    Typed columns are used as they are (``ts`` as datetime64, naive = UTC or tz-aware;
    ``value`` as float), which skips text parsing: the fast path for seeders and
    benchmarks. Text columns are parsed exactly like CSV values.

    Parameters
    ----------
    db : Database
        The warehouse.
    meters, readings, bills : DataFrame or sequence of DataFrames, optional
        The rows to import.
    label : str
        Names the inputs in the report and in errors: ``<label>[readings]``. Bad rows are
        located as ``row N`` (1-based position in the frame).
    origin : str
        Recorded with the changed meter-days in ``reading_changes`` (``import``; the sync
        passes its source).

    Returns
    -------
    ImportReport

    Raises
    ------
    ImportFileError
        If a frame lacks a required column (nothing is written).
    """
    items = []
    for spec, given in ((METERS, meters), (READINGS, readings), (BILLS, bills)):
        frames = _as_list(given, (pd.DataFrame,))
        for n, frame in enumerate(frames, start=1):
            suffix = f"#{n}" if len(frames) > 1 else ""
            items.append(
                staging.Input(spec=spec, name=f"{label}[{spec.kind}]{suffix}", frame=frame)
            )
    return _run(db, items, real=label != DEMO_LABEL, origin=origin)


def _as_list(given: object, single: tuple[type, ...]) -> list:
    if given is None:
        return []
    if isinstance(given, single):
        return [given]
    return list(given)  # type: ignore[call-overload]


def _end_demo(db: Database, items: list[staging.Input]) -> Replacement | None:
    """The ``dq_meta`` row that ends demo mode for good, written with the first real import."""
    if not demo.is_seeded(db):
        return None
    names = ", ".join(item.name for item in items)[:200]
    why = f"{utcnow():%Y-%m-%d %H:%M} UTC: import of {names}"
    row = pd.DataFrame({"meta_key": ["demo_ended"], "meta_value": [why]})
    return Replacement("dq_meta", row, ("meta_key",))


def _run(
    db: Database, items: list[staging.Input], real: bool = True, origin: str = "import"
) -> ImportReport:
    started = time.perf_counter()
    snap = readings.Snap.from_settings()
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone='UTC'")
        con.execute("SET enable_progress_bar = false")
        staged = [staging.inspect(con, item, i) for i, item in enumerate(items)]
        for s, item in zip(staged, items, strict=True):
            staging.load(con, s, item.path, lazy=s.spec is READINGS)
        _lap("read", started)
        files = {
            spec.kind: [s for s in staged if s.spec is spec] for spec in (METERS, READINGS, BILLS)
        }
        m = meters.validate(con, files["meters"])
        if files["readings"] or files["bills"]:
            _create_known(con, db, has_meters_file=m.table is not None)
        r, conflicts = readings.validate(con, files["readings"], snap)
        b = bills.validate(con, files["bills"])
        _lap("validated", started)
        todo = [
            _replacement(con, METERS, m.table, meters.TABLE_COLUMNS, ("meter_id",)),
            _replacement(con, METERS, m.table, meters.OPTION_COLUMNS, ("meter_id",),
                         "meter_options"),
            _readings_replacement(con, r, origin),
            readings.clock_replacement(con, files["readings"]),
            _replacement(con, BILLS, b.table, bills.TABLE_COLUMNS, ("bill_id",)),
        ]  # fmt: skip
        if real and any(t is not None and t.rows for t in todo):
            todo.append(_end_demo(db, items))
        _lap("fetched", started)
        written = write_all(db, [t for t in todo if t is not None])
        _lap("written", started)
    finally:
        con.close()
    bad = [df for result in (m, r, b) for df in result.bad_rows if not df.empty]
    return ImportReport(
        files=m.reports + r.reports + b.reports,
        bad_rows=(pd.concat(bad, ignore_index=True)[BAD_ROW_COLUMNS] if bad else empty_bad_rows()),
        conflicts=conflicts,
        seconds=time.perf_counter() - started,
        readings_changed=written.get("readings", 0),
    )


def _lap(step: str, started: float) -> None:
    log.debug("import: %s after %.2fs", step, time.perf_counter() - started)


def _create_known(con: duckdb.DuckDBPyConnection, db: Database, has_meters_file: bool) -> None:
    """``_known(midx, meter_id, interval_minutes, timezone, account_id, rejected)``.

    The meters that readings and bills rows may use: the warehouse's meters, overridden by
    this call's valid meter rows; ids whose only rows in this call's meters file were rejected
    are listed with ``rejected`` so the reason says so.
    """
    stored = db.fetch_df("SELECT meter_id, interval_minutes, timezone, account_id FROM meters")
    con.register("_stored_meters", stored)
    if not has_meters_file:
        con.execute(
            "CREATE OR REPLACE TABLE _meters_out "
            "(meter_id VARCHAR, interval_minutes INTEGER, timezone VARCHAR, account_id VARCHAR)"
        )
        con.execute("CREATE OR REPLACE TABLE _meters_rejected (meter_id VARCHAR)")
    con.execute(
        "CREATE OR REPLACE TABLE _stored AS SELECT CAST(meter_id AS VARCHAR) AS meter_id, "
        "CAST(any_value(interval_minutes) AS INTEGER) AS interval_minutes, "
        "CAST(any_value(timezone) AS VARCHAR) AS timezone, "
        "CAST(any_value(account_id) AS VARCHAR) AS account_id FROM _stored_meters GROUP BY 1"
    )
    con.unregister("_stored_meters")
    con.execute(
        "CREATE OR REPLACE TABLE _known AS SELECT CAST(row_number() OVER (ORDER BY meter_id) - 1 "
        "AS INTEGER) AS midx, * FROM ("
        "SELECT meter_id, interval_minutes, timezone, account_id, false AS rejected "
        "FROM _meters_out "
        "UNION ALL SELECT meter_id, interval_minutes, timezone, account_id, false FROM _stored "
        "WHERE meter_id NOT IN (SELECT meter_id FROM _meters_out) "
        "UNION ALL SELECT meter_id, NULL, NULL, NULL, true FROM _meters_rejected "
        "WHERE meter_id IS NOT NULL AND meter_id NOT IN (SELECT meter_id FROM _stored)) u"
    )


def _replacement(
    con: duckdb.DuckDBPyConnection,
    spec: FileSpec,
    table: str | None,
    columns: list[str],
    keys: tuple[str, ...],
    target: str | None = None,
) -> Replacement | None:
    """Fetch the kept meters or bills as the DataFrame the warehouse write needs.

    ``target`` is the warehouse table when it is not the spec's own (``meter_options``).
    """
    if table is None:
        return None
    return Replacement(
        target or spec.kind, con.execute(f"SELECT {', '.join(columns)} FROM {table}").df(), keys
    )


def _readings_replacement(
    con: duckdb.DuckDBPyConnection, result: readings.Kept, origin: str
) -> Replacement | None:
    """Kept readings, replacing stored rows by (meter_id, source, ts) within the new ts range.

    Written as changes from ``origin`` (core.ingest.write): unchanged rows are skipped.
    """
    if result.table is None:
        return None
    rows = readings.rows(con, result)
    if not rows.num_rows:
        return Replacement("readings", rows, ())
    span = pc.min_max(rows["ts"])
    low, high = span["min"].as_py(), span["max"].as_py()
    return Replacement(
        "readings",
        rows,
        ("meter_id", "source", "ts"),
        "readings.ts BETWEEN ? AND ?",
        (low, high),
        origin,
        changes=readings.changes(con),
    )
