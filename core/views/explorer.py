"""Meter explorer: one meter's readings and issues over a time window, scoped to the user.

The reads themselves are :mod:`core.scoped` (shared with the bills page and the sandbox); this
module adds the page's own: the default window, where an issue's deep link opens, how a meter
reads, its issue table, the edits made in it and what saving them says, the chart and links to
the sandbox. Every function checks the meter (or issue) against the user's granted accounts
first; a meter or issue outside them is reported exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import altair as alt
import pandas as pd

from core.auth import User
from core.db.base import Database
from core.markup import md
from core.palette import SEVERITY_COLOURS, SOURCE_COLOURS
from core.scoped import (  # the page's own reads build on these; the page calls them too
    MAX_WINDOW_DAYS,
    PICKER_LIMIT,
    NotFoundError,
    Window,
    WindowError,
    issues,
    meter,
    meters_for,
    readings,
    window,
)
from core.triage import BulkResult, Change

__all__ = [
    "MAX_WINDOW_DAYS", "NO_METERS", "PICKER_LIMIT", "NotFoundError", "Window", "WindowError",
    "byline", "changes", "chart", "default_window", "issue_target", "issues", "meter",
    "meters_for", "picker_labels", "readings", "sandbox_links", "save_messages", "table", "window",
]  # fmt: skip

NO_METERS = (
    "No meters in the warehouse yet: import some (`python -m jobs import`) or seed the demo "
    "(`python -m jobs demo`)."
)
MARGIN_BEFORE = pd.Timedelta(days=2)  # context shown before an issue (yesterday's normal shape)
MARGIN_AFTER = pd.Timedelta(days=1)
_DAY = pd.Timedelta(days=1)


def _span(db: Database, meter_id: str) -> Window | None:
    sql = "SELECT MIN(ts), MAX(ts) FROM readings WHERE meter_id = ?"  # first and last reading
    first, last = db.fetch_all(sql, [meter_id])[0]
    return None if first is None else (pd.Timestamp(first), pd.Timestamp(last))


def default_window(db: Database, user: User, meter_id: str, days: int = 7) -> Window:
    """The last ``days`` whole UTC days with data for the meter (up to today without data).

    Raises ``NotFoundError`` as ``meter``.
    """
    meter(db, user, meter_id)
    span = _span(db, meter_id)
    end = (span[1] if span else pd.Timestamp.now("UTC").tz_localize(None)).floor("D") + _DAY
    return end - pd.Timedelta(days=days), end


def issue_target(db: Database, user: User, issue_id: str) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    """Where a deep link to an issue opens: ``(meter_id, start, end)``.

    The window runs from ``MARGIN_BEFORE`` before the issue to ``MARGIN_AFTER`` after it in
    whole UTC days, clipped to the days holding the meter's data and to the last
    ``MAX_WINDOW_DAYS`` days of a longer issue. Raises ``NotFoundError`` ("Issue X does not
    exist") if unknown or outside the user's accounts (its own, or its meter's now), or if the
    issue is not about a meter.
    """
    scope, params = user.scope("account_id")
    rows = db.fetch_all(
        f"SELECT meter_id, start_ts, end_ts FROM dq_issues WHERE issue_id = ? AND {scope}",
        [issue_id, *params],
    )
    if not rows:
        raise NotFoundError(f"Issue {issue_id} does not exist")
    meter_id, start_ts, end_ts = rows[0]
    if meter_id is None or start_ts is None:
        raise NotFoundError(f"Issue {issue_id} is not about a meter; open it on its own page")
    try:
        meter(db, user, meter_id)
    except NotFoundError:  # the meter moved to an account outside the user's: say nothing of it
        raise NotFoundError(f"Issue {issue_id} does not exist") from None
    start = (pd.Timestamp(start_ts) - MARGIN_BEFORE).floor("D")
    end = (pd.Timestamp(end_ts if end_ts is not None else start_ts) + MARGIN_AFTER).ceil("D")
    span = _span(db, meter_id)
    if span is not None:
        clipped = max(start, span[0].floor("D")), min(end, span[1].floor("D") + _DAY)
        if clipped[0] < clipped[1]:  # an issue outside the data keeps its own window
            start, end = clipped
    start = max(start, end - pd.Timedelta(days=MAX_WINDOW_DAYS))
    return meter_id, start, end


# How the page shows a meter, building or account: name(kind, id, name=None) -> text; its name,
# or a pseudonym in screen-share mode (the page's, from core.ui).
Namer = Callable[..., str]


def picker_labels(options: pd.DataFrame, name: Namer) -> dict[str, str]:
    """Meter id -> its label in the meter picker: "meter · kind · building · account"."""
    return {
        r.meter_id: f"{name('Meter', r.meter_id)} · {r.kind} · "
        f"{name('Building', r.building_id, r.building_name)} · "
        f"{name('Account', r.account_id, r.account_name)}"
        for r in options.itertuples()
    }


def byline(m: dict[str, Any], name: Namer) -> str:
    """The line under a meter's heading (Markdown; names as text): kind, unit, where, zone."""
    return (
        f"{md(m['kind'].capitalize())} in {md(m['unit'])} every {m['interval_minutes']} min · "
        f"{md(name('Building', m['building_id'], m['building_name']))} · "
        f"{md(name('Account', m['account_id'], m['account_name']))} · local time zone "
        f"{md(m['timezone'])}; times here are UTC"
    )


def table(
    view: pd.DataFrame, meter_id: str, highlight: str | None, links: bool = True
) -> pd.DataFrame:
    """The issue table's rows from ``view`` (``issues``, masked as shown), by issue id.

    Indexed by issue id, the editor's identity follows the rows, so edits never carry over to
    another meter's table with the same number of rows. A ``linked`` column comes first when
    the linked issue ``highlight`` is among them; ``sandbox`` links are added unless ``links``
    is False (a link carries the real meter id: none in screen-share mode).
    """
    out = view.set_index("issue_id")
    if highlight in out.index:
        out.insert(0, "linked", out.index == highlight)
    if links:
        out["sandbox"] = sandbox_links(view, meter_id).to_numpy()
    return out


def save_messages(result: BulkResult) -> list[tuple[str, str]]:
    """What a save of the issue table says, as (level, text): saved, each refusal, a way out."""
    out = [("error", reason) for _, reason in result.refused]
    if result.saved:
        out.insert(0, ("success", f"Saved {len(result.saved)} change(s)."))
    if result.refused:
        out.append(("info", "Undo a refused edit in the table (or reload) and edit again."))
    return out


def changes(loaded: pd.DataFrame, edited: pd.DataFrame, seen_at: dict[str, Any]) -> list[Change]:
    """Triage changes for the rows whose ``status`` or ``status_note`` the editor changed.

    ``loaded`` and ``edited`` hold the same rows in the same order. ``seen_at`` maps issue id
    -> the ``status_at`` seen when the user began editing that row, updated in place (an
    unedited row takes the loaded value); it becomes ``expected_status_at``, so
    ``core.triage.apply`` refuses an edit of an issue someone else changed meanwhile.
    """
    out = []
    for old, new in zip(loaded.itertuples(), edited.itertuples(), strict=True):
        new_note = new.status_note if isinstance(new.status_note, str) and new.status_note else None
        old_note = old.status_note if isinstance(old.status_note, str) and old.status_note else None
        if (old.status, old_note) == (new.status, new_note):
            seen_at[old.issue_id] = old.status_at
            continue
        at = pd.Timestamp(seen_at.setdefault(old.issue_id, old.status_at)).to_pydatetime()
        out.append(Change(old.issue_id, new.status, new_note, at))
    return out


def _gaps(points: pd.DataFrame) -> pd.DataFrame:
    """``points`` with a NaN row per missing slot of each source, so the line breaks there."""
    parts = [points.iloc[:0]]
    for source, g in points.groupby("source"):
        step = g.ts.diff().min()  # the meter's interval
        grid = g.ts if pd.isna(step) else pd.date_range(g.ts.iloc[0], g.ts.iloc[-1], freq=step)
        parts.append(g.set_index("ts").reindex(grid).rename_axis("ts").reset_index())
        parts[-1]["source"] = source
    return pd.concat(parts, ignore_index=True)


def chart(
    points: pd.DataFrame, found: pd.DataFrame, unit: str, highlight: str | None = None
) -> alt.LayerChart:
    """Readings as lines (raw dashed over platform) over issue bands coloured by severity.

    Only times, values and issue attributes go into the chart data (no meter, building or
    account names: safe in screen-share mode). Times are drawn in UTC; missing data is a gap.
    """
    utc, fmt = alt.Scale(type="utc"), "%Y-%m-%d %H:%M"
    sources = [s for s in SOURCE_COLOURS if s in set(points.source)]
    line = (
        alt.Chart(_gaps(points[["ts", "value", "source"]]))
        .mark_line(strokeWidth=1.5, interpolate="step-after", invalid="break-paths-filter-domains")
        .encode(
            x=alt.X("ts:T", title="Time (UTC)", scale=utc),
            y=alt.Y("value:Q", title=f"{unit} per interval"),
            color=alt.Color(
                "source:N",
                title="Source",
                scale=alt.Scale(domain=sources, range=[SOURCE_COLOURS[s] for s in sources]),
            ),
            strokeDash=alt.StrokeDash(
                "source:N",
                title="Source",
                scale=alt.Scale(
                    domain=sources, range=[[1, 0] if s == "platform" else [5, 3] for s in sources]
                ),
            ),
            tooltip=[
                alt.Tooltip("ts:T", title="UTC", format=fmt, formatType="utc"),
                "source:N",
                alt.Tooltip("value:Q", format=",.2f"),
            ],
        )
    )
    if found.empty:
        return alt.layer(line)
    bands = found[["detector", "severity", "magnitude", "status", "start_ts"]].assign(
        end_ts=found.end_ts.fillna(found.start_ts + pd.Timedelta(minutes=15)),
        linked=found.issue_id == highlight,
    )
    bands["start"], bands["end"] = bands.start_ts.dt.strftime(fmt), bands.end_ts.dt.strftime(fmt)
    linked = alt.datum.linked
    rect = (
        alt.Chart(bands)
        .mark_rect()
        .encode(
            x=alt.X("start_ts:T", scale=utc),
            x2="end_ts:T",
            color=alt.Color(
                "severity:N",
                title="Issue severity",
                scale=alt.Scale(
                    domain=list(SEVERITY_COLOURS), range=list(SEVERITY_COLOURS.values())
                ),
            ),
            opacity=alt.when(linked).then(alt.value(0.35)).otherwise(alt.value(0.2)),
            stroke=alt.when(linked).then(alt.value("#222222")).otherwise(alt.value(None)),
            strokeWidth=alt.when(linked).then(alt.value(2)).otherwise(alt.value(0)),
            tooltip=[
                "detector:N",
                "severity:N",
                alt.Tooltip("magnitude:Q", format=",.2f"),
                "status:N",
                alt.Tooltip("start:N", title="start (UTC)"),
                alt.Tooltip("end:N", title="end (UTC)"),
            ],
        )
    )
    return alt.layer(rect, line).resolve_scale(color="independent", strokeDash="independent")


def sandbox_links(found: pd.DataFrame, meter_id: str) -> pd.Series:
    """``sandbox?model=<detector>&meter=<id>&day=<last day>`` for each issue of ``found``.

    The sandbox's detector models are keyed by detector name; the day is the issue's last UTC
    day, so the sandbox's 30-day window ends on it.
    """
    last = (pd.to_datetime(found["end_ts"]) - pd.Timedelta(seconds=1)).dt.strftime("%Y-%m-%d")
    query = [
        urlencode({"model": d, "meter": meter_id, "day": day})
        for d, day in zip(found["detector"], last, strict=True)
    ]
    return pd.Series(["sandbox?" + q for q in query], index=found.index)
