"""The factory behind every meter-detector sandbox model: inputs from ``Params``, one run.

``detector_model(name, module)`` builds a ``Model`` for a module of ``core.detectors``: a
meter and a day, then one slider per ``Params`` field. A run grids the meter's 30 days as
the DQ job does (``core.sandbox.data.series``), runs the real ``detect`` with your settings
and with the defaults, turns both into events with the job's own code
(``core.dq.events.extract`` and ``core.dq.postprocess``) and draws the readings with the
flagged points, the events and the detector's expected profile.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from core.detectors import _baseline as baseline
from core.detectors.base import DetectorModule, Grid
from core.dq import events as ev
from core.dq import postprocess
from core.sandbox import charts, synthetic
from core.sandbox.base import Context, Input, Metric, Model, Result
from core.sandbox.data import synthetic_series
from core.sandbox.params import inputs_from_params, params_from

GROUP = "Meter detectors"
FRAME_COLUMNS = ["start_ts", "end_ts", "hours", "magnitude", "severity", "status",
                 "scored_day", "with_defaults", "status_note"]  # fmt: skip


def data_inputs(prefer: str = "") -> tuple[Input, ...]:
    """The meter and day pickers every meter model starts with."""
    return (
        Input("meter", "meter", "The meter whose readings the model judges. The synthetic "
              "meter is made up and has one of each problem the detectors look for.",
              prefer=prefer, label="Meter"),
        Input("day", "date", "The scored day (UTC), as in `python -m jobs run dq --date`. The "
              "model sees this day and the 29 days before it, as the daily job does.",
              label="Scored day"),
    )  # fmt: skip


def _summary(module: DetectorModule, plain: str) -> str:
    """Plain words: the given sentence, else the module docstring's first line."""
    head = (module.__doc__ or "").strip().partition("\n")[0].split(":", 1)[-1].strip()
    return plain or (head[:1].upper() + head[1:])


def _events(grid: Grid, name: str, module: DetectorModule, params: Any) -> pd.DataFrame:
    """Every event of the 30 days (not only those reaching the scored day), post-processed.

    Post-processing is the job's own, except that the flatline minimum is the slider's
    ``min_hours`` (the job's step reads the default).
    """
    # Judged over the whole window (daily checks judge every day, not only the scored one);
    # shares grid.cache: baselines reused.
    whole = dataclasses.replace(grid, score_from=0)
    found = ev.extract(whole, module.detect(whole, params), name, "sandbox", module, params)
    # merge_adjacent has nothing to merge in fewer than two events (and costs ~20 ms of pandas)
    out = postprocess.run(found, steps=(postprocess.merge_adjacent,) if len(found) > 1 else ())
    if name == "flatline" and len(out):
        short = out["hours"] < params.min_hours
        out.loc[short, "status"] = "not_an_issue"
        out.loc[short, "status_note"] = f"flatline shorter than min_hours={params.min_hours:g}"
    return out


def _mask(grid: Grid, events: pd.DataFrame) -> np.ndarray:
    return ev.paint(grid, events[events["status"] == "open"])[0]


def _points(grid: Grid, reference: bool) -> pd.DataFrame:
    points = pd.DataFrame({"ts": grid.times(), "reading": grid.values[0],
                           "expected": baseline.expected(grid)[0]})  # fmt: skip
    if reference and grid.reference is not None:
        points["platform"] = grid.reference[0]
    return points


ZOOM_DAYS = 3  # the second chart: the scored day and the two days before it
_ZOOM_TITLE = "Time (UTC): the scored day and the 2 days before"


