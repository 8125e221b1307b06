"""How the Projects page reads: its notes, a project's heading and picker label, the history.

No Streamlit here: the page shows what these return. Names, ids and months from data go into
Markdown only through :func:`core.markup.md`.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from core.markup import md
from core.views.projects.board import STATUS_LABELS, TYPE_LABELS

NO_PROJECTS = (
    "No projects yet. The monthly morning-overshoot scan creates one per building whose "
    "mornings overshoot its usual demand: run `python -m jobs run overshoot --month "
    "YYYY-MM` (the scheduler runs it monthly), then reload this page."
)
INTRO = (
    "Morning demand overshoots across your accounts, largest estimated demand charge "
    "first. Pick a project to see the evidence and move it along."
)
NO_MATCH = "No projects match these filters. Clear a filter, add statuses or show void ones."
NO_FAULT = "This month was scanned again and no longer shows a fault for this building."
PROFILES_NOTE = (
    "Red: overshoot mornings · blue: counted days (complete weekdays without a blocking "
    "data-quality issue) · grey: weekends and days that do not count. Shaded: the morning "
    "window searched for the startup peak, and the plateau window of normal demand."
)
PEAKS_NOTE = (
    "The month's highest peak sets the demand charge: an overshoot at or above the "
    "dashed line is what raises it."
)
STARTUP_NOTE = (
    "Startup: the first morning slot above halfway between night and plateau demand. "
    "Equipment starting together, or earlier than usual, often causes the overshoot."
)
VOID_NOTE = (
    "Void projects are read-only; the scan brings this one back as a draft if its "
    "building overshoots again."
)
NOTE_HINT = "What you found or did (required for Won't do and for reopening)"


def pick_labels(table: pd.DataFrame) -> dict[str, str]:
    """Project id -> its label in the project picker: building, month and cost.

    ``table`` is :func:`core.views.projects.board.table`'s (masked) rows. No status in the
    labels: a picked option keeps its label in the browser while it stays picked.
    """
    return {pid: f"{r.building} · {r.month} · ${r.cost:,.0f}/month" for pid, r in table.iterrows()}


def heading(shown: pd.Series, facts: pd.Series) -> str:
    """The heading, e.g. "Building · Morning overshoot · 2026-03"; ``shown``: the table row."""
    kind = TYPE_LABELS.get(facts["type"], facts["type"])
    return f"{md(shown['building'])} · {md(kind)} · {md(facts['month'])}"


def byline(shown: pd.Series, facts: pd.Series, timezone: str) -> str:
    """The line under the heading: account, status, void or not, the building's time zone."""
    return (
        f"{md(shown['account'])} · status **{md(shown['status'])}**"
        + (" · void: no overshoot in a later scan" if facts["void"] else "")
        + f" · times are local to the building ({md(timezone)})"
    )


def moved(building: str, to: str, statuses: Collection[str]) -> str:
    """What a status change says; ``statuses`` is the list's status filter (empty: all)."""
    text = f"Moved {building} to {STATUS_LABELS[to]}."
    if statuses and to not in statuses:
        text += " It no longer matches the status filter, so it left the list."
    return text


def history(events: pd.DataFrame) -> pd.DataFrame:
    """:func:`core.views.projects.board.history` with statuses by their labels ("—": none)."""
    out = events.copy()
    for column in ("from_status", "to_status"):
        out[column] = ["—" if pd.isna(s) else STATUS_LABELS.get(s, s) for s in out[column]]
    return out
