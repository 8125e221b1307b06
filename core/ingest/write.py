"""Write validated rows to the warehouse in one transaction, replacing rows with the same key.

Only the :class:`~core.db.Database` interface is used, with SQL from the common subset
(DuckDB, PostgreSQL, Redshift): the new rows go to a temporary staging table, the stored
rows with the same key are deleted with ``DELETE ... USING`` (a join, no ``ON CONFLICT``),
and the staged rows are inserted. Either every table of the call changes or none does.

Readings are written as changes: staged rows identical to a stored row are dropped first (so a
re-run of the same import or sync writes nothing), and each meter-day that still gets rows is
recorded in ``reading_changes`` with its origin. That table tells the DQ job which days it
already scored must be scored again, and the app cache which days to copy. When the warehouse
holds no readings at all in the new rows' time range, no stored row can match: the rows go
straight into ``readings`` (no staging table, no comparison join) and the changed meter-days
come counted with them.

Rows come as pandas DataFrames or Arrow tables; an embedded DuckDB warehouse takes an Arrow
table as it is (no pandas conversion), other warehouses get it as a DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from core.db.base import Database, Transaction
from core.db.duckdb import DuckDBTransaction
from core.errors import WarehouseError
from core.runs import utcnow

Rows = pd.DataFrame | pa.Table


@dataclass
class Replacement:
    """Rows to upsert into one warehouse table.

    Parameters
    ----------
    table : str
        Target table (``meters``, ``readings`` or ``bills``).
    frame : pandas.DataFrame or pyarrow.Table
        New rows, columns named like the table's.
    keys : tuple of str
        Columns that identify a row; stored rows matching a new row's keys are replaced.
    where : str
        Extra condition on the target rows for the delete, with ``?`` placeholders, e.g. a
        ``ts`` range that lets the engine skip untouched blocks.
    params : tuple
        Values for ``where``.
    origin : str
        Readings only: where they came from (``import``, ``influxdb``, ``s3``). When set,
        unchanged rows are skipped and the changed meter-days are recorded (module docstring).
    changes : pandas.DataFrame or pyarrow.Table, optional
        Readings only: ``meter_id, day, rows_changed``, the rows of ``frame`` per meter and
        UTC day; lets the write skip the staging table when nothing is stored in the ``where``
        range (module docstring).
    """

    table: str
    frame: Rows
    keys: tuple[str, ...]
    where: str = ""
    params: tuple[Any, ...] = ()
    origin: str = ""
    changes: Rows | None = None

    @property
    def rows(self) -> int:
        """Number of new rows."""
        return self.frame.num_rows if isinstance(self.frame, pa.Table) else len(self.frame)


def _columns(rows: Rows) -> list[str]:
    return list(rows.column_names if isinstance(rows, pa.Table) else rows.columns)


def insert(tx: Transaction, table: str, rows: Rows) -> None:
    """Insert ``rows`` into ``table``: Arrow straight into embedded DuckDB, else as pandas."""
    if isinstance(rows, pa.Table) and isinstance(tx, DuckDBTransaction):
        # The whole table as one batch: one INSERT, which DuckDB runs on every core (an INSERT
        # per record batch takes twice as long).
        tx.insert_arrow(table, [rows])  # type: ignore[list-item]
        return
    tx.insert_df(table, rows.to_pandas() if isinstance(rows, pa.Table) else rows)


def column_types(tx: Transaction, table: str, columns: list[str]) -> list[tuple[str, str]]:
    """``(column, SQL type)`` of ``columns`` of ``table``, from ``information_schema``.

    Raises
    ------
    WarehouseError
        If the table lacks one of the columns (an unmigrated warehouse).
    """
    rows = tx.fetch_all(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        (table,),
    )
    types: dict[str, str] = {}
    for name, data_type in rows:
        types.setdefault(str(name).lower(), str(data_type))
    missing = [c for c in columns if c not in types]
    if missing:
        raise WarehouseError(f"Warehouse table {table} has no column(s) {', '.join(missing)}")
    return [(c, types[c]) for c in columns]


def replace(tx: Transaction, item: Replacement) -> int:
    """Upsert ``item.frame`` into ``item.table`` inside ``tx``; return the rows inserted."""
    if item.origin and item.changes is not None and not _stored_in_range(tx, item):
        return _add_new(tx, item)
    stage = f"dq_ingest_{item.table}"
    columns = _columns(item.frame)
    cols = ", ".join(columns)
    # Explicit column types: DuckDB 2.0 loses the statistics of a table made by
    # CREATE TABLE AS ... WHERE 1 = 0 and then bulk-filled from a DataFrame inside the same
    # transaction, so later queries (this DELETE ... USING, min/max) see it as empty.
    typed = ", ".join(f"{c} {t}" for c, t in column_types(tx, item.table, columns))
    tx.execute(f"CREATE TEMP TABLE {stage} ({typed})")
    insert(tx, stage, item.frame)
    match = " AND ".join(f"{item.table}.{k} = {stage}.{k}" for k in item.keys)
    extra = f" AND {item.where}" if item.where else ""
    written = item.rows
    if item.origin:
        written = _changes_only(tx, item, stage, match + extra)
    tx.execute(f"DELETE FROM {item.table} USING {stage} WHERE {match}{extra}", item.params)
    tx.execute(f"INSERT INTO {item.table} ({cols}) SELECT {cols} FROM {stage}")
    tx.execute(f"DROP TABLE {stage}")
    return written


def _changes_only(tx: Transaction, item: Replacement, stage: str, match: str) -> int:
    """Drop staged readings equal to stored ones; record the changed meter-days; count the rest."""
    tx.execute(
        f"DELETE FROM {stage} USING {item.table} WHERE {match} "
        f"AND {item.table}.value = {stage}.value",
        item.params,
    )
    left = tx.fetch_all(f"SELECT count(*) FROM {stage}")[0][0]
    if left:
        tx.execute(
            "INSERT INTO reading_changes "
            "(meter_id, day, origin, rows_changed, changed_at, rescored_run) "
            f"SELECT meter_id, CAST(ts AS DATE), ?, count(*), ?, NULL FROM {stage} "
            "GROUP BY meter_id, CAST(ts AS DATE)",
            (item.origin, utcnow()),
        )
    return int(left or 0)


def _stored_in_range(tx: Transaction, item: Replacement) -> bool:
    """Whether ``item.table`` holds any row in the ``item.where`` range."""
    where = f" WHERE {item.where}" if item.where else ""
    found = tx.fetch_all(
        f"SELECT count(*) FROM (SELECT 1 FROM {item.table}{where} LIMIT 1) x", item.params
    )
    return bool(found[0][0])


def _add_new(tx: Transaction, item: Replacement) -> int:
    """Insert rows no stored row can match, and record their meter-days as changed."""
    insert(tx, item.table, item.frame)
    changes = item.changes
    n = changes.num_rows if isinstance(changes, pa.Table) else len(changes)
    if n:
        if isinstance(changes, pa.Table):
            changes = changes.append_column("origin", pa.array([item.origin] * n, pa.string()))
            changes = changes.append_column(
                "changed_at", pa.array([utcnow()] * n, pa.timestamp("us"))
            )
        else:
            changes = changes.assign(origin=item.origin, changed_at=utcnow())
        insert(tx, "reading_changes", changes)
    return item.rows


def write_all(db: Database, items: list[Replacement]) -> dict[str, int]:
    """Apply every replacement in one warehouse transaction; return the rows written per table.

    Nothing is opened when there is nothing to write. On any error the transaction rolls
    back and the warehouse is unchanged.
    """
    todo = [item for item in items if item.rows]
    written: dict[str, int] = {}
    if not todo:
        return written
    with db.transaction() as tx:
        for item in todo:
            written[item.table] = written.get(item.table, 0) + replace(tx, item)
    return written
