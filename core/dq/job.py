"""The daily DQ job: load grid -> detect -> post-process -> store, for one UTC day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from tqdm import tqdm

from core import config, runs, sources
from core.db.base import Database, Transaction
from core.detectors import REGISTRY
from core.detectors.base import Grid, scope
from core.dq import context as dq_context
from core.dq import events as ev
from core.dq import postprocess, store
from core.dq.grid import GroupFailure, Window, build_grids

log = logging.getLogger(__name__)

_ID_BATCH = 500  # ids per IN (...) list: well under every engine's parameter limit


@dataclass(frozen=True)
class RunSummary:
    """What a run did, for the CLI and tests."""

    run_id: str
    status: str
    units_total: int
    units_failed: int
    issues_found: int
    failures: list[tuple[str, str]]


class DetectorError(Exception):
    """A detector raised on a grid; carries the detector name for the failure record."""

    def __init__(self, detector: str, exc: Exception) -> None:
        self.detector = detector
        super().__init__(f"detector {detector} raised {type(exc).__name__}: {exc}")


# Statuses post-processing may leave on a finding that still marks its readings as flagged.
_FLAGGED = ("open", "muted")
_READING_DETECTORS = tuple(n for n, m in REGISTRY.items() if scope(m) == "readings")


def _detect(grid: Grid, source: str, ctx: dq_context.Context | None = None) -> pd.DataFrame:
    """Run every detector for ``source`` on ``grid`` and post-process: the grid's events."""
    found = [pd.DataFrame(columns=ev.EVENT_COLUMNS)]
    for name, module in REGISTRY.items():
        if source not in module.SOURCES:
            continue
        params = module.Params()
        try:
            detection = module.detect(grid, params)
            found.append(ev.extract(grid, detection, name, source, module, params))
        except Exception as exc:  # noqa: BLE001 - isolated per meter below
            raise DetectorError(name, exc) from exc
    events = postprocess.run(pd.concat([f for f in found if len(f)] or found, ignore_index=True))
    if ctx is not None:
        window = ctx.window
        if source == "platform":
            events = postprocess.explain_off_grid(
                events, ctx.off_grid_on(window.day), (window.day, window.end), grid.slot_minutes
            )
        events = postprocess.apply_mutes(events, ctx.mutes)
    return events


