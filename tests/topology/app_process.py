"""One DQ Hub app process for the topology tests: the Issues page's reads and saves over stdin.

Run as ``python -m tests.topology.app_process`` from the repository root with ``DQ_WAREHOUSE``
(a remote warehouse) and ``DQ_CACHE_PATH`` (this process's own cache file) in the environment.
It opens the warehouse as an app process does (:func:`core.db.cache.app_database`), says
``{"ready": ...}``, then answers each JSON command line on stdin with one JSON line on stdout:

- ``{"op": "load", "user": NAME}``: the Issues page's first page with its default filters
  (:func:`core.views.issues.list_issues`), kept as the rows on screen; answers their ``rows``.
- ``{"op": "save", "user": NAME, "issue_id": ID, "status": S, "note": N, "hold": BOOL}``: the
  page's **Save changes** on that row of the rows on screen (:func:`core.views.issues.changes`, then
  :func:`core.triage.apply`); answers ``saved`` and ``refused``. With ``hold`` the save stops
  after its last write, before its warehouse transaction commits, says ``{"held": true}`` and
  waits for a ``go`` line.
- ``{"op": "refresh", "hold": BOOL}``: the cache refresh the app runs in the background
  (:func:`core.db.cache.refresh`); with ``hold`` it stops once its new copy is begun, says
  ``{"held": true}`` and waits for a ``go`` line. ``{"op": "refresh_if_old"}``: whether the
  app starts one now (:meth:`core.db.cache.CachedWarehouse.refresh_if_old`, as on every page
  run).
- ``{"op": "quit"}``.

A command that raises answers ``{"error": traceback}``.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

import pandas as pd

from core import config, triage
from core.auth import User
from core.db import cache
from core.views import issues

SHOWN = ["issue_id", "status", "status_note", "status_by", "status_at"]


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, default=str) + "\n")
    sys.stdout.flush()


def _user(name: str) -> User:
    return User(name, name.title(), "staff", None)


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = df[SHOWN].astype(object).where(df[SHOWN].notna(), None)
    out["status_at"] = [pd.Timestamp(t).isoformat() for t in df["status_at"]]
    return out.to_dict("records")


def _wait_for_go() -> None:
    _say({"held": True})
    if sys.stdin.readline().strip() != "go":
        raise RuntimeError("expected 'go'")


class _HoldRefresh:
    """Stop a refresh once its new copy is begun (migrated, not yet filled)."""

    def __enter__(self) -> None:
        self.original = original = cache._tables

        def tables(local: Any) -> list[str]:
            _wait_for_go()
            return original(local)

        cache._tables = tables

    def __exit__(self, *exc: object) -> None:
        cache._tables = self.original


class _Hold:
    """Stop a save inside its warehouse transaction, after the ``issue_events`` insert."""

    def __enter__(self) -> None:
        self.original = original = cache.CachedTransaction.execute

        def execute(tx: cache.CachedTransaction, sql: str, params: Any = ()) -> None:
            original(tx, sql, params)
            if sql.lstrip().upper().startswith("INSERT INTO ISSUE_EVENTS"):
                _wait_for_go()  # dq_issues is locked on the warehouse, nothing committed

        cache.CachedTransaction.execute = execute

    def __exit__(self, *exc: object) -> None:
        cache.CachedTransaction.execute = self.original


def main() -> int:
    """Serve commands until ``quit`` or the end of stdin."""
    db = cache.app_database(config.get("DQ_WAREHOUSE"), config.get("DQ_CACHE_PATH"))
    assert isinstance(db, cache.CachedWarehouse), "expected a remote warehouse and a cache path"
    _say(
        {
            "ready": True,
            "pid": os.getpid(),
            "cache": str(db.path),
            "refreshed_at": db.refreshed_at(),
        }
    )
    loaded = pd.DataFrame()
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        try:
            if op == "quit":
                _say({"bye": True})
                return 0
            if op == "load":
                filters = issues.Filters(statuses=issues.DEFAULT_STATUSES)
                loaded, _ = issues.list_issues(db, _user(command["user"]), filters, 1, 50)
                _say({"rows": _rows(loaded)})
            elif op == "save":
                pos = loaded.index[loaded["issue_id"] == command["issue_id"]][0]
                edits = {int(pos): {"status": command["status"], "note": command["note"]}}
                changes = issues.changes(loaded, edits)
                if command.get("hold"):
                    with _Hold():
                        result = triage.apply(db, _user(command["user"]), changes)
                else:
                    result = triage.apply(db, _user(command["user"]), changes)
                _say({"saved": result.saved, "refused": result.refused})
            elif op == "refresh":
                if command.get("hold"):
                    with _HoldRefresh():
                        at = cache.refresh(db.remote, db.path)
                else:
                    at = cache.refresh(db.remote, db.path)
                _say({"refreshed_at": at})
            elif op == "refresh_if_old":
                _say({"started": db.refresh_if_old()})
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception:  # noqa: BLE001 - reported to the test, which fails with it
            _say({"error": traceback.format_exc()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
