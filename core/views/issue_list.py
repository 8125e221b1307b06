"""What the issue lists share: filter validation, a scoped WHERE builder and the paged query.

Used by the Issues page (meter issues) and the Utility bills page (bill issues); both read
``dq_issues`` as alias ``i``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd

from core.auth import User
from core.db.base import Transaction
from core.errors import DQHubError
from core.scoped import meter_in_scope
from core.triage import STATUSES

SEVERITIES = ("high", "medium", "low")  # sort order: most urgent first
# Severity rank for ORDER BY; unknown severities sort last. A constant: no user value in it.
RANK_SQL = "CASE i.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END"


class FilterError(DQHubError):
    """Filters or paging that cannot be applied; the message says which value and why."""


def tidy(filters: object, range_name: str) -> None:
    """Validate a frozen filters dataclass in place: lists become tuples, then the checks.

    Raises
    ------
    FilterError
        For a backwards ``start``/``end`` range (named ``range_name``) or an unknown status or
        severity.
    """
    for f in fields(filters):  # type: ignore[arg-type]
        value = getattr(filters, f.name)
        if isinstance(value, list | set | frozenset):
            object.__setattr__(filters, f.name, tuple(value))
    start, end = getattr(filters, "start", None), getattr(filters, "end", None)
    if start and end and start > end:
        raise FilterError(
            f"The {range_name} is backwards: from {start:%Y-%m-%d} is after "
            f"to {end:%Y-%m-%d}. Pick a start on or before the end."
        )
    for name, allowed in (("statuses", STATUSES), ("severities", SEVERITIES)):
        unknown = sorted(set(getattr(filters, name)) - set(allowed))
        if unknown:
            raise FilterError(f"Unknown {name} {', '.join(unknown)}; expected {', '.join(allowed)}")


class Where:
    """A WHERE clause over ``dq_issues i`` of one kind, limited to the user's accounts.

    Both sides are scoped: the issue's account, and its meter's account now
    (:func:`meter_in_scope`).
    """

    def __init__(self, user: User, kind: str) -> None:
        scope, params = user.scope("i.account_id")
        meters, meter_params = meter_in_scope(user)
        self.clauses = ["i.kind = ?", scope, meters]
        self.params = [kind, *params, *meter_params]

    def one_of(self, sql: str, values: Iterable[Any]) -> None:
        """Add ``sql`` (with ``{marks}`` for the placeholders) when ``values`` is not empty."""
        values = list(values)
        if values:
            self.clauses.append(sql.format(marks=", ".join("?" for _ in values)))
            self.params.extend(values)

    def overlaps(self, start: date | None, end: date | None) -> None:
        """Keep rows whose ``[start_ts, end_ts)`` overlaps the days ``start``..``end``."""
        if end:  # starts before the day after `end`
            self.clauses.append("i.start_ts < ?")
            self.params.append(datetime.combine(end + timedelta(days=1), time()))
        if start:  # still running at the start of `start` (no end = still running)
            self.clauses.append("(i.end_ts IS NULL OR i.end_ts > ?)")
            self.params.append(datetime.combine(start, time()))

    def sql(self) -> tuple[str, list[Any]]:
        """The clause text and its parameters."""
        return " AND ".join(self.clauses), self.params


def check_page(page: int, page_size: int) -> None:
    """Refuse a page or page size below 1 with a ``FilterError``."""
    if page < 1 or page_size < 1:
        raise FilterError(f"Page {page} of size {page_size}: both must be 1 or more")


ORDER = "sev_rank, start_ts NULLS LAST, issue_id"  # most severe, oldest first; id breaks ties
_REVERSED = "sev_rank DESC, start_ts DESC NULLS FIRST, issue_id DESC"
# My queue: issues assigned to me first, then the unassigned ones. Within the queue's WHERE
# (assigned to me or to nobody) a set assignee is mine: no user value in the SQL text.
QUEUE_RANK = "CASE WHEN i.assignee IS NULL THEN 1 ELSE 0 END"


def page_of(
    tx: Transaction,
    where: tuple[str, list[Any]],
    select: str,
    joined: str,
    page: int,
    page_size: int,
    join_params: list[Any] | None = None,
    first: str | None = None,
) -> tuple[pd.DataFrame, int]:
    """One page of an issue list and the number of matches: the query both lists run.

    ``where`` is a :meth:`Where.sql` clause over ``dq_issues i`` and its parameters.

    The page is sorted (``ORDER``) and cut on ``dq_issues i`` alone; only its rows are then
    joined (``joined``: ``SELECT p.*, ... FROM <page> p <joins>`` with ``{page}`` where the page
    goes). A page in the back half is cut from the reversed order, so the last page costs what
    the first does. ``first``: a constant SQL expression sorted on before ``ORDER`` (e.g.
    ``QUEUE_RANK``).

    Raises
    ------
    FilterError
        If ``page`` or ``page_size`` is below 1.
    """
    check_page(page, page_size)  # OFFSET/LIMIT would fail or mean nothing
    clause, params = where
    total = int(tx.fetch_all(f"SELECT count(*) FROM dq_issues i WHERE {clause}", params)[0][0])
    offset = (page - 1) * page_size
    limit = min(page_size, max(total - offset, 0))
    after = total - offset - limit  # matching rows after this page
    ranks = f"{RANK_SQL} AS sev_rank" + (f", {first} AS first_rank" if first else "")
    ahead, behind = ("first_rank, ", "first_rank DESC, ") if first else ("", "")
    order = ahead + ORDER
    if limit and after < offset:
        order, offset = behind + _REVERSED, after
    cut = (
        f"(SELECT {select}, {ranks} FROM dq_issues i WHERE {clause} "
        f"ORDER BY {order} LIMIT ? OFFSET ?)"
    )
    sql = joined.format(page=cut) + f" ORDER BY {ahead}{ORDER}"
    return tx.fetch_df(sql, [*params, limit, offset, *(join_params or [])]), total
