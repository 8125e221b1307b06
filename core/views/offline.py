"""Offline devices: meters that stopped reporting and were still silent at the last DQ run.

Definition. Let ``as_of`` be the end of the latest scored day (the last ``dq_meter_days.day``
within the user's accounts, plus one day; the DQ job's window ends there). A meter is
*offline now* when it has an ``offline`` issue (kind ``meter``) that

- is ``open`` or ``acknowledged`` (a resolved, ignored or not-an-issue one is done),
- ends at ``as_of`` (the offline detector only flags trailing gaps, so an issue ending earlier
  is a gap the meter has since recovered from),
- belongs to an eligible meter (``dq_enabled``, account active, building not archived), and
- lies in the user's granted accounts (``User.scope``), and its meter is still in the issue's
  account (a meter moved to another account is not listed under its old one).

A meter silent in both feeds has one issue per ``source`` (platform, raw): two rows, one
meter in the figures (``counts``).

It is *dormant* when it has been offline for more than ``DQ_DORMANT_DAYS`` days at ``as_of``
(read at call time); dormant meters are listed apart so the daily list stays short.
``hours_offline`` is measured from the issue's ``start_ts`` to ``as_of``; ``last_value`` and
``last_ts`` are the meter's last reading (same source as the issue) before ``start_ts``
(``last_reading`` is the same as display text, e.g. ``3.2 kWh``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from core import config, csvsafe
from core.auth import User
from core.db.base import Database
from core.triage import BulkResult, Change, apply

EDITABLE = ("owner", "next_step")  # the follow-up fields people edit on this page
SELECT = "select"  # the check-box column the page adds for "Mark contacted" / "Mark resolved"
CONTACTED = ("acknowledged", "contacted")  # (status, note) of "Mark contacted"
RESOLVED = ("resolved", "resolved on the Offline devices page")
COLUMNS = [
    "issue_id", "meter_id", "kind", "unit", "building_id", "building_name", "account_id",
    "account_name", "source", "start_ts", "hours_offline", "last_value", "last_ts",
    "last_reading", "owner",
    "next_step", "status", "status_note", "status_at", "severity",
]  # fmt: skip
CSV_COLUMNS = [c for c in COLUMNS if c not in ("issue_id", "status_at", "last_reading")] + [
    "dormant"
]
ARCHIVE_HINT = (
    "An admin can archive a meter for good: set `dq_enabled=false` on it (or "
    "`building_archived=true` on its building) in the meters file and re-import it: "
    "`python -m jobs import --meters meters.csv`. The next DQ run stops scoring it."
)

_LAST_DAY_SQL = "SELECT max(day) FROM dq_meter_days WHERE {scope}"

# One query: the offline issues, then the last reading before each start in one aggregate
# over the listed meters only (no per-meter loop, no scan of other meters' readings).
_LIST_SQL = """
WITH offline AS (
    SELECT i.issue_id, i.meter_id, m.kind, m.unit, i.building_id, m.building_name,
           i.account_id, m.account_name, i.source, i.start_ts, i.owner, i.next_step,
           i.status, i.status_note, i.status_at, i.severity
    FROM dq_issues i JOIN meters m ON m.meter_id = i.meter_id AND m.account_id = i.account_id
    WHERE i.kind = 'meter' AND i.detector = 'offline'
      AND i.status IN ('open', 'acknowledged') AND i.end_ts = ?
      AND m.dq_enabled AND m.account_active AND NOT m.building_archived AND {scope}
),
last_seen AS (
    SELECT o.issue_id, max(r.ts) AS last_ts
    FROM offline o JOIN readings r
      ON r.meter_id = o.meter_id AND r.source = o.source AND r.ts < o.start_ts
    GROUP BY o.issue_id
)
SELECT o.*, l.last_ts, r.value AS last_value
FROM offline o
LEFT JOIN last_seen l ON l.issue_id = o.issue_id
LEFT JOIN readings r ON r.meter_id = o.meter_id AND r.source = o.source AND r.ts = l.last_ts
"""


@dataclass(frozen=True)
class OfflineDevices:
    """What the Offline devices page shows.

    Attributes
    ----------
    as_of : pd.Timestamp or None
        End of the latest scored day (naive UTC); None when nothing was scored yet.
    now : pd.DataFrame
        Offline meters that are not dormant (``COLUMNS``), uncontacted first, newest first.
    dormant : pd.DataFrame
        Offline for more than ``dormant_days`` days (``COLUMNS``), longest first.
    dormant_days : int
        The ``DQ_DORMANT_DAYS`` setting used.
    """

    as_of: pd.Timestamp | None
    now: pd.DataFrame
    dormant: pd.DataFrame
    dormant_days: int


@dataclass(frozen=True)
class Counts:
    """The page's figures, in meters: one silent in both feeds (two issues, two rows) is one."""

    offline_now: int
    not_contacted: int  # meters with an offline issue nobody acknowledged yet
    went_offline: int  # meters that went silent on the given day
    dormant: int


