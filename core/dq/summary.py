"""Read-only summary of the latest DQ run (the overview page scopes what it shows)."""

from __future__ import annotations

import json

from core.db.base import Database


def latest_run(db: Database, job: str = "dq") -> dict | None:
    """The most recent run of ``job`` as a dict, or None when it never ran."""
    df = db.fetch_df(
        "SELECT run_id, job, params, started_at, finished_at, status, units_total, units_failed, "
        "issues_found, error FROM dq_runs WHERE job = ? ORDER BY started_at DESC LIMIT 1",
        (job,),
    )
    if df.empty:
        return None
    run = df.iloc[0].to_dict()
    run["params"] = json.loads(run["params"] or "{}")
    return run
