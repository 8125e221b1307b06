"""The morning-overshoot scan on one building and month: which mornings count, fault, cost.

Runs the monthly job's own code (``core.overshoot.detect.building_days`` and ``faults``,
``core.overshoot.scope.blocked_days``) on one building's demand, with the scan's
settings on sliders. Defaults are the configured ``DQ_OVERSHOOT_*`` settings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from core.overshoot import detect, scope
from core.sandbox import charts
from core.sandbox.base import Context, Input, Metric, Model, Result, SandboxError
from core.sandbox.params import inputs_from_params, params_from

_HOURS = {"min": 0.0, "max": 24.0, "step": 0.25}
OUTCOMES = {"overshoot, top peak": "#eb5757", "overshoot": "#f2994a",
            "below the bar": "#2f80ed", "not counted": "#c9d1d9"}  # fmt: skip
FRAME_COLUMNS = ["day", "weekday", "counted", "blocked", "completeness", "morning_peak_kw",
                 "plateau_median_kw", "excess_kw", "required_kw", "overshoot", "top_hit",
                 "startup_time"]  # fmt: skip


def _configured(name: str) -> Any:
    return getattr(detect.Params.from_settings(), name)


def _inputs() -> tuple[Input, ...]:
    derived = inputs_from_params(
        detect.Params, skip=("night_end_h", "default_slot_minutes"),
        overrides={"morning_start_h": _HOURS, "morning_end_h": _HOURS,
                   "plateau_start_h": _HOURS, "plateau_end_h": _HOURS,
                   "min_complete": {"max": 1.0}, "min_days": {"max": 10},
                   "floor_kw": {"max": 50.0, "step": 0.5}},
    )  # fmt: skip
    # Defaults are read when the page runs: they follow the DQ_OVERSHOOT_* settings.
    derived = tuple(
        dataclasses.replace(i, default=lambda n=i.name: _configured(n)) for i in derived
    )
    return (
        Input("building", "building", "The building whose electricity demand is scanned (the "
              "sum of its eligible electricity meters).", label="Building"),
        Input("month", "month", "The local month judged, as `python -m jobs run overshoot "
              "--month`.", label="Month"),
    ) + derived  # fmt: skip


def _params(values: Mapping[str, Any]) -> detect.Params:
    p = params_from(detect.Params, values, base=detect.Params.from_settings())
    p = dataclasses.replace(p, night_end_h=p.morning_start_h)  # as the job: night ends at dawn
    for what in ("morning", "plateau"):
        lo, hi = getattr(p, f"{what}_start_h"), getattr(p, f"{what}_end_h")
        if lo >= hi:
            raise SandboxError(
                f"The {what} window must start before it ends ({lo:g} h to {hi:g} h)"
            )
    return p


def scan(data: Any, month: str, p: detect.Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(days of the month, fault rows)`` of the job's code for one building."""
    zones = pd.Series({data.building_id: data.timezone})
    blocked = scope.blocked_days(data.issues, zones, data.start, data.end, p)
    days = detect.building_days(data.demand, p, blocked)
    days = days[days["month"] == month].reset_index(drop=True)
    counted = days.loc[days["counted"], "daily_peak_kw"]
    top = counted.quantile(1 - p.top_fraction) if len(counted) else np.nan  # faults()' rule
    days["required_kw"] = np.fmax(p.min_ratio * days["plateau_median_kw"], days["floor_kw"])
    days["top_hit"] = days["overshoot"] & (days["morning_peak_kw"] >= top)
    days["top_threshold_kw"] = top
    return days, detect.faults(days, month, p)


@lru_cache(maxsize=4)
def _days_template() -> dict:
    base = alt.Chart(alt.NamedData("days"))
    x = alt.X("date:T", title="Local day", axis=alt.Axis(format="%a %d"))
    bars = base.mark_bar(opacity=0.85).encode(
        x=x, y=alt.Y("excess_kw:Q", title="Morning peak above the plateau (kW)"),
        color=alt.Color("outcome:N", title="Morning", scale=alt.Scale(
            domain=list(OUTCOMES), range=list(OUTCOMES.values()))),
        tooltip=[alt.Tooltip("date:T", title="day", format="%a %Y-%m-%d"), "outcome:N",
                 alt.Tooltip("morning_peak_kw:Q", format=",.1f"),
                 alt.Tooltip("plateau_median_kw:Q", format=",.1f"),
                 alt.Tooltip("excess_kw:Q", format=",.1f"),
                 alt.Tooltip("required_kw:Q", title="needed (kW)", format=",.1f"),
                 alt.Tooltip("completeness:Q", format=".0%"), "blocked:N"],
    )  # fmt: skip
    need = base.mark_tick(color="#222222", thickness=2, size=14).encode(
        x=x, y="required_kw:Q", tooltip=[alt.Tooltip("required_kw:Q", title="needed (kW)",
                                                     format=",.1f")])  # fmt: skip
    return alt.layer(bars, need).properties(height=260).to_dict()


@lru_cache(maxsize=4)
def _profiles_template() -> dict:
    x = alt.X("hour:Q", title="Local hour", scale=alt.Scale(domain=[0, 24]))
    shade = (
        alt.Chart(alt.NamedData("windows"))
        .mark_rect(opacity=0.1)
        .encode(
            x="start:Q",
            x2="end:Q",
            color=alt.Color(
                "window:N",
                title="Window",
                scale=alt.Scale(domain=["morning", "plateau"], range=["#f2994a", "#2f80ed"]),
            ),
        )
    )
    lines = alt.Chart(alt.NamedData("profiles")).mark_line(strokeWidth=1).encode(
        x=x, y=alt.Y("kw:Q", title="Demand (kW)"), detail="day:N",
        color=alt.Color("outcome:N", legend=None, scale=alt.Scale(
            domain=list(OUTCOMES), range=list(OUTCOMES.values()))),
        opacity=alt.Opacity("outcome:N", legend=None, scale=alt.Scale(
            domain=list(OUTCOMES), range=[1, 0.9, 0.35, 0.15])),
        tooltip=["day:N", "outcome:N", alt.Tooltip("hour:Q", format=".2f"),
                 alt.Tooltip("kw:Q", format=",.1f")],
    )  # fmt: skip
    return alt.layer(shade, lines).resolve_scale(color="independent").properties(
        height=260).to_dict()  # fmt: skip


