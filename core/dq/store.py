"""Store DQ results: upsert issues keeping people's statuses, replace the day's meter scores."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pandas as pd

from core import issue_ids, owners
from core.db.base import Transaction
from core.runs import Run, utcnow

ISSUE_COLUMNS = [
    "issue_id",
    "kind",
    "detector",
    "account_id",
    "building_id",
    "meter_id",
    "bill_id",
    "source",
    "start_ts",
    "end_ts",
    "severity",
    "magnitude",
    "details",
    "first_seen_run",
    "last_seen_run",
    "status",
    "status_by",
    "status_at",
    "status_note",
]
FOLLOW_UP_COLUMNS = ["owner", "next_step"]  # set by people (offline devices); a rerun keeps them
# Who holds the issue: a new issue takes its default owner (core.owners); a rerun keeps them.
ASSIGN_COLUMNS = ["assignee", "assigned_by", "assigned_at"]
# What a job decides about an issue; the run and status bookkeeping columns are added here.
_FOUND_COLUMNS = [
    c
    for c in ISSUE_COLUMNS
    if c not in ("first_seen_run", "last_seen_run", "status_by", "status_at")
]
SYSTEM = "system"
_ID_BATCH = 500  # ids per IN (...) list: well under every engine's parameter limit


def _keyed(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:20]


def issue_id(meter_id: str, detector: str, source: str, start_ts: pd.Timestamp, key: bytes) -> str:
    """Stable id: the same meter, detector, source and start give the same id on every run.

    Keyed with the warehouse's ``key`` (:func:`core.issue_ids.read_key`): the id in a link
    cannot be computed, or checked, from a meter id and a time.
    """
    return _keyed(key, f"{meter_id}|{detector}|{source}|{pd.Timestamp(start_ts).isoformat()}")


def bill_issue_id(check: str, bill_id: object, meter_id: object, key: bytes) -> str:
    """Stable id of a bill finding: same check and bill (or meter, when no bill) -> same id.

    Keyed like :func:`issue_id`.
    """
    unit = bill_id if isinstance(bill_id, str) and bill_id else meter_id
    return _keyed(key, f"bill|{check}|{unit}")


def _batches(ids: list[str]) -> Iterator[tuple[list[str], str]]:
    """Yield ``(batch, "?, ?, ...")`` pairs for ``IN (...)`` lists of at most _ID_BATCH ids."""
    for i in range(0, len(ids), _ID_BATCH):
        batch = ids[i : i + _ID_BATCH]
        yield batch, ", ".join("?" for _ in batch)


def _in_batches(
    tx: Transaction, sql: str, ids: list[str], prefix: list[object] | None = None
) -> pd.DataFrame:
    frames = [
        tx.fetch_df(sql.format(marks=marks), [*(prefix or []), *batch])
        for batch, marks in _batches(ids)
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def continue_clipped(tx: Transaction, events: pd.DataFrame) -> pd.DataFrame:
    """Give an event that starts at the window's first slot the start of the issue it continues.

    A meter offline for weeks is clipped at the history window's start, which moves every day;
    adopting the start of the stored issue of the same meter/detector/source that reaches the
    window keeps its issue_id stable instead of opening a new issue daily.
    """
    clipped = events[events["clipped_start"]]
    if clipped.empty:
        return events
    stored = _in_batches(
        tx,
        "SELECT meter_id, detector, source, start_ts, end_ts FROM dq_issues "
        "WHERE kind = 'meter' AND meter_id IN ({marks})",
        sorted(clipped["meter_id"].unique()),
    )
    if stored.empty:
        return events
    merged = clipped.reset_index().merge(
        stored, on=["meter_id", "detector", "source"], suffixes=("", "_stored")
    )
    merged = merged[
        (merged["start_ts_stored"] <= merged["start_ts"])
        & (merged["end_ts_stored"] >= merged["start_ts"])
    ]
    earliest = merged.groupby("index")["start_ts_stored"].min()
    out = events.copy()
    out.loc[earliest.index, "start_ts"] = earliest.to_numpy()
    return out


def upsert_issues(
    tx: Transaction, events: pd.DataFrame, meters: pd.DataFrame, run: Run
) -> pd.DataFrame:
    """Write meter events as ``dq_issues`` rows (kind ``meter``) with ``upsert_rows``' rules."""
    if events.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    ev = events.merge(meters[["meter_id", "account_id", "building_id"]], on="meter_id", how="left")
    key = issue_ids.read_key(tx)
    ev["issue_id"] = [
        issue_id(m, d, s, t, key)
        for m, d, s, t in zip(ev.meter_id, ev.detector, ev.source, ev.start_ts, strict=True)
    ]
    ev = ev.drop_duplicates("issue_id", keep="last")
    ev["details"] = [
        json.dumps({"slots": int(n), "hours": float(h)})
        for n, h in zip(ev.slots, ev.hours, strict=True)
    ]
    ev["kind"] = "meter"
    ev["bill_id"] = None
    return upsert_rows(tx, ev, run)


