"""The daily DQ job: load grid -> detect -> post-process -> store, for one UTC day."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from tqdm import tqdm

from core import config, runs
from core.db.base import Database
from core.detectors import REGISTRY
from core.detectors.base import Grid, scope
from core.dq import context as dq_context
from core.dq import events as ev
from core.dq import lifecycle, postprocess, rescore, store
from core.dq.grid import GroupFailure, Window, build_grids
from core.sources.embedded import EmbeddedSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSummary:
    """What a run did, for the CLI and tests."""

    run_id: str
    status: str
    units_total: int
    units_failed: int
    issues_found: int
    failures: list[tuple[str, str]]
    rescored: tuple[RunSummary, ...] = ()  # earlier days scored again first (core.dq.rescore)
    day: date | None = None
    reason: str = ""  # why the day was re-scored ("" for an ordinary run)


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
    meter_ids: list[str] | None = None,
    reason: str = "",
) -> RunSummary:
    """Score UTC ``day`` for every eligible meter and store issues, meter-days and the run.

    First, days before ``day`` whose readings changed after they were scored (a late packet,
    a backfill, a corrected value: ``reading_changes``) are scored again for the meters that
    changed (core.dq.rescore); their summaries are in ``RunSummary.rescored``.

    Parameters
    ----------
    db : Database
        The warehouse: meters and readings are read from it (``python -m jobs sync`` lands
        the platform's there) and results are written to it.
    day : date
        The scored UTC day (the partition key: reruns of the same day are idempotent).
    history_days : int, optional
        Days of history before ``day`` for baselines (default: setting DQ_HISTORY_DAYS).
    chunk_meters : int, optional
        Meters loaded at once (default: setting DQ_CHUNK_METERS).
    progress : bool
        Show a progress bar on stderr.
    meter_ids : list of str, optional
        Score only these meters (a re-score); no earlier day is re-scored then.
    reason : str
        Why this is a re-score (recorded in the run's params).
    """
    history_days = history_days or config.get("DQ_HISTORY_DAYS")
    chunk_meters = chunk_meters or config.get("DQ_CHUNK_METERS")
    rescored = []
    if meter_ids is None:
        for earlier, ids, why in rescore.pending(db, day):
            rescored.append(
                run(db, earlier, history_days, chunk_meters, progress, meter_ids=ids, reason=why)
            )
    window = Window(pd.Timestamp(day), history_days)
    params: dict[str, object] = {"date": str(day), "history_days": history_days}
    if meter_ids is not None:
        params |= {"rescore": reason, "meters": len(meter_ids)}
    run_ = runs.Run("dq", params)
    runs.start(db, run_)
    try:
        summary = _run(db, window, run_, chunk_meters, progress, meter_ids)
    except BaseException as exc:
        runs.fail(db, run_, exc)
        raise
    return dataclasses.replace(summary, rescored=tuple(rescored), day=day, reason=reason)


def _run(
    db: Database,
    window: Window,
    run: runs.Run,
    chunk_meters: int,
    progress: bool,
    only: list[str] | None,
) -> RunSummary:
    source = EmbeddedSource(db)
    meters = source.eligible_meters()
    if only is not None:
        meters = meters[meters["meter_id"].isin(only)].reset_index(drop=True)
    run.units_total = len(meters)
    ctx = dq_context.load(db, window)
    accounts = meters.set_index("meter_id")["account_id"]
    found: list[pd.DataFrame] = []
    days: list[pd.DataFrame] = []
    chunks = range(0, len(meters), chunk_meters)
    bar = tqdm(
        total=len(meters), unit="meter", desc=f"dq {window.day.date()}", disable=not progress
    )
    for offset in chunks:
        chunk = meters.iloc[offset : offset + chunk_meters].reset_index(drop=True)
        block = source.load(chunk.meter_id.to_numpy(), window.start, window.end)
        bar.update(len(chunk))
        for item in build_grids(chunk, block, window):
            if isinstance(item, GroupFailure):
                for meter_id in item.meter_ids:
                    run.fail_unit(meter_id, item.reason)
                continue
            src, grid = item
            f, d = _detect_isolating(ctx.attach(grid, src, accounts), src, run, ctx)
            found += f
            days += d
    bar.close()
    issues = pd.concat(
        [f for f in found if len(f)] or [postprocess.run(pd.DataFrame(columns=ev.EVENT_COLUMNS))],
        ignore_index=True,
    )
    meter_days = _meter_days(days, meters, window, run)
    note = f" (re-scored: {run.params['rescore']})" if only is not None else ""
    with db.transaction() as tx:
        issues = store.continue_clipped(tx, issues)
        issues, reopened = lifecycle.continue_recent(tx, issues, window.day)
        stored = store.upsert_issues(tx, issues, meters, run)
        lifecycle.log_reopened(tx, reopened, window.day.date(), run)
        run.issues_found = len(stored)
        scored = sorted(meter_days["meter_id"].unique()) if len(meter_days) else []
        store.resolve_missing(tx, (window.day, window.end), scored, stored, run, note)
        if len(meter_days):
            lifecycle.resolve_stopped(tx, window.day, meter_days, stored, run)
        if only is None:
            store.resolve_switched_off(tx, run)
        store.replace_meter_days(tx, window.day, meter_days, scored)
        rescore.mark_scored(tx, window.day.date(), run, only)
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
