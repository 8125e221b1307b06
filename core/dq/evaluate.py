"""Per-detector precision from people's verdicts: which detector wastes the team's time.

An issue a person marked is a label: ``acknowledged``, ``resolved`` and ``ignored`` confirm a
real fault, ``not_an_issue`` refutes it. Precision = confirmed / (confirmed + not_an_issue)
over the meter issues of the last ``days`` days (an issue counts when it reaches into the
window) whose status a person set. Statuses the system set (a rerun's "no longer detected",
post-processing's short flatlines, mutes) are not verdicts; issues still open are counted
apart as unjudged.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from core.auth import User
from core.db.base import Database

CONFIRMED = ("acknowledged", "resolved", "ignored")
REFUTED = "not_an_issue"
SYSTEM = "system"
COLUMNS = ["detector", "judged", "confirmed", "not_an_issue", "precision", "unjudged"]


def precision(db: Database, day: date, days: int, user: User | None = None) -> pd.DataFrame:
    """One row per detector with a verdict or an open issue in ``(day - days, day]``.

    Parameters
    ----------
    day : date
        The last UTC day of the window (inclusive).
    days : int
        Window length in days.
    user : User, optional
        Limit to the user's accounts (None: every account, for the CLI).

    Returns
    -------
    pd.DataFrame
        ``COLUMNS``: verdicts by people, their split, ``precision`` (NaN without a verdict)
        and ``unjudged`` (still open), sorted worst precision first.
    """
    end = pd.Timestamp(day) + pd.Timedelta(days=1)
    start = end - pd.Timedelta(days=days)
    where, params = user.scope("account_id") if user is not None else ("TRUE", [])
    marks = ", ".join("?" for _ in CONFIRMED)
    rows = db.fetch_df(
        "SELECT detector, "
        f"sum(CASE WHEN status IN ({marks}) AND status_by <> ? THEN 1 ELSE 0 END) AS confirmed, "
        "sum(CASE WHEN status = ? AND status_by <> ? THEN 1 ELSE 0 END) AS not_an_issue, "
        "sum(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS unjudged "
        "FROM dq_issues WHERE kind = 'meter' AND end_ts > ? AND start_ts < ? "
        f"AND {where} GROUP BY detector",
        [*CONFIRMED, SYSTEM, REFUTED, SYSTEM, start.to_pydatetime(), end.to_pydatetime(),
         *params],
    )  # fmt: skip
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    for col in ("confirmed", "not_an_issue", "unjudged"):
        rows[col] = rows[col].fillna(0).astype(int)
    rows = rows[(rows["confirmed"] + rows["not_an_issue"] + rows["unjudged"]) > 0]
    rows["judged"] = rows["confirmed"] + rows["not_an_issue"]
    rows["precision"] = rows["confirmed"] / rows["judged"].where(rows["judged"] > 0)
    rows = rows.sort_values(["precision", "judged"], ascending=[True, False], na_position="last")
    return rows[COLUMNS].reset_index(drop=True)


def window_text(day: date, days: int) -> str:
    """``2026-02-09 .. 2026-03-10`` for headings."""
    return f"{day - timedelta(days=days - 1)} .. {day}"
