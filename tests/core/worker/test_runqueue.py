"""core.worker.runqueue: the run-now queue's SQL on every backend."""

from datetime import datetime

from core import runs
from core.worker import runqueue, tasks


def test_run_requests_sql_runs_on_every_backend(any_db):
    req, _ = runqueue.enqueue(any_db, "bills", {"date": "2026-03-01"}, "ada")
    tick = runqueue.record_tick(any_db, "dq", {}, datetime(2026, 3, 1, 2, 30))
    assert runqueue.record_tick(any_db, "dq", {}, datetime(2026, 3, 1, 2, 30)) is None
    assert runqueue.last_tick(any_db, "dq") == datetime(2026, 3, 1, 2, 30)
    assert [r.request_id for r in runqueue.queued(any_db)] == [tick.request_id, req.request_id]
    claimed = runqueue.claim(any_db, req)
    runs.start(any_db, runs.Run("bills", {}))
    assert "queued again" in runqueue.recover(any_db)[0]
    claimed = runqueue.claim(any_db, runqueue.queued(any_db)[1])
    runqueue.finish(any_db, claimed, tasks.Outcome("bills", "r1", "partial", None, 1.0))
    table = runqueue.table(any_db)
    assert dict(zip(table.request_id, table.status, strict=True)) == {
        req.request_id: "partial",
        tick.request_id: "queued",
    }
    assert any_db.fetch_value("SELECT count(*) FROM dq_runs WHERE status = 'running'") == 0


# ---- the singleton lock ---------------------------------------------------------------------
