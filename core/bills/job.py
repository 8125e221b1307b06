"""The bill job for a run date: load bills -> normalise -> interval usage -> checks -> store."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from core import config, issue_ids, runs
from core.bills import source
from core.bills.base import RESULT_COLUMNS, BillContext
from core.bills.interval import interval_usage
from core.db.base import Database, Transaction
from core.dq import store
from core.errors import SourceError

log = logging.getLogger(__name__)

KIND = "bill"  # dq_issues.kind and dq_issues.source of every bill finding
SEVERITIES = ("low", "medium", "high")
# A check that raises is rerun on halves of the meters to keep every other meter's findings;
# more failing meters than this (or no part passing) means the check itself is broken.
_MAX_ISOLATED = 5
_BILL_FIGURES = ["period", "days", "usage", "usage_unit", "cost", "demand_kw", "estimated"]


@dataclass(frozen=True)
class RunSummary:
    """What a bill run did, for the CLI and tests.

    Attributes
    ----------
    units_total : int
        Bills read from the source.
    failures : list of (unit id, reason)
        Skipped bills (bill id), meters a check broke on (meter id), broken checks
        (``check:<name>``).
    skipped : int
        Bills the normaliser skipped.
    notes : list of (bill_id, note)
        Values the normaliser repaired (e.g. a cost written as text); the bills were checked.
    resolved : int
        Open issues of earlier runs this run no longer finds, now resolved.
    """

    run_id: str
    status: str
    units_total: int
    units_failed: int
    issues_found: int
    failures: list[tuple[str, str]]
    skipped: int
    notes: list[tuple[str, str]]
    resolved: int


def _default_registry() -> Mapping[str, Any]:
    from core.bills import REGISTRY

    return REGISTRY


def _normalise(
    raw: pd.DataFrame, meters: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from core.bills.normalise import normalise

    return normalise(raw, meters)


def run(
    db: Database,
    run_date: date,
    progress: bool = False,
    registry: Mapping[str, Any] | None = None,
) -> RunSummary:
    """Check every bill as of ``run_date`` and store the findings as ``dq_issues`` (kind bill).

    Parameters
    ----------
    db : Database
        The warehouse: results go here, readings for ``interval_usage`` come from here, and so
        do bills unless ``DQ_PLATFORM_DB_URL`` names the platform database.
    run_date : date
        The partition key: "stale" and "future" are judged against it. Reruns are idempotent.
    progress : bool
        Show a progress bar over the checks on stderr.
    registry : mapping of str to module, optional
        The checks to run (default: every check in ``core.bills.REGISTRY``).
    """
    registry = _default_registry() if registry is None else registry
    run = runs.Run("bills", {"date": str(run_date), "checks": sorted(registry)})
    runs.start(db, run)
    try:
        return _run(db, run_date, run, registry, progress)
    except BaseException as exc:
        runs.fail(db, run, exc)
        raise


def _land_platform(db: Database, run: runs.Run) -> None:
    """With a platform database, land its meters and bills in the warehouse first.

    The checks then read the warehouse's ``bills``, the same rows the Utility bills page shows.
    A platform that cannot be read leaves the bills synced before (the run is ``partial``); a
    bill the import rejects (ids that do not match a meter or its account, a bad value) is a
    failed unit naming the bill.
    """
    from core.ingest import platform

    url = str(config.get("DQ_PLATFORM_DB_URL")).strip()
    if not url:
        return
    try:
        landed = platform.land(db, url)
    except SourceError as exc:
        run.fail_unit("platform", f"{exc}; the bills synced before were checked")
        return
    bad = landed.report.bad_rows
    for bill_id, reason in zip(bad["bill_id"], bad["reason"], strict=True):
        if isinstance(bill_id, str) and bill_id:
            run.fail_unit(bill_id, f"not synced from the platform: {reason}")


def _run(
    db: Database,
    run_date: date,
    run: runs.Run,
    registry: Mapping[str, Any],
    progress: bool,
) -> RunSummary:
    _land_platform(db, run)
    raw, meters = source.load_bills(db, url="")
    run.units_total = len(raw)
    bills, skipped, notes = _normalise(raw, meters)
    skipped = skipped.reindex(columns=["bill_id", "reason"])  # an empty frame may lack columns
    notes = notes.reindex(columns=["bill_id", "note"])
    skipped_ids = set()
    for bill_id, reason in zip(skipped["bill_id"], skipped["reason"], strict=True):
        unit = bill_id if isinstance(bill_id, str) and bill_id else "(bill without id)"
        skipped_ids.add(unit)
        run.fail_unit(unit, f"skipped: {reason}")
    for bill_id, note in zip(notes["bill_id"], notes["note"], strict=True):
        log.info("bill %s: %s", bill_id, note)
    ctx = BillContext(run_date, bills, meters, interval_usage(db, bills, meters, run))

    found: list[pd.DataFrame] = []
    failed: dict[str, set[str] | None] = {}  # check -> units not judged (None = all of them)
    for name, module in tqdm(registry.items(), desc=f"bills {run_date}", disable=not progress):
        result, failed[name] = _run_check(name, module, ctx, run)
        if len(result):
            found.append(result.assign(detector=name))
    rows = _issue_rows(found, ctx, notes, run, failed, issue_ids.read_key(db))

    with db.transaction() as tx:
        stored = store.upsert_rows(tx, rows, run)
        run.issues_found = len(stored)
        resolved = _resolve_unseen(tx, stored, failed, skipped_ids, run)
        runs.finish(tx, run)
    log.info("bills %s: %s, %d issues", run_date, run.status, run.issues_found)
    return RunSummary(
        run.run_id,
        run.status,
        run.units_total,
        run.units_failed,
        run.issues_found,
        run.failures,
        len(skipped),
        list(zip(notes["bill_id"], notes["note"], strict=True)),
        resolved,
    )


# ---- interval usage ------------------------------------------------------------------------


# ---- running one check ---------------------------------------------------------------------


def _unit_keys(bills: pd.DataFrame) -> pd.Series:
    """The unit a bill belongs to: its meter, or ``building:<id>`` for a building-level bill."""
    building = "building:" + bills["building_id"].astype(str)
    return bills["meter_id"].where(bills["meter_id"].notna(), building)


def _subset(ctx: BillContext, keys: pd.Series, part: set[str]) -> BillContext:
    bills = ctx.bills[keys.isin(part).to_numpy()]
    return BillContext(
        ctx.run_date,
        bills,
        ctx.meters[ctx.meters["meter_id"].isin(part)],
        ctx.interval_usage[ctx.interval_usage["bill_id"].isin(bills["bill_id"])],
    )


def _call(module: Any, ctx: BillContext, params: Any) -> pd.DataFrame:
    result = module.check(ctx, params)
    if not isinstance(result, pd.DataFrame):
        raise TypeError(f"returned {type(result).__name__}, expected a DataFrame")
    missing = [c for c in RESULT_COLUMNS if c not in result]
    if missing and len(result):
        raise ValueError(f"result lacks column(s) {', '.join(missing)}")
    return result.reindex(columns=RESULT_COLUMNS)


def _run_check(
    name: str, module: Any, ctx: BillContext, run: runs.Run
) -> tuple[pd.DataFrame, set[str] | None]:
    """Run one check; return its findings and the units it could not judge (None = all).

    A raising check is rerun on halves of the units with bills (meters; building-level bills
    by building) to isolate the few that break it, as the meter job does. Checks judge each
    meter's bills on their own, so a subset gives the same findings for its meters; meters
    without bills are left out of the halves and so count as not judged.
    """
    params = module.Params()
    try:
        return _call(module, ctx, params), set()
    except Exception as exc:  # noqa: BLE001 - recorded below; the other checks still run
        first = exc
    bill_keys = _unit_keys(ctx.bills)
    units = sorted(set(bill_keys))
    passed: list[pd.DataFrame] = []
    failed: dict[str, Exception] = {}

    def bisect(part: list[str]) -> None:
        if len(failed) > _MAX_ISOLATED:
            return
        try:
            passed.append(_call(module, _subset(ctx, bill_keys, set(part)), params))
        except Exception as exc:  # noqa: BLE001
            if len(part) == 1:
                failed[part[0]] = exc
                return
            half = len(part) // 2
            bisect(part[:half])
            bisect(part[half:])

    if len(units) > 1:
        half = len(units) // 2
        bisect(units[:half])
        bisect(units[half:])
    if not passed or len(failed) > _MAX_ISOLATED:
        run.fail_unit(
            f"check:{name}",
            f"check {name} raised {type(first).__name__}: {first} (no findings stored)",
        )
        log.warning("bill check %s failed: %s", name, first)
        return pd.DataFrame(columns=RESULT_COLUMNS), None
    for unit, exc in failed.items():
        run.fail_unit(unit, f"check {name} raised {type(exc).__name__}: {exc}")
    return pd.concat(passed, ignore_index=True), set(failed) | (
        set(ctx.meters["meter_id"]) - set(units)
    )


# ---- findings -> dq_issues rows ------------------------------------------------------------


def _issue_rows(
    found: list[pd.DataFrame],
    ctx: BillContext,
    notes: pd.DataFrame,
    run: runs.Run,
    failed: dict[str, set[str] | None],
    key: bytes,
) -> pd.DataFrame:
    """Validate the checks' findings and shape them as ``dq_issues`` rows (unique issue_id).

    ``key``: the warehouse's issue-id key (:func:`core.issue_ids.read_key`).
    """
    if not found:
        return pd.DataFrame(columns=store.ISSUE_COLUMNS)
    res = pd.concat(found, ignore_index=True)
    res["bill_id"] = [_text(b) for b in res["bill_id"]]
    figures = ctx.bills[ctx.bills["bill_id"].notna()].drop_duplicates("bill_id", keep="last")
    cols = ["bill_id", "meter_id", "account_id", "building_id", "period_start", "period_end"]
    cols += [c for c in _BILL_FIGURES if c in figures and c not in cols]
    res = res.merge(figures[cols], on="bill_id", how="left", suffixes=("", "_bill"))
    res["has_bill"] = res["period_start"].notna()
    res["meter_id"] = res["meter_id_bill"].where(res["meter_id_bill"].notna(), res["meter_id"])
    owners = ctx.meters.drop_duplicates("meter_id").set_index("meter_id")
    for col in ("account_id", "building_id"):
        res[col] = res[col].where(res["has_bill"], res["meter_id"].map(owners[col]))
    res["severity"] = res["severity"].astype("object").str.lower()

    bad = pd.Series("", index=res.index)
    bad[~res["severity"].isin(SEVERITIES)] = (
        "severity " + res["severity"].astype(str) + (f" is not one of {', '.join(SEVERITIES)}")
    )
    bad[res["bill_id"].notna() & ~res["has_bill"]] = "bill_id is not a checked bill"
    bad[res["bill_id"].isna() & res["meter_id"].isna()] = "neither bill_id nor meter_id"
    for row in res[bad != ""].itertuples():
        unit = _text(row.bill_id) or _text(row.meter_id) or f"check:{row.detector}"
        run.fail_unit(unit, f"check {row.detector} returned a bad finding: {bad[row.Index]}")
        if failed.get(row.detector) is not None:  # not judged: its issue must not be resolved
            failed[row.detector].add(_text(row.meter_id) or unit)
    res = res[bad == ""].reset_index(drop=True)
    if res.empty:
        return pd.DataFrame(columns=store.ISSUE_COLUMNS)

    by_bill = notes.groupby("bill_id")["note"].agg(list).to_dict() if len(notes) else {}
    res["details"] = [_details(r, by_bill.get(r["bill_id"])) for r in res.to_dict("records")]
    res["issue_id"] = [
        store.bill_issue_id(d, b, m, key)
        for d, b, m in zip(res["detector"], res["bill_id"], res["meter_id"], strict=True)
    ]
    res["kind"] = KIND
    res["source"] = KIND
    res["start_ts"] = pd.to_datetime(res["period_start"])
    res["end_ts"] = pd.to_datetime(res["period_end"]) + pd.Timedelta(days=1)
    res["magnitude"] = pd.to_numeric(res["magnitude"], errors="coerce").astype("float64")
    res["status"] = "open"
    res["status_note"] = None
    # One issue per check and bill: when a check reports a bill twice keep the worst finding.
    res["_rank"] = res["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    res = res.sort_values(["_rank", "magnitude"], na_position="first", kind="stable")
    res = res.drop_duplicates("issue_id", keep="last").sort_values("issue_id")
    return res.reset_index(drop=True)


def _details(row: dict[str, Any], notes: list[str] | None) -> str:
    """The check's details plus the bill's figures, as JSON; the bill's figures win a clash."""
    given = row.get("details")
    out = dict(given) if isinstance(given, Mapping) else {}
    if row.get("has_bill"):
        start, end = pd.Timestamp(row["period_start"]), pd.Timestamp(row["period_end"])
        figures = {"period": f"{start:%Y-%m-%d}/{end:%Y-%m-%d}"}
        figures.update({k: row[k] for k in _BILL_FIGURES[1:] if k in row})
        for key, value in figures.items():
            if key in out and not _same(out[key], value):
                out[f"check_{key}"] = out[key]
            out[key] = value
    if notes:
        out["notes"] = notes
    return json.dumps(_plain(out), sort_keys=True)