def _outcome(days: pd.DataFrame) -> np.ndarray:
    return np.select([days["top_hit"], days["overshoot"], days["counted"]],
                     list(OUTCOMES)[:3], "not counted")  # fmt: skip


def run(ctx: Context, values: Mapping[str, Any]) -> Result:
    """Scan the picked building and month with the slider settings."""
    month, p = values["month"], _params(values)
    if not month:
        raise SandboxError("This building has no readings yet: pick another building.")
    data = ctx.demand(values["building"], month)
    days, found = scan(data, month, p)
    base_days, base_found = ctx.remember(("overshoot", values["building"], month),
                                         lambda: scan(data, month, _params({})))  # fmt: skip
    days["outcome"] = _outcome(days)
    local = pd.DatetimeIndex(data.demand["ts"]).tz_localize("UTC").tz_convert(data.timezone)
    prof = pd.DataFrame({"day": local.strftime("%Y-%m-%d"), "kw": data.demand["kw"].to_numpy(),
                         "hour": local.hour + local.minute / 60})  # fmt: skip
    outcome = dict(zip(days["day"].dt.strftime("%Y-%m-%d"), days["outcome"], strict=True))
    prof["outcome"] = prof["day"].map(outcome)
    prof = prof.dropna(subset=["outcome"])
    shown = days.assign(date=days["day"].dt.strftime("%Y-%m-%d"))
    windows = pd.DataFrame({"window": ["morning", "plateau"],
                            "start": [p.morning_start_h, p.plateau_start_h],
                            "end": [p.morning_end_h, p.plateau_end_h]})  # fmt: skip
    cols = ["date", "outcome", "excess_kw", "required_kw", "morning_peak_kw",
            "plateau_median_kw", "completeness", "blocked"]  # fmt: skip
    chart = charts.fill(_days_template(), days=shown[cols])
    profiles = charts.fill(_profiles_template(), profiles=prof, windows=windows)
    frame = days.assign(weekday=days["day"].dt.day_name())[FRAME_COLUMNS]
    n, n0 = int(days["overshoot"].sum()), int(base_days["overshoot"].sum())
    fault = found.iloc[0] if len(found) else None
    cost = 0.0 if fault is None else float(fault["est_monthly_cost"])
    cost0 = float(base_found["est_monthly_cost"].iloc[0]) if len(base_found) else 0.0
    rule = (
        f"{p.min_days} or more overshoot mornings, or one whose peak is in the month's top "
        f"{p.top_fraction:.0%} of daily peaks"
    )
    if fault is None:
        verdict = f"The month is **not a fault** (it needs {rule})."
    else:
        verdict = (f"The month **is a fault** ({rule}; here: {fault['reason']}). Estimated "
                   f"demand cost **${cost:,.0f}**/month: the worst excess, "
                   f"{fault['worst_excess_kw']:,.1f} kW on {fault['worst_day']}, x "
                   f"${p.demand_rate_per_kw:g}/kW.")  # fmt: skip
    explanation = (
        f"With your settings **{n}** of {int(days['counted'].sum())} counted weekday mornings "
        f"overshoot (the defaults: {n0}). A morning overshoots when its peak "
        f"({p.morning_start_h:g}-{p.morning_end_h:g} h) beats the plateau median "
        f"({p.plateau_start_h:g}-{p.plateau_end_h:g} h) by at least {p.min_ratio:.0%} and at "
        f"least max({p.floor_kw:g} kW, {p.floor_peak_fraction:.0%} of the month's peak): the "
        f"black ticks. {verdict}"
    )
    return Result(
        frame, chart, n, "overshoot days", explanation, default_count=n0,
        metrics=(Metric("Fault", "yes" if fault is not None else "no",
                        "Whether the month meets the fault rule (a project would be drafted)."),
                 Metric("Top-peak mornings", int(days["top_hit"].sum()),
                        "Overshoot mornings whose peak is in the month's top share of peaks."),
                 Metric("Est. monthly cost", f"${cost:,.0f}",
                        f"Worst excess kW x the demand rate; 0 when the month is no fault. "
                        f"With the defaults: ${cost0:,.0f}.")),
        notes=(("Synthetic building: made-up demand.",) if data.synthetic else ()),
        extra_charts=(profiles,),
    )  # fmt: skip


MODEL = Model(
    title="Morning overshoot scan",
    summary=(
        "Looks for mornings when a building starts up harder than it then runs: the morning "
        "peak well above the building's normal occupied demand (the median of the plateau "
        "window). Such a start-up peak can set the month's demand charge. A building-month "
        "with enough of them, or one that is among the month's highest peaks, becomes an "
        "AFDD fault and a draft project for the building engineers. Only complete weekdays "
        "count; mornings blocked by a severe data-quality issue are left out."
    ),
    mirrors=(
        "core/overshoot/detect.py::building_days",
        "core/overshoot/detect.py::faults",
        "core/overshoot/detect.py::Params",
    ),  # fmt: skip
    inputs=_inputs(),
    run=run,
    group="Morning overshoot",
)