def upsert_rows(tx: Transaction, found: pd.DataFrame, run: Run) -> pd.DataFrame:
    """Write a job's findings as ``dq_issues`` rows; a status set by a person is never changed.

    Shared by every issue kind. Rows are replaced by issue_id (delete + insert in the caller's
    transaction). For an existing issue the first_seen_run, owner, next_step and assignee (with
    assigned_by and assigned_at) are kept, and so are status, status_by, status_at and
    status_note unless the status is still the system's own. A new issue is assigned to its
    building's default owner, else its account's (:func:`core.owners.default_assignees`), by
    ``system``; without one it stays unassigned.

    Parameters
    ----------
    found : pd.DataFrame
        One row per unique ``issue_id`` with the columns a job decides: ``issue_id``, ``kind``,
        ``detector``, ids, ``source``, ``start_ts``, ``end_ts``, ``severity``, ``magnitude``,
        ``details`` (JSON text) and the proposed ``status`` / ``status_note``. Other columns
        are ignored.
    """
    if found.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    now = utcnow()
    ev = found[_FOUND_COLUMNS]
    ids = ev["issue_id"].tolist()
    tx.lock("dq_issues")  # a person's edit committed after this read would be overwritten
    old = _in_batches(
        tx,
        "SELECT issue_id, first_seen_run, status, status_by, status_at, status_note, owner, "
        "next_step, assignee, assigned_by, assigned_at FROM dq_issues WHERE issue_id IN ({marks})",
        ids,
    )
    ev = ev.merge(old, on="issue_id", how="left", suffixes=("", "_old"))
    known = ev["first_seen_run"].notna()
    person = known & (ev["status_by"] != SYSTEM)
    unchanged = known & ~person & (ev["status_old"] == ev["status"])
    ev["first_seen_run"] = ev["first_seen_run"].where(known, run.run_id)
    ev["status"] = ev["status_old"].where(person, ev["status"])
    ev["status_note"] = ev["status_note_old"].where(person, ev["status_note"])
    ev["status_by"] = ev["status_by"].where(person, SYSTEM)
    ev["status_at"] = ev["status_at"].where(person | unchanged, now)
    ev["last_seen_run"] = run.run_id
    default = owners.default_assignees(tx, ev)
    ev["assignee"] = ev["assignee"].astype(object).where(known, default)
    by_default = ~known & default.notna()
    ev["assigned_by"] = ev["assigned_by"].astype(object).where(~by_default, SYSTEM)
    ev["assigned_at"] = pd.to_datetime(ev["assigned_at"]).where(~by_default, pd.Timestamp(now))
    rows = ev[ISSUE_COLUMNS + FOLLOW_UP_COLUMNS + ASSIGN_COLUMNS]
    for batch, marks in _batches(ids):
        tx.execute(f"DELETE FROM dq_issues WHERE issue_id IN ({marks})", batch)
    tx.insert_df("dq_issues", rows)
    return rows