def _text(value: Any) -> str | None:
    """A non-empty string id, or None (for None, NaN and "")."""
    return value if isinstance(value, str) and value else None


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. arrays: treat as different
        return False


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, timestamps to ISO text, NaN/NaT to null."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray | pd.Series):
        return [_plain(v) for v in (sorted(value) if isinstance(value, set) else value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp | datetime | date):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, pd.Timedelta):
        return None if pd.isna(value) else value.total_seconds()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value


# ---- resolving what this run no longer finds -----------------------------------------------


def _resolve_unseen(
    tx: Transaction,
    stored: pd.DataFrame,
    failed: dict[str, set[str] | None],
    skipped: set[str],
    run: runs.Run,
) -> int:
    """Resolve the system's open bill issues this run no longer finds.

    Only issues of checks that ran are touched, never those of units a check could not judge
    (it raised on them) nor of bills the normaliser skipped: not judged is not fixed. The
    ``dq_issues`` lock is taken before reading which issues are open (a run that found nothing
    has not taken it in the upsert), and ``store.resolve`` re-checks each row in its UPDATE, so
    a person's status set meanwhile is kept.
    """
    judged = [name for name, units in failed.items() if units is not None]
    if not judged:
        return 0
    tx.lock("dq_issues")
    marks = ", ".join("?" for _ in judged)
    open_ = tx.fetch_df(
        "SELECT issue_id, detector, meter_id, building_id, bill_id FROM dq_issues "
        f"WHERE kind = ? AND status = 'open' AND status_by = ? AND detector IN ({marks})",
        [KIND, store.SYSTEM, *judged],
    )
    if open_.empty:
        return 0
    open_ = open_[~open_["issue_id"].isin(stored["issue_id"]) & ~open_["bill_id"].isin(skipped)]
    unit = _unit_keys(open_)
    not_judged = np.array(
        [u in failed[d] for d, u in zip(open_["detector"], unit, strict=True)], dtype=bool
    )
    ids = sorted(open_.loc[~not_judged, "issue_id"])
    return store.resolve(tx, ids, run)