def counts(found: OfflineDevices, day: object) -> Counts:
    """Meters offline now, not contacted yet, gone silent on UTC ``day``, and dormant.

    A meter whose platform readings and raw packets both stopped has an offline issue per feed
    (``source``), listed as two rows: it counts once.
    """
    now = found.now
    started = pd.to_datetime(now["start_ts"]) >= pd.Timestamp(day)
    return Counts(
        offline_now=now["meter_id"].nunique(),
        not_contacted=now.loc[now["status"] == "open", "meter_id"].nunique(),
        went_offline=now.loc[started, "meter_id"].nunique(),
        dormant=found.dormant["meter_id"].nunique(),
    )


def as_of(db: Database, user: User) -> pd.Timestamp | None:
    """End of the latest scored day within the user's accounts, or None."""
    where, params = user.scope("account_id")
    day = db.fetch_value(_LAST_DAY_SQL.format(scope=where), params)
    return None if day is None or pd.isna(day) else pd.Timestamp(day) + pd.Timedelta(days=1)


def offline_devices(db: Database, user: User) -> OfflineDevices:
    """Meters offline now for ``user``, split into the daily list and the dormant ones."""
    dormant_days = config.get("DQ_DORMANT_DAYS")
    end = as_of(db, user)
    if end is None:
        empty = pd.DataFrame(columns=COLUMNS)
        return OfflineDevices(None, empty, empty.copy(), dormant_days)
    where, params = user.scope("i.account_id")
    df = db.fetch_df(_LIST_SQL.format(scope=where), [end.to_pydatetime(), *params])
    # Exact duplicate readings are dropped on import, but be safe: one row per issue.
    df = df.drop_duplicates("issue_id").reset_index(drop=True)
    for name, key in (("building_name", "building_id"), ("account_name", "account_id")):
        df[name] = df[name].fillna(df[key])  # names are optional in the meters import
    seconds = (end - pd.to_datetime(df["start_ts"])).dt.total_seconds()
    df["hours_offline"] = (seconds / 3600).round(1)
    df["last_reading"] = [  # for display: "3.2 kWh"; "none" for a meter that never reported
        "none" if pd.isna(v) else f"{v:g} {u}"
        for v, u in zip(df["last_value"], df["unit"], strict=True)
    ]
    df = df[COLUMNS]
    is_dormant = df["hours_offline"] > dormant_days * 24
    now = df[~is_dormant].sort_values(
        ["status", "start_ts", "meter_id"],
        ascending=[False, False, True],  # open before ack.
    )
    dormant = df[is_dormant].sort_values(["start_ts", "meter_id"])
    return OfflineDevices(
        end, now.reset_index(drop=True), dormant.reset_index(drop=True), dormant_days
    )


FEED_HELP = "platform: the readings the platform stores; raw: the packets the devices sent"


