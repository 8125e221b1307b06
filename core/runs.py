"""Run records in ``dq_runs``, shared by every job (dq, bills, overshoot)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.db.base import Database, Transaction

_MAX_ERROR_CHARS = 60000  # the column is VARCHAR(65535); keep the head of a long failure list


def utcnow() -> datetime:
    """Current time as naive UTC (the warehouse stores naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Run:
    """One job run being recorded.

    Attributes
    ----------
    failures : list of (unit id, reason)
        Units (meters, bills, buildings) that could not be processed; the run goes on.
    """

    job: str
    params: dict[str, Any]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    started_at: datetime = field(default_factory=utcnow)
    units_total: int = 0
    issues_found: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def fail_unit(self, unit_id: str, reason: str) -> None:
        """Record that one unit failed; the run will end ``partial``."""
        self.failures.append((str(unit_id), reason))

    @property
    def units_failed(self) -> int:
        """Distinct units that failed."""
        return len({unit for unit, _ in self.failures})

    @property
    def status(self) -> str:
        """``ok`` or ``partial`` (``failed`` is set by ``fail``)."""
        return "partial" if self.failures else "ok"

    def error_text(self) -> str | None:
        """Failures as ``unit: reason`` lines, or None."""
        if not self.failures:
            return None
        text = "\n".join(f"{unit}: {reason}" for unit, reason in self.failures)
        return text[:_MAX_ERROR_CHARS]


def start(db: Database, run: Run) -> None:
    """Insert the run with status ``running`` so a crashed run is still visible."""
    db.execute(
        "INSERT INTO dq_runs (run_id, job, params, started_at, status) VALUES (?, ?, ?, ?, ?)",
        (run.run_id, run.job, json.dumps(run.params, default=str), run.started_at, "running"),
    )


def finish(tx: Transaction, run: Run) -> None:
    """Mark the run ``ok`` or ``partial`` inside the transaction that stores its results."""
    tx.execute(
        "UPDATE dq_runs SET finished_at = ?, status = ?, units_total = ?, units_failed = ?, "
        "issues_found = ?, error = ? WHERE run_id = ?",
        (
            utcnow(),
            run.status,
            run.units_total,
            run.units_failed,
            run.issues_found,
            run.error_text(),
            run.run_id,
        ),
    )


def fail(db: Database, run: Run, exc: BaseException) -> None:
    """Mark the run ``failed`` with the exception text (results were not stored)."""
    db.execute(
        "UPDATE dq_runs SET finished_at = ?, status = 'failed', units_total = ?, error = ? "
        "WHERE run_id = ?",
        (utcnow(), run.units_total, f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_CHARS], run.run_id),
    )
