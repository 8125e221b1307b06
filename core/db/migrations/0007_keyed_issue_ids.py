"""Issue ids keyed with a per-warehouse secret; stored issues and their events re-keyed.

Creates the warehouse's issue-id key (``dq_meta`` row ``issue_id_key``, see
:mod:`core.issue_ids`), then recomputes every stored issue's id from its own columns with the
keyed functions of :mod:`core.dq.store` (meter issues: meter, detector, source, start; bill
findings: check and bill, or meter) and moves ``dq_issues`` and ``issue_events`` rows to the
new ids in this one transaction. A rerun after the upgrade therefore finds the same issues:
no duplicates, and every status, note, owner and audit event a person set stays with its
issue.
"""

import pandas as pd

from core import issue_ids
from core.db.base import Transaction
from core.dq import store

TEMP = "dq_issue_rekey"  # old -> new id, dropped at the end of the migration


def new_ids(rows: pd.DataFrame, key: bytes) -> list[str]:
    """The keyed id of each stored issue row.

    ``rows`` holds ``kind, detector, meter_id, bill_id, source, start_ts``.
    """
    return [
        store.bill_issue_id(r.detector, r.bill_id, r.meter_id, key)
        if r.kind == "bill"
        else store.issue_id(r.meter_id, r.detector, r.source, r.start_ts, key)
        for r in rows.itertuples(index=False)
    ]


def migrate(tx: Transaction) -> None:
    """Create the key and move every stored issue (and its events) to its keyed id."""
    key = issue_ids.create_key(tx)
    rows = tx.fetch_df(
        "SELECT issue_id, kind, detector, meter_id, bill_id, source, start_ts FROM dq_issues"
    )
    if rows.empty:
        return
    rows["bill_id"] = rows["bill_id"].astype(object).where(rows["bill_id"].notna(), None)
    mapping = pd.DataFrame({"old_id": rows["issue_id"], "new_id": new_ids(rows, key)})
    mapping = mapping[mapping["old_id"] != mapping["new_id"]].drop_duplicates("old_id")
    if mapping.empty:
        return
    tx.execute(f"CREATE TABLE {TEMP} (old_id VARCHAR(64) NOT NULL, new_id VARCHAR(64) NOT NULL)")
    tx.insert_df(TEMP, mapping)
    for table in ("dq_issues", "issue_events"):
        tx.execute(
            f"UPDATE {table} SET issue_id = r.new_id FROM {TEMP} r "
            f"WHERE {table}.issue_id = r.old_id"
        )
    tx.execute(f"DROP TABLE {TEMP}")
