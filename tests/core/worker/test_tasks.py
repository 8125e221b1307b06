"""core.worker.tasks: what each job runs with, and its parameters checked."""

from datetime import date
from types import SimpleNamespace

import pytest

from core.errors import DQHubError
from core.worker import tasks


def test_dq_task_scores_the_latest_full_day(fresh_db, monkeypatch):
    seen = []
    monkeypatch.setattr("core.dq.job.run", lambda db, day: seen.append(day) or SimpleNamespace(
        run_id="r", status="ok"))  # fmt: skip
    fresh_db.execute(
        "INSERT INTO readings VALUES ('m', TIMESTAMP '2026-03-10 08:00', 1, 'platform')"
    )
    tasks.execute(fresh_db, "dq", {"date": "latest"}, date(2026, 3, 20))
    tasks.execute(fresh_db, "dq", None, date(2026, 3, 10))  # readings reach today: yesterday
    tasks.execute(fresh_db, "dq", {"date": "2026-01-05"}, date(2026, 3, 10))
    assert seen == [date(2026, 3, 10), date(2026, 3, 9), date(2026, 1, 5)]


def test_check_params():
    assert tasks.check_params("dq", None) == {"date": "latest"}
    assert tasks.check_params("bills", {"date": "2026-03-01"}) == {"date": "2026-03-01"}
    assert tasks.check_params("overshoot", {"month": None}) == {"month": "last"}
    with pytest.raises(DQHubError, match="Unknown job 'nope'; expected one of sync, dq, bills"):
        tasks.check_params("nope", {})
    with pytest.raises(DQHubError, match="not YYYY-MM-DD"):
        tasks.check_params("dq", {"date": "tomorrow"})
    with pytest.raises(DQHubError, match="not YYYY-MM"):
        tasks.check_params("overshoot", {"month": "2026-13"})
    with pytest.raises(DQHubError, match="unknown parameter"):
        tasks.check_params("bills", {"month": "2026-01"})
