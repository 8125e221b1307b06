"""Two app processes against one PostgreSQL warehouse, each reading its own cache (docs/topology.md).

Each "app process" is a real OS process (tests/topology/app_process.py) with its own
``DQ_CACHE_PATH``, doing what the Issues page does through core: load the first page, save a
status and note for one row, refresh the cache. The steps are ordered by request and answer over
the processes' pipes, and the one overlap (a save waiting for another's lock) is confirmed in
PostgreSQL's ``pg_stat_activity`` before the first save is let go: no step relies on timing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.topology.apps import ANSWER_TIMEOUT_S, AppProcess, app_env

STALE = "after you loaded it"  # core.triage's refusal of an edit based on an older status


@pytest.fixture
def apps(warehouse, pg_url, tmp_path):
    """Two app processes, "a" and "b", on the warehouse, each with its own cache file."""
    started = []
    try:
        for name in ("a", "b"):
            env = app_env(pg_url, tmp_path / name / "cache.duckdb")
            started.append(AppProcess(name, env, tmp_path / f"{name}.log"))
        for app in started:  # both start at once; then wait for each
            app.hello = app.answer()
        yield started
    finally:
        for app in started:
            app.stop()


def _open_issue(app: AppProcess) -> str:
    rows = app.ask(op="load", user="ann")["rows"]
    return next(r["issue_id"] for r in rows if r["status"] == "open")


def _save(user: str, issue_id: str, status: str, note: str) -> dict:
    """The Issues page's Save of one row's status and note, as ``user``."""
    return {
        "op": "save",
        "user": user,
        "issue_id": issue_id,
        "status": status,
        "note": note,
        "hold": False,
    }


def _stored(db, issue_id):
    return db.fetch_all(
        "SELECT status, status_note, status_by, status_at FROM dq_issues WHERE issue_id = ?",
        (issue_id,),
    )[0]


def _events(db, issue_id):
    return db.fetch_all(
        "SELECT changed_by, from_status, to_status, note FROM issue_events WHERE issue_id = ? "
        "ORDER BY changed_at",
        (issue_id,),
    )


def _wait_for_lock_wait(db) -> None:
    """Return once a session of this database waits for a lock the first save holds (or fail)."""
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while not db.fetch_value(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    ):
        assert time.monotonic() < deadline, "the second save never waited for the first's lock"
        time.sleep(0.02)


def test_each_app_process_has_its_own_cache_file(apps):
    a, b = apps
    assert len({a.hello["pid"], b.hello["pid"], os.getpid()}) == 3
    assert a.hello["cache"] != b.hello["cache"]
    assert all(Path(app.hello["cache"]).exists() for app in apps)


def test_an_edit_in_one_process_shows_in_the_other_after_its_cache_refresh(apps, warehouse):
    a, b = apps
    issue = _open_issue(a)
    before = b.row("bob", issue)
    assert before["status"] == "open"

    saved = a.ask(**_save("ann", issue, "acknowledged", "called the site"))
    assert saved == {"saved": [issue], "refused": []}
    status, note, by, at = _stored(warehouse, issue)
    assert (status, note, by) == ("acknowledged", "called the site", "ann")
    mine = a.row("ann", issue)  # the saving process replayed the write on its own cache
    assert (mine["status"], mine["status_note"], mine["status_by"]) == (status, note, by)

    # The other process reads its own copy, taken before the edit, until that copy is refreshed:
    # by design (docs/topology.md), not before DQ_CACHE_REFRESH_SECONDS have passed.
    assert b.ask(op="refresh_if_old") == {"started": False}
    assert b.row("bob", issue) == before
    b.ask(op="refresh")
    seen = b.row("bob", issue)
    assert (seen["status"], seen["status_note"], seen["status_by"]) == (status, note, by)
    assert seen["status_at"] == mine["status_at"] == at.isoformat()


@pytest.mark.parametrize("overlap", [True, False], ids=["while-the-first-commits", "after-it"])
def test_concurrent_edits_of_one_issue_one_lands_the_stale_one_is_refused(apps, warehouse, overlap):
    a, b = apps
    issue = _open_issue(a)
    shown = b.row("bob", issue)  # both pages now show the issue as it was loaded
    a_save = _save("ann", issue, "acknowledged", "ann: on it")
    b_save = _save("bob", issue, "resolved", "bob: fixed")
    if overlap:
        # A's save holds the dq_issues lock with its writes uncommitted; B's save, started
        # now, waits for that lock; only then is A's commit let go.
        a.send({**a_save, "hold": True})
        assert a.answer() == {"held": True}
        b.send(b_save)
        _wait_for_lock_wait(warehouse)
        assert not b.has_answered()
        a.send("go")
        first, second = a.answer(), b.answer()
    else:
        first = a.ask(**a_save)
        second = b.ask(**b_save)

    assert first == {"saved": [issue], "refused": []}
    assert second["saved"] == []
    [(refused_id, reason)] = second["refused"]
    assert refused_id == issue and STALE in reason
    assert _stored(warehouse, issue)[:3] == ("acknowledged", "ann: on it", "ann")
    assert _events(warehouse, issue) == [("ann", "open", "acknowledged", "ann: on it")]
    # Nothing of the refused save reached B's copy, but the refusal brought A's edit into it:
    # reloaded (no refresh waited for), B sees A's edit and its own edit based on it lands.
    seen = b.row("bob", issue)
    assert (seen["status"], seen["status_by"], seen["status_note"]) == (
        "acknowledged",
        "ann",
        "ann: on it",
    )
    assert seen["status_at"] != shown["status_at"]
    assert b.ask(**b_save) == {"saved": [issue], "refused": []}
    assert _stored(warehouse, issue)[:3] == ("resolved", "bob: fixed", "bob")
    assert _events(warehouse, issue) == [
        ("ann", "open", "acknowledged", "ann: on it"),
        ("bob", "acknowledged", "resolved", "bob: fixed"),
    ]
