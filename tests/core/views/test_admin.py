"""core/views/admin.py: the Admin page's reads (runs, failures, days re-scored)."""

import json

import pandas as pd

from core import runs
from core.views import admin


def _run(db, job, params, status="ok"):
    run = runs.Run(job, params)
    runs.start(db, run)
    with db.transaction() as tx:
        runs.finish(tx, run)
    return run


def test_days_rescored_lists_rescore_runs_with_their_reason(fresh_db):
    _run(fresh_db, "dq", {"date": "2026-03-10", "history_days": 28})
    why = "96 readings of 2 meters changed (s3) after the day was scored"
    rescore = _run(
        fresh_db, "dq", {"date": "2026-03-08", "history_days": 28, "rescore": why, "meters": 2}
    )
    _run(fresh_db, "sync", {"since": "last"})
    df = admin.rescored_days(fresh_db)
    assert list(df["run_id"]) == [rescore.run_id]  # only re-scores, not ordinary runs
    row = df.iloc[0]
    assert (row["day"], row["meters"], row["why"]) == ("2026-03-08", 2, why)


def test_recent_runs_show_the_sync_start(fresh_db):
    _run(fresh_db, "sync", {"since": "2026-03-01"})
    df = admin.recent_runs(fresh_db)
    assert df.loc[0, "job"] == "sync" and df.loc[0, "partition"] == "2026-03-01"
    assert json.loads(fresh_db.fetch_value("SELECT params FROM dq_runs"))["since"] == "2026-03-01"
    assert isinstance(df, pd.DataFrame)