def resolve_missing(
    tx: Transaction,
    window: tuple[pd.Timestamp, pd.Timestamp],
    meter_ids: list[str],
    seen: pd.DataFrame,
    run: Run,
    why: str = "",
) -> int:
    """Resolve the system's open issues on the scored day that this run no longer finds.

    ``why`` is added to the note (a re-score says which readings changed).

    After a data fix (re-import) a rerun of the day should not leave the old findings open.
    Only issues of meters this run scored, overlapping the scored window, still ``open`` and
    owned by the system are touched; each change is logged in ``issue_events``.

    The ``dq_issues`` lock is taken before reading which issues are stale: a run that found
    nothing has not taken it yet (the upsert takes it only when there is something to write),
    and a person's edit committed between this read and the update would otherwise be
    overwritten. ``resolve`` re-checks the status in its UPDATE as well.
    """
    tx.lock("dq_issues")
    start, end = window
    stale = _in_batches(
        tx,
        "SELECT issue_id FROM dq_issues WHERE kind = 'meter' AND status = 'open' "
        "AND status_by = ? AND start_ts < ? AND end_ts > ? AND meter_id IN ({marks})",
        meter_ids,
        prefix=[SYSTEM, end, start],
    )
    ids = sorted(set(stale.get("issue_id", [])) - set(seen.get("issue_id", [])))
    return resolve(tx, ids, run, f"no longer detected by run {run.run_id}{why}")


SWITCHED_OFF = """
SELECT i.issue_id FROM dq_issues i JOIN meters m ON m.meter_id = i.meter_id
WHERE i.kind = 'meter' AND i.status = 'open' AND i.status_by = ?
AND NOT (m.dq_enabled AND m.account_active AND NOT m.building_archived)
"""


def resolve_switched_off(tx: Transaction, run: Run) -> int:
    """Resolve the system's open issues of meters the DQ job no longer scores.

    A meter whose DQ was switched off, whose account became inactive or whose building was
    archived (on the platform, synced by ``jobs sync``) stops getting issues; its open ones
    close with that reason instead of lingering on everyone's list.
    """
    tx.lock("dq_issues")
    ids = list(tx.fetch_df(SWITCHED_OFF, [SYSTEM])["issue_id"])
    note = (
        "meter no longer checked (DQ switched off, account inactive or building archived); "
        f"run {run.run_id}"
    )
    return resolve(tx, ids, run, note)


def resolve(tx: Transaction, ids: list[str], run: Run, note: str = "") -> int:
    """Resolve those of ``ids`` still open and set by the system; log each in ``issue_events``.

    The caller picks the ids (issues this run no longer finds), but the pick may be older than
    the row: a person may have acknowledged, ignored or closed one since. The UPDATE therefore
    re-checks ``status = 'open' AND status_by = 'system'`` in the same statement, under the
    ``dq_issues`` lock, and only the rows it actually changed are logged and counted.

    Returns
    -------
    int
        How many issues were resolved.
    """
    ids = sorted(set(ids))
    if not ids:
        return 0
    tx.lock("dq_issues")  # no-op when the caller holds it already; writers wait until commit
    now = utcnow()
    note = note or f"no longer detected by run {run.run_id}"
    changed: list[str] = []
    for batch, marks in _batches(ids):
        tx.execute(
            "UPDATE dq_issues SET status = 'resolved', status_at = ?, status_note = ? "
            f"WHERE issue_id IN ({marks}) AND status = 'open' AND status_by = ?",
            [now, note, *batch, SYSTEM],
        )
        # No RETURNING on Redshift: this statement's own stamp (its time and note, under the
        # lock) tells which rows it changed.
        done = tx.fetch_df(
            f"SELECT issue_id FROM dq_issues WHERE issue_id IN ({marks}) "
            "AND status = 'resolved' AND status_by = ? AND status_at = ? AND status_note = ?",
            [*batch, SYSTEM, now, note],
        )
        changed += list(done["issue_id"])
    events = pd.DataFrame(
        {
            "issue_id": sorted(changed),
            "changed_at": now,
            "changed_by": SYSTEM,
            "from_status": "open",
            "to_status": "resolved",
            "note": note,
        }
    )
    tx.insert_df("issue_events", events)
    return len(changed)


def replace_meter_days(
    tx: Transaction, day: pd.Timestamp, days: pd.DataFrame, meter_ids: list[str]
) -> None:
    """Replace the scored day's ``dq_meter_days`` rows of the meters this run scored."""
    for batch, marks in _batches(meter_ids):
        tx.execute(
            f"DELETE FROM dq_meter_days WHERE day = ? AND meter_id IN ({marks})",
            [day.date(), *batch],
        )
    tx.insert_df("dq_meter_days", days)