def _charts(
    points: pd.DataFrame,
    yours: np.ndarray,
    base: np.ndarray,
    bands: pd.DataFrame,
    scored: pd.Timestamp,
    unit: str,
    stored: pd.DataFrame,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The 30 days, and a close-up of the last ``ZOOM_DAYS`` (where the job's findings are)."""
    flag = np.where(yours, "your settings", np.where(base, "defaults only", ""))
    flagged = points.loc[flag != "", ["ts", "reading", "expected"]].assign(flag=flag[flag != ""])
    lines = tuple(c for c in ("reading", "expected", "platform") if c in points)
    data = {
        "points": points,
        "bands": bands,
        "flagged": flagged.dropna(subset=["reading"]),
        "stored": charts.stored_rows(stored),
        "windows": charts.windows((scored, scored + pd.Timedelta(days=1), "scored day")),
    }
    start = scored - pd.Timedelta(days=ZOOM_DAYS - 1)
    near = {name: _since(frame, start) for name, frame in data.items()}
    return (
        charts.fill(charts.series_template(unit, lines), **data),
        charts.fill(charts.series_template(unit, lines, _ZOOM_TITLE), **near),
    )


def _since(frame: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """Rows of a chart dataset at or after ``start`` (ranges clipped to begin there)."""
    if "ts" in frame:
        return frame[frame["ts"] >= start]
    first, last = (
        ("start", "end") if "what" in frame and "start_ts" not in frame else ("start_ts", "end_ts")
    )
    out = frame[pd.to_datetime(frame[last]) > start].copy()
    out[first] = pd.to_datetime(out[first]).clip(lower=start)
    return out


def _stored(ctx: Context, name: str, values: Mapping[str, Any], source: str) -> pd.DataFrame:
    """Issues of the detector the daily job stored for the meter, clipped to the window."""
    found = ctx.fetch("issues", values["meter"], values["day"])
    found = found[(found["detector"] == name) & (found["source"] == source)].copy()
    end = pd.Timestamp(values["day"]) + pd.Timedelta(days=1)
    start = end - pd.Timedelta(days=30)
    found["start_ts"] = pd.to_datetime(found["start_ts"]).clip(lower=start)
    found["end_ts"] = pd.to_datetime(found["end_ts"]).fillna(end).clip(upper=end)
    return found


def run_detector(
    name: str, module: DetectorModule, ctx: Context, values: Mapping[str, Any]
) -> Result:
    """Run detector ``module`` on the picked meter and day with the slider values."""
    s = ctx.series(values["meter"], values["day"])
    if s.synthetic and name in synthetic.VARIANTS:  # a water meter, a unit change, a clock
        s = synthetic_series(s.day, name)
    raw_only = tuple(module.SOURCES) == ("raw",)
    grid = s.raw if raw_only else s.platform
    scored = pd.Timestamp(s.day)  # the series' last day: the day the job scores
    stored = _stored(ctx, name, values, "raw" if raw_only else "platform")
    if grid is None:
        none = np.zeros(s.platform.n_slots, bool)
        chart, near = _charts(_points(s.platform, False), none, none,
                              charts.band_rows(pd.DataFrame(columns=FRAME_COLUMNS), ""), scored,
                              s.unit, stored)  # fmt: skip
        return Result(
            pd.DataFrame(columns=FRAME_COLUMNS),
            chart,
            0,
            "flagged points",
            default_count=0,
            explanation=f"`{name}` compares the raw feed with the platform's readings, and "
            "this meter has no raw feed in these 30 days: nothing to compare.",
            notes=("Pick a meter with a raw feed, or the synthetic meter.",),
            extra_charts=(near,),
        )
    params = params_from(module.Params, values)
    yours = _events(grid, name, module, params)
    base = ctx.remember((name, "defaults", values["meter"], values["day"]),
                        lambda: _events(grid, name, module, module.Params()))  # fmt: skip
    flag_yours, flag_base = _mask(grid, yours), _mask(grid, base)
    frame = yours.assign(
        scored_day=yours["end_ts"] > scored,
        with_defaults=[bool(flag_base[a:b].any()) for a, b in _slot_spans(grid, yours)],
    )[FRAME_COLUMNS].sort_values("start_ts", ignore_index=True)
    bands = pd.concat([charts.band_rows(yours[yours["status"] == "open"], "your settings"),
                       charts.band_rows(_runs(grid, flag_base & ~flag_yours), "defaults only")],
                      ignore_index=True)  # fmt: skip
    chart, near = _charts(_points(grid, raw_only), flag_yours, flag_base, bands, scored, s.unit,
                          stored)  # fmt: skip
    open_ = frame[frame["status"] == "open"]
    n_base = int((base["status"] == "open").sum())
    report = int(open_["scored_day"].sum())
    severities = open_["severity"].value_counts()
    explanation = (
        f"With your settings `{name}` flags **{int(flag_yours.sum())}** readings in "
        f"**{len(open_)}** finding(s); the defaults flag {int(flag_base.sum())} in {n_base}. "
        f"**{report}** of your findings reach the scored day {values['day']:%Y-%m-%d} "
        "(shaded yellow): those are what the daily job would report for that day; the others "
        "it reported (or would have) on earlier days."
    )
    if len(stored):
        explanation += (f" The daily job stored **{len(stored)}** `{name}` issue(s) for this "
                        "meter in these 30 days (dashed black outlines; each run scores one "
                        "day, so they show what the defaults found day by day).")  # fmt: skip
    short = frame[frame["status"] == "not_an_issue"]
    if len(short):
        explanation += (f" {len(short)} plateau(s) shorter than `min_hours` are found but "
                        "stored as *not an issue* (not counted).")  # fmt: skip
    return Result(
        frame, chart, int(flag_yours.sum()), "flagged points", explanation,
        metrics=(Metric(f"Findings (defaults {n_base})", len(open_),
                        "Separate runs of flagged readings (events), as stored in dq_issues."),
                 Metric("Reach the scored day", report,
                        "Findings the daily job reports for the picked day."),
                 Metric("Stored by the daily job", len(stored),
                        "Issues of this detector in dq_issues for this meter in these 30 days "
                        "(dashed outlines)."),
                 Metric("High / medium / low",
                        " / ".join(str(int(severities.get(k, 0))) for k in
                                   ("high", "medium", "low")),
                        "Graded by the detector's severity thresholds (the last sliders).")),
        default_count=int(flag_base.sum()),
        notes=(("Synthetic meter: made-up readings.",) if s.synthetic else ()),
        extra_charts=(near,),
    )  # fmt: skip


def _slot_spans(grid: Grid, events: pd.DataFrame) -> list[tuple[int, int]]:
    if events.empty:
        return []
    slot = pd.Timedelta(minutes=grid.slot_minutes)
    a = ((events["start_ts"] - grid.start) // slot).to_numpy(dtype=np.int64)
    b = ((events["end_ts"] - grid.start) // slot).to_numpy(dtype=np.int64)
    return list(zip(a, b, strict=True))


def _runs(grid: Grid, mask: np.ndarray) -> pd.DataFrame:
    """Runs of True in a one-meter ``mask`` as band rows (no severity: defaults-only marks)."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    slot = pd.Timedelta(minutes=grid.slot_minutes)
    return pd.DataFrame({
        "start_ts": grid.start + starts * slot, "end_ts": grid.start + stops * slot,
        "severity": "", "hours": (stops - starts) * grid.slot_minutes / 60,
        "magnitude": np.nan, "status": "open",
    })  # fmt: skip


def detector_model(
    name: str,
    module: DetectorModule,
    title: str = "",
    plain: str = "",
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Model:
    """A sandbox ``Model`` for detector ``module`` (registry key ``name``).

    Parameters
    ----------
    name : str
        The detector's contract name; also the model's URL key.
    module : DetectorModule
        The detector module (``NAME``, ``SOURCES``, ``Params``, ``detect``, ``severity``).
    title : str, optional
        Page title (default: the name in words, "Spike positive detector").
    plain : str, optional
        One or two plain-words sentences put before the module docstring's rule.
    overrides : mapping, optional
        Field name -> ``Input`` fields (range, step, help) replacing the derived ones.
    """

    def run(ctx: Context, values: Mapping[str, Any]) -> Result:
        return run_detector(name, module, ctx, values)

    return Model(
        title=title or f"{name.replace('_', ' ').capitalize()} detector",
        summary=_summary(module, plain),
        mirrors=(f"docs/detectors.md#{name}", f"core/detectors/{name}.py"),
        inputs=data_inputs(prefer=name) + inputs_from_params(module.Params, overrides),
        run=run, key=name, group=GROUP,
    )  # fmt: skip


__all__ = ["GROUP", "data_inputs", "detector_model", "run_detector"]
