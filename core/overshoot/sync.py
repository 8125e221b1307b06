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

Writes are delete+insert per project inside the caller's transaction (no ON CONFLICT).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import pandas as pd

from core.db.base import Transaction

TYPE = "morning_overshoot"
SYSTEM = "system"
DRAFT = "DRAFT"
STATUSES = ("DRAFT", "IN_PROGRESS", "COMPLETED", "WONT_DO")
PROJECT_COLUMNS = [
    "project_id", "building_id", "account_id", "type", "status", "title", "summary",
    "est_monthly_cost", "month", "source_fault_id", "void", "updated_at", "updated_by",
]
_EVIDENCE = ["title", "summary", "est_monthly_cost", "month", "source_fault_id", "void"]


def _hash(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def project_id(building_id: str, kind: str = TYPE) -> str:
    """Stable id of a building's project of ``kind``."""
    return _hash(str(building_id), kind)


def fault_id(building_id: str, month: str) -> str:
    """Stable id of a building's AFDD fault row for ``month``."""
    return _hash(str(building_id), month)


def _text(fault: pd.Series, name: str) -> tuple[str, str]:
    title = f"Morning overshoot: {name}"
    excess = float(fault["worst_excess_kw"])
    summary = (
        f"{fault['month']}: {int(fault['overshoot_days'])} weekday mornings overshot the "
        f"plateau ({int(fault['top_hits'])} in the month's top daily peaks). Worst "
        f"{fault['worst_day']}: +{excess:.1f} kW over the plateau. "
        f"Est. ${float(fault['est_monthly_cost']):,.0f}/month in demand charges."
    )
    return title, summary


def _same(old: pd.Series, new: dict) -> bool:
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


def _write(tx: Transaction, row: dict) -> None:
    tx.replace_rows(
        "projects", "project_id = ?", (row["project_id"],), pd.DataFrame([row])[PROJECT_COLUMNS]
    )


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
    existing = tx.fetch_df(
        f"SELECT {', '.join(PROJECT_COLUMNS)} FROM projects WHERE type = ?", (TYPE,)
    ).set_index("building_id", drop=False)
    info = buildings.set_index("building_id")
    faulted = set()
    for _, fault in faults_df.iterrows():
        b = str(fault["building_id"])
        faulted.add(b)
        name = b
        account = fault.get("account_id")
        if b in info.index:
            bn = info.at[b, "building_name"] if "building_name" in info.columns else None
            name = bn if isinstance(bn, str) and bn else b
            if account is None or pd.isna(account):
                account = info.at[b, "account_id"]
        title, summary = _text(fault, name)
        fid = fault["fault_id"] if "fault_id" in fault.index else fault_id(b, month)
        new = {
            "project_id": project_id(b), "building_id": b, "account_id": account, "type": TYPE,
            "status": DRAFT, "title": title, "summary": summary,
            "est_monthly_cost": float(fault["est_monthly_cost"]), "month": month,
            "source_fault_id": fid, "void": False, "updated_at": now, "updated_by": SYSTEM,
        }
        if b not in existing.index:
            _write(tx, new)
            tx.execute(
                "INSERT INTO project_events (project_id, changed_at, changed_by, from_status, "
                "to_status, note) VALUES (?, ?, ?, ?, ?, ?)",
                (new["project_id"], now, SYSTEM, None, DRAFT, f"created by run {run_id}"),
            )
            counts["created"] += 1
            continue
        old = existing.loc[b]
        if old["status"] != DRAFT or old["updated_by"] != SYSTEM:
            counts["kept"] += 1
        elif isinstance(old["month"], str) and old["month"] > month:
            counts["newer"] += 1
        elif _same(old, new):
            counts["unchanged"] += 1
        else:
            _write(tx, new)
            counts["updated"] += 1
    scanned = set(buildings["building_id"].astype(str))
    for b, old in existing.iterrows():
        if b in faulted or b not in scanned:
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
        _write(tx, row)
        counts["voided"] += 1
    return counts
