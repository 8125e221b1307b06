"""Sync monthly AFDD faults into the ``projects`` BSEs act on (one per building and type).

Rules (issue 5, DESIGN.md "a status a person set is never overwritten"):

- one ``morning_overshoot`` project per building; ``project_id`` is stable per building+type;
- a project still ``DRAFT`` and last updated by ``system`` takes the fresh month's evidence
  (title, summary, est_monthly_cost, month, source_fault_id) and is un-voided;
- a project in any other status, or last changed by a person, is left exactly as it is;
- a system ``DRAFT`` whose building (among ``buildings`` scanned) has no fault this month is
  marked ``void`` (never deleted);
- a project already holding a *later* month's evidence is not rewound by a backfill;
- a row whose content would not change is not rewritten, so reruns leave identical rows
  (``updated_at`` included).

Writes are one delete+insert for all changed projects (``IN`` lists of at most 500 ids) and one
insert of the creation events, inside the caller's transaction (no ON CONFLICT).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from core.db.base import Transaction

TYPE = "morning_overshoot"
SYSTEM = "system"
DRAFT = "DRAFT"
STATUSES = ("DRAFT", "IN_PROGRESS", "COMPLETED", "WONT_DO")
PROJECT_COLUMNS = [
    "project_id",
    "building_id",
    "account_id",
    "type",
    "status",
    "title",
    "summary",
    "est_monthly_cost",
    "month",
    "source_fault_id",
    "void",
    "updated_at",
    "updated_by",
]
_EVIDENCE = ["title", "summary", "est_monthly_cost", "month", "source_fault_id", "void"]
EVENT_COLUMNS = ["project_id", "changed_at", "changed_by", "from_status", "to_status", "note"]
_IN_CHUNK = 500


def _hash(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def project_id(building_id: str, kind: str = TYPE) -> str:
    """Stable id of a building's project of ``kind``."""
    return _hash(str(building_id), kind)


def fault_id(building_id: str, month: str) -> str:
    """Stable id of a building's AFDD fault row for ``month``."""
    return _hash(str(building_id), month)


def _text(fault: Mapping[str, Any], name: str) -> tuple[str, str]:
    title = f"Morning overshoot: {name}"
    excess = float(fault["worst_excess_kw"])
    days = int(fault["overshoot_days"])
    summary = (
        f"{fault['month']}: {days} weekday morning{'s' if days != 1 else ''} overshot the "
        f"plateau ({int(fault['top_hits'])} in the month's top daily peaks). Worst "
        f"{fault['worst_day']}: +{excess:.1f} kW over the plateau. "
        f"Est. ${float(fault['est_monthly_cost']):,.0f}/month in demand charges."
    )
    return title, summary


def _same(old: Mapping[str, Any], new: dict) -> bool:
    for col in _EVIDENCE:
        a, b = old[col], new[col]
        if pd.isna(a) and pd.isna(b):
            continue
        if isinstance(b, float) and not pd.isna(a):
            if abs(float(a) - b) > 1e-9:
                return False
        elif a != b:
            return False
    return True


def _write(tx: Transaction, rows: list[dict], events: list[dict]) -> None:
    """Replace the projects of ``rows`` (delete, then insert) and append ``events``."""
    ids = [row["project_id"] for row in rows]
    for i in range(0, len(ids), _IN_CHUNK):
        chunk = ids[i : i + _IN_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        tx.execute(f"DELETE FROM projects WHERE project_id IN ({marks})", chunk)
    if rows:
        tx.insert_df("projects", pd.DataFrame(rows, columns=PROJECT_COLUMNS))
    if events:
        tx.insert_df("project_events", pd.DataFrame(events, columns=EVENT_COLUMNS))


def sync_projects(
    tx: Transaction,
    faults_df: pd.DataFrame,
    buildings: pd.DataFrame,
    month: str,
    run_id: str,
    now: datetime,
) -> dict[str, int]:
    """Bring ``projects`` in line with ``month``'s faults; return counts by outcome.

    Parameters
    ----------
    tx : Transaction
        The caller's transaction (all writes happen in it).
    faults_df : pd.DataFrame
        ``afdd_faults``-shaped rows of ``month`` (``FAULT_COLUMNS``; ``fault_id`` optional).
    buildings : pd.DataFrame
        ``building_id``, ``account_id``, ``building_name``: the buildings that were scanned
        successfully; only their projects may be voided.
    run_id : str
        The run doing the sync (kept in the creation event note).
    now : datetime
        ``updated_at`` of written rows (naive UTC).

    Returns
    -------
    dict
        ``created``, ``updated``, ``unchanged``, ``voided``, ``kept`` (a person's or a
        non-DRAFT project left alone), ``newer`` (holds a later month: left alone).
    """
    counts = dict.fromkeys(("created", "updated", "unchanged", "voided", "kept", "newer"), 0)
    found = tx.fetch_df(
        f"SELECT {', '.join(PROJECT_COLUMNS)} FROM projects WHERE type = ?", (TYPE,)
    )
    existing = {row["building_id"]: row for row in found.to_dict("records")}
    ids = buildings["building_id"].astype(str).tolist()

    def column(name: str) -> dict[str, Any]:
        if name not in buildings.columns:
            return {}
        return dict(zip(ids, buildings[name].tolist(), strict=True))

    names, accounts, known = column("building_name"), column("account_id"), set(ids)
    faulted = set()
    writes: list[dict] = []
    events: list[dict] = []
    for fault in faults_df.to_dict("records"):
        b = str(fault["building_id"])
        faulted.add(b)
        name = b
        account = fault.get("account_id")
        if b in known:
            bn = names.get(b)
            name = bn if isinstance(bn, str) and bn else b
            if account is None or pd.isna(account):
                account = accounts.get(b)
        title, summary = _text(fault, name)
        fid = fault["fault_id"] if "fault_id" in fault else fault_id(b, month)
        new = {
            "project_id": project_id(b),
            "building_id": b,
            "account_id": account,
            "type": TYPE,
            "status": DRAFT,
            "title": title,
            "summary": summary,
            "est_monthly_cost": float(fault["est_monthly_cost"]),
            "month": month,
            "source_fault_id": fid,
            "void": False,
            "updated_at": now,
            "updated_by": SYSTEM,
        }
        if b not in existing:
            writes.append(new)
            events.append(
                {
                    "project_id": new["project_id"],
                    "changed_at": now,
                    "changed_by": SYSTEM,
                    "from_status": None,
                    "to_status": DRAFT,
                    "note": f"created by run {run_id}",
                }
            )
            counts["created"] += 1
            continue
        old = existing[b]
        if old["status"] != DRAFT or old["updated_by"] != SYSTEM:
            counts["kept"] += 1
        elif isinstance(old["month"], str) and old["month"] > month:
            counts["newer"] += 1
        elif _same(old, new):
            counts["unchanged"] += 1
        else:
            writes.append(new)
            counts["updated"] += 1
    for b, old in existing.items():
        if b in faulted or b not in known:
            continue
        if old["status"] != DRAFT or old["updated_by"] != SYSTEM:
            continue
        if isinstance(old["month"], str) and old["month"] > month:
            continue
        if bool(old["void"]):
            counts["unchanged"] += 1
            continue
        row = {c: old[c] for c in PROJECT_COLUMNS}
        row.update(void=True, updated_at=now, updated_by=SYSTEM)
        writes.append(row)
        counts["voided"] += 1
    _write(tx, writes, events)
    return counts
