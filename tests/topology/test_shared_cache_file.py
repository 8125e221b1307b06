"""Two processes refreshing one cache file: the app on age and the worker after a job, on one host.

With a remote warehouse the worker refreshes ``DQ_CACHE_PATH`` after each run (README,
Production), so an app and a worker sharing a volume may refresh the same file at once. The
second refresh must wait for the first, and both must end with a whole copy in place.
"""

from __future__ import annotations

import logging
import threading
import time

from core.db import open_warehouse
from core.db.cache import refresh
from tests.topology.apps import ANSWER_TIMEOUT_S, AppProcess, app_env


class _Seen(logging.Handler):
    """Sets ``event`` when a record's message contains ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.INFO)
        self.text, self.event = text, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


def test_a_refresh_waits_for_another_process_refreshing_the_same_file(
    warehouse, pg_url, tmp_path, caplog
):
    path = tmp_path / "data" / "cache.duckdb"
    app = AppProcess("app", app_env(pg_url, path), tmp_path / "app.log")
    logger = logging.getLogger("core.db.cache")
    seen = _Seen("waiting for another process")
    logger.addHandler(seen)
    caplog.set_level(logging.INFO, logger="core.db.cache")
    try:
        app.answer()  # ready: its first refresh built the file
        app.send({"op": "refresh", "hold": True})
        assert app.answer() == {"held": True}  # the app's new copy is begun, not yet filled

        worker = {}
        thread = threading.Thread(target=lambda: worker.update(at=refresh(warehouse, path)))
        thread.start()  # the worker's refresh after a job, on the same file
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        while thread.is_alive() and not seen.event.wait(0.02):  # it waits, or it is done
            assert time.monotonic() < deadline
        app.send("go")
        answer = app.answer()  # fails here when the worker's refresh took the app's copy
        thread.join(ANSWER_TIMEOUT_S)
        assert not thread.is_alive()
    finally:
        logger.removeHandler(seen)
        app.stop()

    assert seen.event.is_set(), "the second refresh did not wait for the first"
    assert "refreshed_at" in answer and "at" in worker
    copy = open_warehouse(f"duckdb:///{path}")
    for table in ("dq_issues", "meters", "dq_runs"):
        assert copy.fetch_value(f"SELECT count(*) FROM {table}") == warehouse.fetch_value(
            f"SELECT count(*) FROM {table}"
        )
    assert not list(path.parent.glob("*.new"))
