"""Physical layout of the growing tables: Redshift distribution and sort keys, PostgreSQL indexes.

One table (``KEYS``) says, per table, how pages, jobs and data scientists read it and which
keys serve that; migration 0009 applies it and docs/tables.md prints it. DuckDB needs nothing
(its zone maps and the small result tables make indexes a cost, not a gain).

Redshift: each change is one ``ALTER TABLE`` run on its own autocommit connection, outside the
migration's transaction (docs/warehouse.md, "Table keys"): an ALTER TABLE locks its table for
reads and writes until its transaction ends, so changing every table inside one transaction
would block the app and the worker until the last table was rewritten, and a failure would
throw away the tables already done. A table whose keys already match is skipped, so a rerun
after a failure finishes the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.db.base import Transaction
from core.errors import MigrationError


@dataclass(frozen=True)
class TableKeys:
    """The keys of one table and why.

    Attributes
    ----------
    table : str
        Table name.
    distkey : str
        Redshift ``DISTSTYLE KEY`` column: rows of one value sit on one slice, so joins and
        lookups on it stay local.
    sortkey : tuple of str
        Redshift ``COMPOUND SORTKEY`` columns: range filters on a prefix of them skip blocks.
    reads : str
        How the table is read (what the keys serve), for docs/tables.md.
    """

    table: str
    distkey: str
    sortkey: tuple[str, ...]
    reads: str

    def redshift_sql(self, have_distkey: str | None, have_sortkey: tuple[str, ...]) -> list[str]:
        """The ALTER statements that move the table from the keys it has to these."""
        out = []
        if have_distkey != self.distkey:
            out.append(f"ALTER TABLE {self.table} ALTER DISTSTYLE KEY DISTKEY {self.distkey}")
        if have_sortkey != self.sortkey:
            cols = ", ".join(self.sortkey)
            out.append(f"ALTER TABLE {self.table} ALTER COMPOUND SORTKEY ({cols})")
        return out


KEYS: tuple[TableKeys, ...] = (
    TableKeys(
        "readings",
        "meter_id",
        ("meter_id", "ts"),
        "one meter or a range of meter ids over a time window (DQ job, meter explorer, bill "
        "interval usage, overshoot demand), joined to meters on meter_id",
    ),
    TableKeys(
        "dq_meter_days",
        "meter_id",
        ("day", "account_id"),
        "by day (latest scored day, a run's day, the 30-day trend) within the user's accounts, "
        "joined to meters on meter_id",
    ),
    TableKeys(
        "meter_clock_days",
        "meter_id",
        ("day", "meter_id"),
        "a day range of every meter's clock statistics (the DQ job's clock_drift context)",
    ),
    TableKeys(
        "reading_changes",
        "meter_id",
        ("day", "meter_id"),
        "the DQ job's re-scoring: changed meter-days not yet re-scored, joined to "
        "dq_meter_days on meter and day, marked scored by day",
    ),
    TableKeys(
        "dq_issues",
        "issue_id",
        ("kind", "status", "start_ts"),
        "issue lists by kind and status, ordered and filtered by start_ts within the user's "
        "accounts; single issues by issue_id (triage, the jobs' upserts); joined to "
        "issue_events on issue_id",
    ),
    TableKeys(
        "issue_events",
        "issue_id",
        ("changed_at",),
        "an issue's history by issue_id (joined to dq_issues), the audit log by time",
    ),
)

# PostgreSQL warehouse: btree indexes serving the same reads (name, table, columns). PostgreSQL
# has no zone maps: without them every per-meter or per-issue read scans the whole table.
POSTGRES_INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("readings_meter_ts", "readings", ("meter_id", "ts")),
    ("readings_ts", "readings", ("ts",)),
    ("dq_meter_days_day", "dq_meter_days", ("day", "account_id")),
    ("meter_clock_days_day", "meter_clock_days", ("day", "meter_id")),
    ("reading_changes_day", "reading_changes", ("day", "meter_id")),
    ("reading_changes_changed_at", "reading_changes", ("changed_at",)),
    ("dq_issues_issue_id", "dq_issues", ("issue_id",)),
    ("dq_issues_meter_start", "dq_issues", ("meter_id", "start_ts")),
    ("dq_issues_kind_status_start", "dq_issues", ("kind", "status", "start_ts")),
    ("issue_events_issue_id", "issue_events", ("issue_id",)),
    ("meters_meter_id", "meters", ("meter_id",)),
)

# What a table has now: its DISTKEY column and COMPOUND SORTKEY columns in order. PG_TABLE_DEF
# lists the tables of the search path, whose first schema is the one the warehouse uses.
CURRENT_KEYS_SQL = (
    'SELECT "column", distkey, sortkey FROM pg_table_def '
    "WHERE schemaname = current_schema() AND tablename = ?"
)


def current_keys(tx: Transaction, table: str) -> tuple[str | None, tuple[str, ...]]:
    """``(distkey column or None, sort key columns)`` of ``table`` on Redshift."""
    rows: list[Any] = tx.fetch_all(CURRENT_KEYS_SQL, (table,))
    distkey = next((r[0] for r in rows if r[1]), None)
    sortkey = tuple(r[0] for r in sorted(rows, key=lambda r: r[2]) if r[2] and r[2] > 0)
    return distkey, sortkey


def postgres_sql() -> list[str]:
    """``CREATE INDEX IF NOT EXISTS`` for every index in ``POSTGRES_INDEXES``."""
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(cols)})"
        for name, table, cols in POSTGRES_INDEXES
    ]


def apply_redshift(tx: Transaction) -> list[str]:
    """Give every ``KEYS`` table its keys, one autocommit ALTER at a time; the statements run.

    ``tx`` is the migration's transaction; the ALTERs run on a connection of their own
    (``RedshiftDatabase.autocommit``) so that each commits, and unlocks its table, at once.

    Raises
    ------
    MigrationError
        If an ALTER fails: names the table and statement; the tables already changed keep
        their keys and a rerun skips them.
    """
    database = getattr(tx, "database", None)
    if database is None or not hasattr(database, "autocommit"):
        raise MigrationError("Redshift table keys need a RedshiftDatabase transaction")
    done: list[str] = []
    with database.autocommit() as auto:
        for keys in KEYS:
            for sql in keys.redshift_sql(*current_keys(auto, keys.table)):
                try:
                    auto.execute(sql)
                except Exception as exc:
                    raise MigrationError(
                        f"Redshift table keys: `{sql}` failed ({type(exc).__name__}: {exc}). "
                        f"Keys already changed stay ({len(done)} statements); run "
                        "`python -m jobs migrate` again to finish (tables done are skipped)."
                    ) from exc
                done.append(sql)
    return done
