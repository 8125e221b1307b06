"""The monthly overshoot job: load month -> building days -> faults -> store -> sync projects.

Demand is loaded and turned into building days chunk by chunk (about ``CHUNK_METERS`` meters of
whole buildings at a time, see :mod:`core.overshoot.scope` and :mod:`core.overshoot.demand`),
so memory follows the chunk, not the fleet. Each stage then writes in its own short
transaction: ``overshoot_days`` (the month's rows of the scanned buildings replaced),
``afdd_faults`` (likewise), ``projects``, then the run record. Faults and projects go to
:func:`store.projects_db` (the warehouse, or ``DQ_PROJECTS_DB_URL``). Reruns of a month give
the same rows (``run_id`` aside; a fault keeps its first ``created_at``; an unchanged project
is not rewritten).

A building whose data makes :func:`building_days` raise is recorded as a failed unit and the
rest goes on: the whole chunk is tried first, then each time zone group, then each building
of a failing group.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core import config, runs
from core.db.base import Database, Transaction
from core.overshoot import detect, store, sync
from core.overshoot.demand import iter_demand
from core.overshoot.scope import open_month

log = logging.getLogger(__name__)

JOB = "overshoot"
DAY_COLUMNS = [
    "building_id",
    "month",
    "day",
    "completeness",
    "blocked",
    "counted",
    "morning_peak_kw",
    "plateau_median_kw",
    "excess_kw",
    "daily_peak_kw",
    "overshoot",
    "startup_time",
    "run_id",
]
FAULT_TABLE_COLUMNS = [
    "fault_id",
    "building_id",
    "account_id",
    "month",
    "overshoot_days",
    "top_hits",
    "worst_day",
    "worst_excess_kw",
    "est_monthly_cost",
    "reason",
    "details",
    "run_id",
    "created_at",
]
_DETAIL_COLUMNS = [c for c in detect.FAULT_COLUMNS if c not in FAULT_TABLE_COLUMNS]
_IN_CHUNK = 500


@dataclass(frozen=True)
class RunSummary:
    """What an overshoot run did, for the CLI and tests."""

    run_id: str
    month: str
    status: str
    units_total: int
    units_failed: int
    faults: int
    projects: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall seconds by stage: ``load``, ``detect``, ``write_days``, ``faults``, ``sync``,
    ``finish`` (``load`` and ``detect`` summed over the chunks)."""


