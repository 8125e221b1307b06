"""Altair charts shared by sandbox models, built once as templates and filled per run.

Building an Altair chart validates every encoding against the Vega-Lite schema, which costs
100-300 ms on this kind of machine: too slow for a slider. So each chart shape is built
once (``functools.lru_cache``) on named datasets and turned into a Vega-Lite dict; a run
only copies the dict and attaches its frames as ``datasets`` (the page draws it with
``st.vega_lite_chart``; Streamlit sends the frames as Arrow).

Only times, values and model figures go into chart data (no meter, building or account
names), so every chart is safe in screen-share mode. Times are UTC unless a chart says
local; missing readings break the line.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import altair as alt
import pandas as pd

from core.palette import SEVERITY_COLOURS

FLAG_COLOURS = {"your settings": "#eb5757", "defaults only": "#9aa5b1"}
LINE = "#2f80ed"
EXPECTED = "#6b7785"
REFERENCE = "#27ae60"
SCORED = "#f2c94c"
_FMT = "%Y-%m-%d %H:%M"
_UTC = alt.Scale(type="utc")
_LINES = {"reading": (LINE, [1, 0]), "expected": (EXPECTED, [4, 3]),
          "platform": (REFERENCE, [2, 2])}  # fmt: skip
BAND_COLOURS = {**SEVERITY_COLOURS, "defaults only": FLAG_COLOURS["defaults only"]}


def fill(template: dict[str, Any], **datasets: pd.DataFrame) -> dict[str, Any]:
    """A copy of a Vega-Lite ``template`` dict carrying ``datasets`` (name -> frame)."""
    return {**template, "datasets": dict(datasets)}


def _x(title: str, field: str = "ts") -> alt.X:
    return alt.X(f"{field}:T", title=title, scale=_UTC)


def _tip(field: str = "ts", title: str = "UTC") -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=title, format=_FMT, formatType="utc")


def _zoom() -> alt.Parameter:
    """Scroll to zoom and drag to pan the time axis; double-click resets."""
    return alt.selection_interval(bind="scales", encodings=["x"])


def _windows(title: str) -> alt.Chart:
    """Shaded time ranges of dataset ``windows``: ``start, end, what`` (e.g. the scored day)."""
    return (
        alt.Chart(alt.NamedData("windows"))
        .mark_rect(opacity=0.12, color=SCORED)
        .encode(x=_x(title, "start"), x2="end:T", tooltip=[alt.Tooltip("what:N", title="")])
    )


def _bands(title: str) -> alt.Chart:
    """Findings as bands: yours coloured by severity, defaults-only grey.

    Dataset ``bands``: ``start_ts, end_ts, band, who, hours, magnitude, status, start, end``.
    """
    return alt.Chart(alt.NamedData("bands")).mark_rect(opacity=0.25).encode(
        x=_x(title, "start_ts"), x2="end_ts:T",
        color=alt.Color("band:N", title="Finding", scale=alt.Scale(
            domain=list(BAND_COLOURS), range=list(BAND_COLOURS.values()))),
        tooltip=[alt.Tooltip("who:N", title="flagged with"),
                 alt.Tooltip("band:N", title="severity"), "status:N",
                 alt.Tooltip("hours:Q", format=",.2f"),
                 alt.Tooltip("magnitude:Q", format=",.2f"),
                 alt.Tooltip("start:N", title="start (UTC)"),
                 alt.Tooltip("end:N", title="end (UTC)")],
    )  # fmt: skip


def _stored(title: str) -> alt.Chart:
    """Issues the daily job stored, outlined in black apart from the model's own findings.

    Dataset ``stored``: ``start_ts, end_ts, what, severity, status, start, end``.
    """
    return alt.Chart(alt.NamedData("stored")).mark_rect(
        fillOpacity=0, stroke="#222222", strokeWidth=1.5, strokeDash=[3, 2]).encode(
        x=_x(title, "start_ts"), x2="end_ts:T",
        tooltip=[alt.Tooltip("what:N", title=""), "severity:N", "status:N",
                 alt.Tooltip("start:N", title="start (UTC)"),
                 alt.Tooltip("end:N", title="end (UTC)")],
    )  # fmt: skip


@lru_cache(maxsize=64)
def series_template(unit: str, lines: tuple[str, ...], title: str = "Time (UTC)") -> dict:
    """Readings as lines, flagged readings as dots, findings as bands, the scored day shaded.

    Datasets: ``points`` (``ts`` and one column per name in ``lines``: reading, expected,
    platform), ``flagged`` (``ts, reading, expected, flag``), ``bands``, ``stored`` and
    ``windows``.
    """
    line = alt.Chart(alt.NamedData("points")).transform_fold(
        list(lines), as_=["series", "y"]
    ).mark_line(strokeWidth=1.3, invalid="break-paths-filter-domains").encode(
        x=_x(title), y=alt.Y("y:Q", title=f"{unit} per interval"),
        color=alt.Color("series:N", title="Line", scale=alt.Scale(
            domain=list(lines), range=[_LINES[n][0] for n in lines])),
        strokeDash=alt.StrokeDash("series:N", title="Line", scale=alt.Scale(
            domain=list(lines), range=[_LINES[n][1] for n in lines])),
        tooltip=[_tip(), "series:N", alt.Tooltip("y:Q", title=unit, format=",.2f")],
    )  # fmt: skip
    dots = alt.Chart(alt.NamedData("flagged")).mark_circle(size=40, opacity=0.9).encode(
        x=_x(title), y=alt.Y("reading:Q"),
        color=alt.Color("flag:N", title="Flagged reading", scale=alt.Scale(
            domain=list(FLAG_COLOURS), range=list(FLAG_COLOURS.values()))),
        tooltip=[_tip(), alt.Tooltip("reading:Q", title=unit, format=",.2f"),
                 alt.Tooltip("expected:Q", format=",.2f"), alt.Tooltip("flag:N", title="flagged")],
    )  # fmt: skip
    line = line.add_params(_zoom())
    chart = (
        alt.layer(_windows(title), _bands(title), _stored(title), line, dots)
        .resolve_scale(color="independent", strokeDash="independent")
        .properties(height=340)
    )
    return chart.to_dict()


def band_rows(events: pd.DataFrame, who: str) -> pd.DataFrame:
    """Rows of the ``bands`` dataset from events; defaults-only rows are grey.

    ``events``: ``start_ts, end_ts, severity, hours, magnitude, status``.
    """
    out = events[["start_ts", "end_ts", "hours", "magnitude", "status"]].assign(who=who)
    out["band"] = events["severity"] if who == "your settings" else "defaults only"
    for col in ("start_ts", "end_ts"):
        out[col] = pd.to_datetime(out[col])
    out["start"] = out["start_ts"].dt.strftime(_FMT)
    out["end"] = out["end_ts"].dt.strftime(_FMT)
    return out


def stored_rows(issues: pd.DataFrame) -> pd.DataFrame:
    """Rows of the ``stored`` dataset from stored issues.

    ``issues``: ``start_ts, end_ts, severity, status`` (``end_ts`` filled for open ends).
    """
    out = issues[["start_ts", "end_ts", "severity", "status"]].assign(
        what="raised by the daily job"
    )
    for col in ("start_ts", "end_ts"):
        out[col] = pd.to_datetime(out[col])
    out["start"] = out["start_ts"].dt.strftime(_FMT)
    out["end"] = out["end_ts"].dt.strftime(_FMT)
    return out


def windows(*ranges: tuple[pd.Timestamp, pd.Timestamp, str]) -> pd.DataFrame:
    """The ``windows`` dataset: one shaded range per ``(start, end, label)``."""
    return pd.DataFrame(ranges, columns=["start", "end", "what"])


@lru_cache(maxsize=16)
def band_template(unit: str, title: str = "Time (UTC)") -> dict:
    """Actual vs expected with the prediction band and the points outside it.

    Datasets: ``fit`` (``ts, actual, expected, lower, upper, period``), ``outside`` (the
    same columns, rows outside the band) and ``windows`` (the test period shaded).
    """
    base = alt.Chart(alt.NamedData("fit"))
    y = alt.Y("lower:Q", title=f"{unit} per interval")
    area = base.mark_area(opacity=0.25, color=EXPECTED).encode(x=_x(title), y=y, y2="upper:Q")
    expected = base.mark_line(color=EXPECTED, strokeDash=[4, 3], strokeWidth=1.2).encode(
        x=_x(title), y="expected:Q"
    )
    actual = base.mark_line(color=LINE, strokeWidth=1.2, invalid="break-paths-filter-domains"
                            ).encode(x=_x(title), y="actual:Q").add_params(_zoom())  # fmt: skip
    dots = alt.Chart(alt.NamedData("outside")).mark_circle(
        size=30, color=FLAG_COLOURS["your settings"]).encode(
        x=_x(title), y="actual:Q",
        tooltip=[_tip(), alt.Tooltip("actual:Q", format=",.2f"),
                 alt.Tooltip("expected:Q", format=",.2f"), alt.Tooltip("lower:Q", format=",.2f"),
                 alt.Tooltip("upper:Q", format=",.2f"), "period:N"],
    )  # fmt: skip
    return alt.layer(_windows(title), area, expected, actual, dots).properties(
        height=320).to_dict()  # fmt: skip


@lru_cache(maxsize=16)
def residual_template(unit: str, title: str = "Time (UTC)") -> dict:
    """Residual (actual - expected) with the band's residual limits.

    Datasets: ``fit`` (``ts, residual, res_lower, res_upper, period``) and ``windows``.
    """
    base = alt.Chart(alt.NamedData("fit"))
    area = base.mark_area(opacity=0.2, color=EXPECTED).encode(
        x=_x(title), y=alt.Y("res_lower:Q", title=f"residual ({unit})"), y2="res_upper:Q"
    )
    line = base.mark_line(color=LINE, strokeWidth=1, invalid="break-paths-filter-domains").encode(
        x=_x(title),
        y="residual:Q",
        tooltip=[_tip(), alt.Tooltip("residual:Q", format=",.2f"), "period:N"],
    )
    zero = (
        alt.Chart(alt.Data(values=[{"y": 0}]))
        .mark_rule(color="#222222", opacity=0.4)
        .encode(y="y:Q")
    )
    return alt.layer(_windows(title), area, zero, line).properties(height=180).to_dict()
