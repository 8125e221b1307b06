"""Print results tables as CSV or JSON (``python -m jobs export``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd

from core.db.base import Database
from core.dq.store import ISSUE_COLUMNS
from core.errors import DQHubError

FORMATS = ("csv", "json")


def _issues_of(kind: str) -> Callable[[Database, date | None], pd.DataFrame]:
    """Exporter of one issue kind: the ``dq_issues`` columns, optionally overlapping a day."""

    def issues(db: Database, day: date | None) -> pd.DataFrame:
        cols = ", ".join(ISSUE_COLUMNS)
        sql = f"SELECT {cols} FROM dq_issues WHERE kind = ?"
        params: list[object] = [kind]
        if day is not None:
            sql += " AND start_ts < ? AND end_ts > ?"
            params += [day + timedelta(days=1), day]
        return db.fetch_df(sql + " ORDER BY start_ts, issue_id", params)

    return issues


# One line per exportable result; later jobs add theirs (overshoot, projects).
EXPORTS = {
    "issues": _issues_of("meter"),
    "bills": _issues_of("bill"),  # bill findings; --date keeps bills whose period covers it
}


def export(db: Database, what: str, fmt: str, day: date | None = None) -> str:
    """Render ``what`` as ``fmt`` text; ``day`` keeps issues that overlap that UTC day."""
    if what not in EXPORTS:
        raise DQHubError(f"Unknown export {what!r}; expected {', '.join(EXPORTS)}")
    if fmt not in FORMATS:
        raise DQHubError(f"Unknown format {fmt!r}; expected {', '.join(FORMATS)}")
    df = EXPORTS[what](db, day)
    if fmt == "csv":
        return df.to_csv(index=False)
    return df.to_json(orient="records", date_format="iso", indent=1) + "\n"
