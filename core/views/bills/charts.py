"""The Utility bills page's history chart: use per day and cost per unit over billing periods."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

_DAY = pd.Timedelta(days=1)
HISTORY_COLOURS = {"this bill": "#eb5757", "other finding": "#f2994a", "no finding": "#2f80ed"}


def history_charts(
    history: pd.DataFrame, bill_id: str | None = None
) -> tuple[alt.LayerChart, alt.LayerChart]:
    """Use per day, and cost per unit, over the billing periods with ``bill_id`` marked in red.

    Two charts on the same time axis (each stretches to its container; a concatenated chart
    would not). Each bill is a point at its period's middle, joined by a line; the flagged
    bill's period is shaded, other bills with findings are orange and estimated bills are
    hollow diamonds. Cost per unit is not drawn from zero, so a rate change shows. Only
    periods and figures go into the chart data (no ids or names: safe in screen-share mode).
    """
    unit = _unit(history["usage_unit"])
    data = history.assign(
        mid=history["period_start"] + (history["period_end"] + _DAY - history["period_start"]) / 2,
        end=history["period_end"] + _DAY,
        bill=np.select(
            [history["bill_id"] == bill_id, history["checks"] != ""],
            ["this bill", "other finding"],
            "no finding",
        ),
        period=history["period_start"].dt.strftime("%Y-%m-%d")
        + " to "
        + history["period_end"].dt.strftime("%Y-%m-%d"),
        estimated=history["estimated"].fillna(False).astype(bool),
    )[
        [
            "period_start",
            "end",
            "mid",
            "period",
            "days",
            "usage",
            "cost",
            "use_per_day",
            "cost_per_unit",
            "estimated",
            "checks",
            "bill",
        ]
    ]
    colour = alt.Color(
        "bill:N",
        legend=None,
        scale=alt.Scale(domain=list(HISTORY_COLOURS), range=list(HISTORY_COLOURS.values())),
    )
    tooltip = [
        "period:N",
        "days:Q",
        alt.Tooltip("usage:Q", title=f"usage ({unit})", format=",.0f"),
        alt.Tooltip("cost:Q", format="$,.2f"),
        alt.Tooltip("use_per_day:Q", title=f"{unit}/day", format=",.1f"),
        alt.Tooltip("cost_per_unit:Q", title=f"$/{unit}", format="$,.4f"),
        "estimated:N",
        alt.Tooltip("checks:N", title="findings"),
    ]
    x = alt.X("mid:T", title="Billing period", axis=alt.Axis(format="%b %Y"))
    base = alt.Chart(data)
    flagged = (
        base.transform_filter(alt.datum.bill == "this bill")
        .mark_rect(opacity=0.15, color=HISTORY_COLOURS["this bill"])
        .encode(x="period_start:T", x2="end:T")
    )

    def panel(field: str, title: str, fmt: str, zero: bool) -> alt.LayerChart:
        y = alt.Y(f"{field}:Q", title=title, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=zero))
        line = base.mark_line(color="#9aa5b1").encode(x=x, y=y)
        shape = alt.Shape(
            "estimated:N",
            legend=None,
            scale=alt.Scale(domain=[False, True], range=["circle", "diamond"]),
        )
        points = base.mark_point(size=70, strokeWidth=2).encode(
            x=x,
            y=y,
            color=colour,
            shape=shape,
            tooltip=tooltip,
            fill=alt.when(alt.datum.estimated).then(alt.value("white")).otherwise(colour),
        )
        return alt.layer(flagged, line, points).properties(height=160)

    # No legends (the page's caption explains the marks): both panels keep the same plot width,
    # so their time axes line up.
    return (
        panel("use_per_day", f"{unit} per day", ",.0f", True),
        panel("cost_per_unit", f"$ per {unit}", "$,.3f", False),
    )


def _unit(units: pd.Series) -> str:
    """The usage unit of a meter's bills ("units" when they disagree or are missing)."""
    found = set(units.dropna())
    return found.pop() if len(found) == 1 else "units"
