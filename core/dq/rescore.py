"""Late and corrected data: which scored meter-days to score again, and marking them done.

Every write of readings records the meter-days it changed in ``reading_changes`` (core.ingest.
write), with a null ``rescored_run``. A DQ run of a day marks that day's changes made before it
started as scored (``mark_scored``). A change still unmarked for a day that has scores
(``dq_meter_days``) arrived after the day was scored: the next DQ run of a later day scores it
again for the meters that changed (``pending``), before its own day. The re-score is an
ordinary run of that day for those meters, so findings the new readings no longer support
resolve themselves (by ``system``, with the reason), new ones open, and statuses people set
stay as they are. Only the changed day is re-scored; later days whose baselines it fed keep
their scores (docs/worker.md).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from core.db.base import Database, Transaction
from core.runs import Run

_BATCH = 500  # meter ids per IN (...) list

PENDING = """
SELECT c.day, c.meter_id, c.origin, sum(c.rows_changed) AS rows_changed, max(c.changed_at) AS at
FROM reading_changes c
WHERE c.rescored_run IS NULL AND c.day < ?
AND EXISTS (SELECT 1 FROM dq_meter_days d WHERE d.meter_id = c.meter_id AND d.day = c.day)
GROUP BY c.day, c.meter_id, c.origin
ORDER BY c.day, c.meter_id
"""


def pending(db: Database, before: date) -> list[tuple[date, list[str], str]]:
    """``(day, meter ids, reason)`` per scored day before ``before`` whose readings changed since.

    The reason says how many readings of how many meters changed and where they came from,
    e.g. ``142 readings of 3 meters changed (s3) after the day was scored``.
    """
    rows = db.fetch_df(PENDING, (before,))
    out = []
    for day, group in rows.groupby("day", sort=True):
        origins = ", ".join(sorted(group["origin"].unique()))
        meters = sorted(group["meter_id"].unique())
        n = int(group["rows_changed"].sum())
        why = (
            f"{n} reading{'' if n == 1 else 's'} of {len(meters)} meter"
            f"{'' if len(meters) == 1 else 's'} changed ({origins}) after the day was scored"
        )
        out.append((pd.Timestamp(day).date(), meters, why))
    return out


def mark_scored(tx: Transaction, day: date, run: Run, meter_ids: list[str] | None) -> None:
    """Mark ``day``'s changes made before ``run`` started as scored by it (all meters or some)."""
    where = "day = ? AND rescored_run IS NULL AND changed_at <= ?"
    params: list[object] = [run.run_id, day, run.started_at]
    if meter_ids is None:
        tx.execute(f"UPDATE reading_changes SET rescored_run = ? WHERE {where}", params)
        return
    for i in range(0, len(meter_ids), _BATCH):
        batch = meter_ids[i : i + _BATCH]
        marks = ", ".join("?" for _ in batch)
        tx.execute(
            f"UPDATE reading_changes SET rescored_run = ? WHERE {where} AND meter_id IN ({marks})",
            [*params, *batch],
        )