class _Stages:
    """Wall seconds per named stage, summed over repeated entries."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0


def _check_month(month: str) -> str:
    try:
        pd.Period(month, freq="M")
        if len(month) != 7 or month[4] != "-":
            raise ValueError
    except ValueError as exc:
        from core.errors import DQHubError

        raise DQHubError(f"{month!r} is not a month; expected YYYY-MM") from exc
    return month


def _days_isolating(
    demand: pd.DataFrame, blocked: pd.DataFrame, p: detect.Params, run: runs.Run
) -> list[pd.DataFrame]:
    """``building_days`` on the batch; on failure per time zone, then per building."""
    if demand.empty:
        return []
    try:
        return [detect.building_days(demand, p, blocked)]
    except Exception:  # noqa: BLE001 - isolate below
        log.warning("overshoot: batch failed; retrying per time zone", exc_info=True)
    out: list[pd.DataFrame] = []
    for _, zone in demand.groupby("timezone", sort=True, observed=True):
        try:
            out.append(detect.building_days(zone, p, blocked))
            continue
        except Exception:  # noqa: BLE001
            pass
        for building, part in zone.groupby("building_id", sort=True, observed=True):
            try:
                out.append(detect.building_days(part, p, blocked))
            except Exception as exc:  # noqa: BLE001 - recorded as a unit failure
                run.fail_unit(str(building), f"building_days: {type(exc).__name__}: {exc}")
    return out


def _json_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    if isinstance(v, pd.Timestamp | np.datetime64):
        return str(pd.Timestamp(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _delete_month(tx: Transaction, table: str, month: str, buildings: list[str]) -> None:
    for i in range(0, len(buildings), _IN_CHUNK):
        chunk = buildings[i : i + _IN_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        tx.execute(
            f"DELETE FROM {table} WHERE month = ? AND building_id IN ({marks})", (month, *chunk)
        )


def run(
    db: Database,
    month: str,
    params: detect.Params | None = None,
    projects: Database | None = None,
    chunk_meters: int | None = None,
) -> RunSummary:
    """Scan local ``month`` (``YYYY-MM``) for every eligible building; store and sync.

    ``projects`` holds ``afdd_faults`` and ``projects`` (default: :func:`store.projects_db`,
    the warehouse unless ``DQ_PROJECTS_DB_URL`` is set). ``chunk_meters``: meters (of whole
    buildings) loaded and scanned at once (default: setting ``DQ_OVERSHOOT_CHUNK_METERS``).
    """
    month = _check_month(month)
    p = params or detect.Params.from_settings()
    pdb = projects or store.projects_db(db)
    run = runs.Run(JOB, {"month": month})
    runs.start(db, run)
    try:
        chunk = chunk_meters or config.get("DQ_OVERSHOOT_CHUNK_METERS")
        return _run(db, pdb, month, p, run, chunk)
    except BaseException as exc:
        runs.fail(db, run, exc)
        raise


def _run(
    db: Database, pdb: Database, month: str, p: detect.Params, run: runs.Run, chunk_meters: int
) -> RunSummary:
    stage = _Stages()
    parts: list[pd.DataFrame] = []
    with db.transaction() as tx:  # one snapshot of meters, issues and readings
        with stage("load"):
            scope = open_month(tx, month, p)
        with closing(iter_demand(tx, scope, chunk_meters)) as chunks:
            while True:
                with stage("load"):
                    demand = next(chunks, None)
                if demand is None:
                    break
                with stage("detect"):
                    parts += _days_isolating(demand, scope.blocked, p, run)
                del demand
    buildings = scope.buildings
    run.units_total = len(buildings)
    with stage("detect"):
        days = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=DAY_COLUMNS)
        del parts
        fault_rows = (
            detect.faults(days, month, p)
            if len(days)
            else pd.DataFrame(columns=detect.FAULT_COLUMNS)
        )
    if len(buildings) and not len(days):
        run.fail_unit(
            "readings",
            f"no readings of {month} in the warehouse for any of {len(buildings)} buildings: "
            "nothing scanned, earlier results and projects kept (readings land with "
            "`python -m jobs sync` or `python -m jobs import`)",
        )
    failed = {u for u, _ in run.failures}
    scanned = buildings[~buildings["building_id"].astype(str).isin(failed)]
    if "readings" in failed:
        scanned = scanned.iloc[0:0]
    scanned_ids = sorted(scanned["building_id"].astype(str))
    run.issues_found = len(fault_rows)
    now = runs.utcnow()

    with stage("write_days"):
        month_days = days[days["month"] == month].copy() if len(days) else days
        month_days["day"] = pd.to_datetime(month_days["day"]).dt.date
        month_days["run_id"] = run.run_id
        month_days = month_days[DAY_COLUMNS].sort_values(["building_id", "day"], ignore_index=True)
        with db.transaction() as tx:
            _delete_month(tx, "overshoot_days", month, scanned_ids)
            tx.insert_df("overshoot_days", month_days)

    with stage("faults"):
        faults = _fault_table(pdb, fault_rows, buildings, month, run.run_id, now)
        with pdb.transaction() as tx:
            _delete_month(tx, "afdd_faults", month, scanned_ids)
            tx.insert_df("afdd_faults", faults)

    with stage("sync"), pdb.transaction() as tx:
        sync_in = fault_rows.assign(
            fault_id=faults["fault_id"].to_numpy() if len(faults) else [],
            account_id=faults["account_id"].to_numpy() if len(faults) else [],
        )
        counts = sync.sync_projects(tx, sync_in, scanned, month, run.run_id, now)
    with stage("finish"), db.transaction() as tx:
        runs.finish(tx, run)
    log.info(
        "overshoot %s: %s, %d faults, projects %s, seconds %s",
        month,
        run.status,
        len(faults),
        counts,
        {k: round(v, 2) for k, v in stage.seconds.items()},
    )
    return RunSummary(
        run.run_id,
        month,
        run.status,
        run.units_total,
        len(failed),
        len(faults),
        counts,
        run.failures,
        stage.seconds,
    )


def _fault_table(
    db: Database,
    fault_rows: pd.DataFrame,
    buildings: pd.DataFrame,
    month: str,
    run_id: str,
    now: Any,
) -> pd.DataFrame:
    if fault_rows.empty:
        return pd.DataFrame(columns=FAULT_TABLE_COLUMNS)
    f = fault_rows.reset_index(drop=True).copy()
    f["fault_id"] = [sync.fault_id(str(b), month) for b in f["building_id"]]
    accounts = buildings.set_index("building_id")["account_id"]
    f["account_id"] = accounts.reindex(f["building_id"]).to_numpy()
    f["details"] = [
        json.dumps(
            {c: _json_value(v) for c, v in zip(_DETAIL_COLUMNS, row, strict=True)}, sort_keys=True
        )
        for row in f[_DETAIL_COLUMNS].itertuples(index=False, name=None)
    ]
    f["run_id"] = run_id
    old = db.fetch_df("SELECT fault_id, created_at FROM afdd_faults WHERE month = ?", (month,))
    first = old.drop_duplicates("fault_id").set_index("fault_id")["created_at"]
    created = pd.to_datetime(first.reindex(f["fault_id"]).to_numpy())
    f["created_at"] = (
        pd.Series(created).astype("datetime64[us]").fillna(pd.Timestamp(now)).to_numpy()
    )  # [us]: the warehouse's precision (an empty fetch gives [s], which warns on fillna)
    f["worst_day"] = pd.to_datetime(f["worst_day"]).dt.date
    f["overshoot_days"] = f["overshoot_days"].astype(int)
    f["top_hits"] = f["top_hits"].astype(int)
    return f[FAULT_TABLE_COLUMNS]