def _detect_isolating(
    grid: Grid, source: str, run: runs.Run, ctx: dq_context.Context | None = None
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Detect on ``grid``; if a detector raises, bisect the meters to record only the bad ones.

    A vectorised detector fails for the whole grid at once; halving until one meter is left
    costs O(log n) reruns and keeps every other meter's results.
    """
    try:
        events = _detect(grid, source, ctx)
    except DetectorError as exc:
        if grid.n_meters == 1:
            run.fail_unit(grid.meter_ids[0], f"{source}: {exc}")
            return [], []
        half = grid.n_meters // 2
        left = _detect_isolating(grid.subset(np.arange(half)), source, run, ctx)
        right = _detect_isolating(grid.subset(np.arange(half, grid.n_meters)), source, run, ctx)
        return left[0] + right[0], left[1] + right[1]
    # Meter-day scores count the slots of findings about the readings themselves (not a
    # leak, a usage day or a clock) that post-processing left open (or muted).
    flagged = events["status"].isin(_FLAGGED) & events["detector"].isin(_READING_DETECTORS)
    days = ev.scored_day_counts(grid, ev.paint(grid, events[flagged]))
    days["source"] = source
    return [events], [days]


def run(
    db: Database,
    day: date,
    history_days: int | None = None,
    chunk_meters: int | None = None,
    progress: bool = False,
) -> RunSummary:
    """Score UTC ``day`` for every eligible meter and store issues, meter-days and the run.

    Parameters
    ----------
    db : Database
        The warehouse: results are written here and meters read from it; readings come from
        the sources chosen by DQ_PLATFORM_READINGS and DQ_RAW_READINGS (core.sources).
    day : date
        The scored UTC day (the partition key: reruns of the same day are idempotent).
    history_days : int, optional
        Days of history before ``day`` for baselines (default: setting DQ_HISTORY_DAYS).
    chunk_meters : int, optional
        Meters loaded at once (default: setting DQ_CHUNK_METERS).
    progress : bool
        Show a progress bar on stderr.
    """
    history_days = history_days or config.get("DQ_HISTORY_DAYS")
    chunk_meters = chunk_meters or config.get("DQ_CHUNK_METERS")
    window = Window(pd.Timestamp(day), history_days)
    run = runs.Run("dq", {"date": str(day), "history_days": history_days})
    runs.start(db, run)
    try:
        summary = _run(db, window, run, chunk_meters, progress)
    except BaseException as exc:
        runs.fail(db, run, exc)
        raise
    return summary


def _run(
    db: Database, window: Window, run: runs.Run, chunk_meters: int, progress: bool
) -> RunSummary:
    readings = sources.from_settings(db, report=run.fail_unit)
    meters = sources.eligible_meters(db)
    run.units_total = len(meters)
    ctx = dq_context.load(db, window)
    accounts = meters.set_index("meter_id")["account_id"]
    found: list[pd.DataFrame] = []
    days: list[pd.DataFrame] = []
    raw_down: list[str] = []  # meters scored without their raw feed (its source was down)
    chunks = range(0, len(meters), chunk_meters)
    bar = tqdm(
        total=len(meters), unit="meter", desc=f"dq {window.day.date()}", disable=not progress
    )
    for offset in chunks:
        chunk = meters.iloc[offset : offset + chunk_meters].reset_index(drop=True)
        loaded = readings.load(chunk.meter_id.to_numpy(), window.start, window.end)
        bar.update(len(chunk))
        if "platform" in loaded.down:
            continue  # never score a meter without its platform readings: it would look empty
        if "raw" in loaded.down:
            raw_down += list(chunk.meter_id)
        for item in build_grids(chunk, loaded.block, window):
            if isinstance(item, GroupFailure):
                for meter_id in item.meter_ids:
                    run.fail_unit(meter_id, item.reason)
                continue
            src, grid = item
            f, d = _detect_isolating(ctx.attach(grid, src, accounts), src, run, ctx)
            found += f
            days += d
    bar.close()
    for label, reason in readings.outages():
        run.fail_unit(label, reason)
    issues = pd.concat(
        [f for f in found if len(f)] or [postprocess.run(pd.DataFrame(columns=ev.EVENT_COLUMNS))],
        ignore_index=True,
    )
    meter_days = _meter_days(days, meters, window, run)
    with db.transaction() as tx:
        issues = store.continue_clipped(tx, issues)
        stored = store.upsert_issues(tx, issues, meters, run)
        run.issues_found = len(stored)
        scored = sorted(meter_days["meter_id"].unique()) if len(meter_days) else []
        kept_ids, kept_days = _kept_raw_results(tx, window.day, sorted(set(raw_down) & set(scored)))
        seen = stored if kept_ids.empty else pd.concat([stored[["issue_id"]], kept_ids])
        store.resolve_missing(tx, (window.day, window.end), scored, seen, run)
        if len(kept_days):
            meter_days = pd.concat([meter_days, kept_days], ignore_index=True)
        store.replace_meter_days(tx, window.day, meter_days, scored)
        runs.finish(tx, run)
    log.info("dq %s: %s, %d issues", window.day.date(), run.status, run.issues_found)
    return RunSummary(
        run.run_id,
        run.status,
        run.units_total,
        run.units_failed,
        run.issues_found,
        run.failures,
    )


def _kept_raw_results(
    tx: Transaction, day: pd.Timestamp, meter_ids: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open raw issues and raw meter-days of meters scored while the raw source was down.

    Storing a run replaces a scored meter's results for the day; without these the outage
    would resolve its raw issues and drop its raw scores. Returns ``(issue ids, meter-days)``
    to count as seen and to write back unchanged.
    """
    ids: list[pd.DataFrame] = []
    rows: list[pd.DataFrame] = []
    for i in range(0, len(meter_ids), _ID_BATCH):
        batch = meter_ids[i : i + _ID_BATCH]
        marks = ", ".join("?" for _ in batch)
        ids.append(
            tx.fetch_df(
                "SELECT issue_id FROM dq_issues WHERE kind = 'meter' AND source = 'raw' "
                f"AND status = 'open' AND meter_id IN ({marks})",
                batch,
            )
        )
        rows.append(
            tx.fetch_df(
                "SELECT * FROM dq_meter_days WHERE day = ? AND source = 'raw' "
                f"AND meter_id IN ({marks})",
                [day.date(), *batch],
            )
        )
    ids = [i for i in ids if len(i)]
    rows = [r for r in rows if len(r)]
    kept = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(kept):
        kept["day"] = day.date()  # engines return DATE differently; insert it as a date
    return (pd.concat(ids, ignore_index=True) if ids else pd.DataFrame(columns=["issue_id"])), kept


def _meter_days(
    days: list[pd.DataFrame], meters: pd.DataFrame, window: Window, run: runs.Run
) -> pd.DataFrame:
    if not days:
        return pd.DataFrame()
    out = pd.concat(days, ignore_index=True).merge(
        meters[["meter_id", "account_id", "building_id"]], on="meter_id", how="left"
    )
    out["day"] = window.day.date()
    out["run_id"] = run.run_id
    return out
