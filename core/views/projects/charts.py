"""The Projects page's evidence charts: daily demand profiles, daily peaks and startup times.

Each chart takes :class:`core.views.projects.evidence.Evidence` frames and returns an Altair
chart that stretches to its container. Only times and figures go into the chart data (no ids or
names: safe in screen-share mode). Times are the building's local wall-clock time, drawn on plain
numeric or day axes so the viewer's own time zone never shifts them.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.overshoot.detect import Params
from core.views.projects.evidence import clock

COLOURS = {
    "overshoot": "#eb5757",
    "counted": "#2f80ed",
    "not counted": "#b0bac4",
    "median": "#1b3a5c",
    "plateau": "#4f4f4f",
    "morning": "#f2994a",
    "plateau window": "#2f80ed",
    "threshold": "#9b51e0",
    "usual": "#27ae60",
}
# Vega expression: hours after midnight (e.g. 6.25) as HH:MM (06:15).
_HHMM = (
    "format(floor(datum.value), '02d') + ':' + "
    "format(round((datum.value - floor(datum.value)) * 60), '02d')"
)
_HOURS = alt.Axis(values=list(range(0, 25, 3)), labelExpr=_HHMM, grid=True)


def _kind(overshoot: pd.Series, counted: pd.Series) -> pd.Series:
    """``overshoot``, ``counted`` or ``not counted`` (weekend, blocked or incomplete) per day."""
    kind = pd.Series("not counted", index=overshoot.index)
    kind[counted.astype(bool)] = "counted"
    kind[overshoot.astype(bool)] = "overshoot"
    return kind


def _windows(p: Params) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["Morning window", "Plateau window"],
            "colour": [COLOURS["morning"], COLOURS["plateau window"]],
            "start": [p.morning_start_h, p.plateau_start_h],
            "end": [p.morning_end_h, p.plateau_end_h],
        }
    )


def _day_colour(legend: bool = True, channel: type = alt.Color) -> alt.Color:
    """Colour by day kind, with the legend on top or none."""
    kinds = ["overshoot", "counted", "not counted"]
    return channel(
        "kind:N",
        legend=alt.Legend(orient="top", title=None, labelFontSize=12) if legend else None,
        scale=alt.Scale(domain=kinds, range=[COLOURS[k] for k in kinds]),
    )


def _days_x() -> alt.X:
    return alt.X("yearmonthdate(day):T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0))


def _title(text: str, subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(
        text, subtitle=subtitle, anchor="start", fontSize=14, subtitleColor="#4f4f4f"
    )


def profile_chart(profiles: pd.DataFrame, days: pd.DataFrame, params: Params) -> alt.LayerChart:
    """The month's daily demand profiles: one faint line per day, overshoot mornings in red.

    Counted days (complete, unblocked weekdays) are blue, days that do not count light grey;
    the thick dark line is the median profile of the counted days and the dashed rule the
    median of their plateau medians (the building's usual occupied demand). The morning and
    plateau windows are shaded. X is local time of day, y kW.
    """
    data = profiles.assign(
        date=profiles["day"].dt.strftime("%a %Y-%m-%d"),
        kind=_kind(profiles["overshoot"], profiles["counted"]),
    )[["date", "hour", "kw", "kind"]]
    x = alt.X("hour:Q", title="Local time of day", axis=_HOURS, scale=alt.Scale(domain=[0, 24]))
    y = alt.Y("kw:Q", title="Demand (kW)")
    # The shading takes its colour from the data (scale=None): it must not share the day scale.
    windows = alt.Chart(_windows(params))
    layers: list[alt.Chart] = [
        windows.mark_rect(opacity=0.1).encode(
            x="start:Q", x2="end:Q", color=alt.Color("colour:N", scale=None)
        ),
        windows.mark_text(
            align="left", baseline="top", dx=4, dy=4, fontSize=11, color="#4f4f4f"
        ).encode(x="start:Q", y=alt.value(0), text="label:N"),
    ]
    tooltip = [
        alt.Tooltip("date:N", title="Day"),
        alt.Tooltip("kind:N", title="Day is"),
        alt.Tooltip("hour:Q", title="Hour", format=".2f"),
        alt.Tooltip("kw:Q", title="kW", format=",.1f"),
    ]
    # Overshoot mornings drawn last, thicker and solid, on top of the faint other days.
    for width, opacity, keep in (
        (1.0, 0.35, data["kind"] != "overshoot"),
        (2.0, 0.95, data["kind"] == "overshoot"),
    ):
        layers.append(
            alt.Chart(data[keep])
            .mark_line(strokeWidth=width, opacity=opacity)
            .encode(x=x, y=y, detail="date:N", color=_day_colour(legend=False), tooltip=tooltip)
        )
    # The legend comes from solid dots on their own channel (a line legend would be as faint
    # as the lines); the dots have no position, so nothing is drawn in the plot.
    key = pd.DataFrame({"kind": ["overshoot", "counted", "not counted"], "hour": None, "kw": None})
    layers.append(
        alt.Chart(key)
        .mark_circle(size=80, opacity=1)
        .encode(x="hour:Q", y="kw:Q", fill=_day_colour(channel=alt.Fill))
    )
    counted = profiles[profiles["counted"]]
    if len(counted):
        median = counted.groupby("hour", as_index=False)["kw"].median()
        layers.append(
            alt.Chart(median)
            .mark_line(color=COLOURS["median"], strokeWidth=3)
            .encode(
                x=x,
                y=y,
                tooltip=[
                    alt.Tooltip("hour:Q", title="Hour", format=".2f"),
                    alt.Tooltip("kw:Q", title="Median kW", format=",.1f"),
                ],
            )
        )
    plateau = days.loc[days["counted"], "plateau_median_kw"].median()
    if pd.notna(plateau):
        rule = alt.Chart(
            pd.DataFrame({"kw": [plateau], "label": [f"Plateau median {plateau:,.0f} kW"]})
        )
        layers.append(
            rule.mark_rule(color=COLOURS["plateau"], strokeDash=[6, 4], strokeWidth=1.5).encode(
                y="kw:Q"
            )
        )
        layers.append(
            rule.mark_text(
                align="right",
                baseline="bottom",
                dx=-4,
                dy=-3,
                fontSize=11,
                color=COLOURS["plateau"],
            ).encode(x=alt.value("width"), y="kw:Q", text="label:N")
        )
    title = _title(
        "Daily demand profiles",
        "One line per day · thick dark line: median of counted days · dashed: their plateau median",
    )
    return alt.layer(*layers).properties(height=340, title=title)


def peak_chart(
    days: pd.DataFrame, threshold_kw: float | None, top_fraction: float
) -> alt.LayerChart:
    """One point per day: its daily peak kW, overshoot days red, with the top-share threshold.

    ``threshold_kw`` is the fault's ``top_threshold_kw`` (the ``1 - top_fraction`` quantile
    of the counted days' peaks); an overshoot whose morning peak reaches it is a "top hit",
    ringed. The y axis does not start at zero, so the gap to the threshold shows.
    """
    threshold = threshold_kw if threshold_kw is not None and pd.notna(threshold_kw) else None
    top = days["overshoot"] & (days["morning_peak_kw"] >= (threshold or float("inf")))
    data = days.assign(
        kind=_kind(days["overshoot"], days["counted"]),
        date=days["day"].dt.strftime("%a %Y-%m-%d"),
        top=top.map({True: "yes", False: "no"}),
    )[
        [
            "day",
            "date",
            "kind",
            "top",
            "daily_peak_kw",
            "morning_peak_kw",
            "plateau_median_kw",
            "excess_kw",
        ]
    ]
    y = alt.Y("daily_peak_kw:Q", title="Daily peak (kW)", scale=alt.Scale(zero=False))
    base = alt.Chart(data)
    layers: list[alt.Chart] = [
        base.mark_circle(size=80, opacity=1).encode(
            x=_days_x(),
            y=y,
            color=_day_colour(),
            tooltip=[
                alt.Tooltip("date:N", title="Day"),
                alt.Tooltip("kind:N", title="Day is"),
                alt.Tooltip("daily_peak_kw:Q", title="Daily peak kW", format=",.1f"),
                alt.Tooltip("morning_peak_kw:Q", title="Morning peak kW", format=",.1f"),
                alt.Tooltip("plateau_median_kw:Q", title="Plateau median kW", format=",.1f"),
                alt.Tooltip("excess_kw:Q", title="Excess kW", format="+,.1f"),
                alt.Tooltip("top:N", title="Top hit"),
            ],
        ),
        base.transform_filter(alt.datum.top == "yes")
        .mark_point(size=260, strokeWidth=2, color=COLOURS["overshoot"])
        .encode(x=_days_x(), y=y),
    ]
    subtitle = "Ringed: overshoots that are top hits"
    if threshold is not None:
        subtitle = (
            f"Dashed: top {top_fraction:.0%} of daily peaks ({threshold:,.0f} kW) · "
            + subtitle.lower()
        )
        layers.append(
            alt.Chart(pd.DataFrame({"kw": [threshold]}))
            .mark_rule(color=COLOURS["threshold"], strokeDash=[6, 4], strokeWidth=1.5)
            .encode(y="kw:Q")
        )
    return alt.layer(*layers).properties(height=260, title=_title("Daily peak", subtitle))


def startup_chart(days: pd.DataFrame, usual_minute: float | None) -> alt.LayerChart:
    """Startup time per day (local) against the building's usual startup (dashed green).

    The startup is the first morning slot above the midpoint of the night and plateau levels;
    ``usual_minute`` is the median over counted days without an overshoot. Days without a
    startup (flat or missing mornings) are left out.
    """
    start = days["startup_time"]
    data = days.assign(
        kind=_kind(days["overshoot"], days["counted"]),
        date=days["day"].dt.strftime("%a %Y-%m-%d"),
        startup=start.dt.hour + start.dt.minute / 60,
        clock=start.dt.strftime("%H:%M"),
    )[["day", "date", "kind", "startup", "clock"]].dropna(subset=["startup"])
    y = alt.Y(
        "startup:Q",
        title="Startup (local time)",
        scale=alt.Scale(zero=False),
        axis=alt.Axis(labelExpr=_HHMM, tickMinStep=0.25),
    )
    layers: list[alt.Chart] = [
        alt.Chart(data)
        .mark_circle(size=80, opacity=1)
        .encode(
            x=_days_x(),
            y=y,
            color=_day_colour(),
            tooltip=[
                alt.Tooltip("date:N", title="Day"),
                alt.Tooltip("kind:N", title="Day is"),
                alt.Tooltip("clock:N", title="Startup"),
            ],
        ),
    ]
    subtitle = "No usual startup to compare with"
    if usual_minute is not None and pd.notna(usual_minute):
        subtitle = f"Dashed: usual startup {clock(usual_minute)} (median of days without overshoot)"
        layers.append(
            alt.Chart(pd.DataFrame({"startup": [float(usual_minute) / 60]}))
            .mark_rule(color=COLOURS["usual"], strokeDash=[6, 4], strokeWidth=1.5)
            .encode(y="startup:Q")
        )
    return alt.layer(*layers).properties(height=260, title=_title("Morning startup", subtitle))
