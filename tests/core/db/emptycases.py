"""The empty-result rule every engine keeps: SQL NULL and no row come back as None.

Shared by one test per engine (DuckDB, PostgreSQL, the app cache). ``db`` holds a migrated
warehouse with no readings and one ``dq_runs`` row (``r1``) whose ``finished_at`` and
``units_total`` are NULL.
"""

from datetime import datetime

import pandas as pd

from core.db.base import Database

AGGREGATE = (
    "SELECT MIN(ts), MAX(ts), SUM(value), AVG(value), count(*) FROM readings WHERE meter_id = ?"
)
NO_ROW = "SELECT ts, value FROM readings WHERE meter_id = ?"
NULLS = "SELECT finished_at, units_total, error FROM dq_runs WHERE run_id = ?"


def add_unfinished_run(db: Database) -> None:
    """The ``dq_runs`` row ``r1``: started, never finished (NULL time, count and error)."""
    db.insert_df(
        "dq_runs",
        pd.DataFrame(
            {
                "run_id": ["r1"],
                "job": ["dq"],
                "started_at": [datetime(2026, 3, 1, 2, 30)],
                "status": ["failed"],
            }
        ),
    )


def assert_empty_results(db: Database) -> None:
    """Aggregates over no rows, no row at all and NULL columns are None (never NaT/NaN/NA)."""
    for source in (db, _Tx(db)):
        assert source.fetch_all(AGGREGATE, ["nope"]) == [(None, None, None, None, 0)]
        assert source.fetch_one(AGGREGATE, ["nope"]) == (None, None, None, None, 0)
        assert source.fetch_value("SELECT MIN(ts) FROM readings WHERE meter_id = ?", ["x"]) is None
        assert type(source.fetch_value("SELECT count(*) FROM readings")) is int
        assert source.fetch_all(NO_ROW, ["nope"]) == []
        assert source.fetch_one(NO_ROW, ["nope"]) is None
        assert source.fetch_value(NO_ROW, ["nope"]) is None
        assert source.fetch_one(NULLS, ["r1"]) == (None, None, None)
        assert source.fetch_value(NULLS, ["r1"]) is None


class _Tx:
    """The same reads inside one transaction of ``db``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def __getattr__(self, method: str):
        def read(*args):
            with self.db.transaction() as tx:
                return getattr(tx, method)(*args)

        return read