def figures(found: OfflineDevices, day: date) -> list[tuple[str, int]]:
    """The page's headline counts as (label, value); ``day`` is the last scored day.

    Offline now, not contacted yet (still open), went offline on ``day``, dormant: meters,
    not rows (:func:`counts`).
    """
    c = counts(found, day)
    return [
        ("Offline now", c.offline_now),
        ("Not contacted yet", c.not_contacted),
        (f"Went offline on {day}", c.went_offline),
        (f"Dormant (> {found.dormant_days} days)", c.dormant),
    ]


def edits_by_issue(
    shown: pd.DataFrame, edited_rows: dict[Any, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The editor's ``edited_rows`` keyed by issue id instead of row position.

    ``st.data_editor`` reports edits by row position, so the positions are read against
    ``shown``: the very frame the editor displayed (the page keeps it while edits are pending).
    From here on every edit is keyed by ``issue_id`` and can never slide onto another meter when
    the list is reordered. Positions outside ``shown`` are dropped.

    Parameters
    ----------
    shown : pd.DataFrame
        The rows the editor showed, in its order (must have ``issue_id``).
    edited_rows : dict
        ``{row position: {column: new value}}`` as ``st.data_editor`` keeps it.
    """
    ids = list(shown["issue_id"])
    out: dict[str, dict[str, Any]] = {}
    for pos, edits in sorted((int(k), v) for k, v in edited_rows.items()):
        if 0 <= pos < len(ids):
            out[ids[pos]] = dict(edits)
    return out


def changes(
    rows: pd.DataFrame,
    edits: dict[str, dict[str, Any]],
    status: str | None = None,
    note: str | None = None,
) -> list[Change]:
    """Triage changes from edits keyed by issue id (see :func:`edits_by_issue`).

    Parameters
    ----------
    rows : pd.DataFrame
        The list as loaded (``COLUMNS``); each edit is matched to its row by ``issue_id``,
        never by position. An edit whose issue is not in ``rows`` is left out.
    edits : dict
        ``{issue_id: {column: new value}}``.
    status, note : str, optional
        When given, rows whose ``SELECT`` box is ticked move to ``status`` with ``note``.

    Returns
    -------
    list of Change
        One per row with an owner/next-step edit or a ticked box, in the order of ``rows``;
        each carries the loaded ``status_at`` so a row someone else changed meanwhile is
        refused, and keeps the current status and note unless it is being marked.
    """
    out = []
    for row in rows[rows["issue_id"].isin(list(edits))].to_dict("records"):
        edit = edits[row["issue_id"]]
        follow_up = {c: _text(edit[c]) for c in EDITABLE if c in edit}
        marked = status is not None and bool(edit.get(SELECT))
        if not follow_up and not marked:
            continue
        out.append(
            Change(
                issue_id=row["issue_id"],
                status=status if marked else row["status"],
                note=note if marked else _none(row["status_note"]),
                expected_status_at=pd.Timestamp(row["status_at"]).to_pydatetime(),
                **follow_up,
            )
        )
    return out


def save(db: Database, user: User, changes: list[Change]) -> BulkResult:
    """Apply ``changes`` through ``core.triage`` (scope, role, transitions, stale edits)."""
    return apply(db, user, changes)


def export_csv(db: Database, user: User, mask: Callable[[pd.DataFrame], pd.DataFrame]) -> bytes:
    """Both lists as ``user`` sees them now (built when the download is clicked), masked."""
    found = offline_devices(db, user)
    return csv_bytes(mask(found.now), mask(found.dormant))


def csv_bytes(now: pd.DataFrame, dormant: pd.DataFrame) -> bytes:
    """Both lists as one CSV (``CSV_COLUMNS``; mask the frames first in screen-share mode)."""
    both = pd.concat([now.assign(dormant=False), dormant.assign(dormant=True)], ignore_index=True)
    return csvsafe.to_csv_bytes(both.reindex(columns=CSV_COLUMNS))


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _text(value: object) -> str:
    """An edited cell as stored text: a cleared cell is ``""`` (None would mean unchanged)."""
    return "" if _missing(value) else str(value).strip()


def _none(value: object) -> str | None:
    return None if _missing(value) else str(value)
