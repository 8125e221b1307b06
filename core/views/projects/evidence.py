"""The evidence behind a project: its fault row, the month's building days, demand profiles.

Read for one project of the signed-in user's accounts (:func:`core.views.projects.board.project`
checks the scope), from the projects database (fault) and the warehouse (days, readings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.auth import User
from core.db.base import Database
from core.overshoot import demand, detect
from core.views.projects.board import ProjectError, moved_away, project


@dataclass(frozen=True)
class Evidence:
    """Why a project exists: its fault, the month's building days and the demand profiles.

    Attributes
    ----------
    project : dict
        The ``projects`` row.
    fault : dict or None
        The ``afdd_faults`` row with its ``details`` JSON merged in (``counted_days``,
        ``top_threshold_kw``, ``usual_startup_minute``, ``worst_startup_minute``, ...); None
        when the row is gone (the month was rescanned without a fault).
    days : pd.DataFrame
        The building's ``overshoot_days`` rows of the month, by day (``day`` datetime64).
    profiles : pd.DataFrame
        The building's demand in the month in local time: ``day`` (local midnight),
        ``hour`` (local time of day in hours, 0-24), ``kw``, ``overshoot``, ``counted``.
    timezone : str
        The building's time zone.
    params : Params
        The scan's settings now (windows, top fraction, demand rate).
    """

    project: dict[str, Any]
    fault: dict[str, Any] | None
    days: pd.DataFrame
    profiles: pd.DataFrame
    timezone: str
    params: detect.Params


def evidence(
    db: Database,
    pdb: Database,
    user: User,
    project_id: str,
    params: detect.Params | None = None,
) -> Evidence:
    """The evidence for one project of the user's accounts (its evidence month).

    Demand comes from :func:`core.overshoot.demand.load_month` for this building only (the
    job's own loading: every eligible electricity meter of the building summed per 15-minute
    slot, a slot missing a meter left out), converted to the building's local time.

    Raises
    ------
    ProjectError
        If the project is unknown or outside the user's accounts, or its building's meters
        are now in an account outside them.
    """
    p = params or detect.Params.from_settings()
    row = project(pdb, user, project_id)
    building, month = str(row["building_id"]), row["month"]
    if moved_away(db, user, [building]):  # its meters are another account's now
        raise ProjectError(f"Project {project_id} does not exist")
    fault = None
    found = pdb.fetch_df("SELECT * FROM afdd_faults WHERE fault_id = ?", (row["source_fault_id"],))
    if len(found):
        fault = found.iloc[0].to_dict()
        details = json.loads(fault.pop("details") or "{}")
        fault = {**details, **fault}
    days = db.fetch_df(
        "SELECT day, completeness, blocked, counted, morning_peak_kw, plateau_median_kw, "
        "excess_kw, daily_peak_kw, overshoot, startup_time FROM overshoot_days "
        "WHERE building_id = ? AND month = ? ORDER BY day",
        (building, month),
    )
    days["day"] = pd.to_datetime(days["day"]).astype("datetime64[ns]")
    days["startup_time"] = pd.to_datetime(days["startup_time"])
    for column in ("blocked", "counted", "overshoot"):
        days[column] = days[column].astype(bool)
    load, _, buildings = demand.load_month(db, month, p, building_ids=[building])
    zones = buildings.set_index("building_id")["timezone"]
    tz = str(zones.get(building) or "UTC")
    profiles = _local_profiles(load[load["building_id"] == building], tz, month, days)
    return Evidence(row, fault, days, profiles, tz, p)


def _local_profiles(load: pd.DataFrame, tz: str, month: str, days: pd.DataFrame) -> pd.DataFrame:
    """Demand slots of ``month`` in local wall-clock time, flagged by their day's outcome."""
    local = pd.DatetimeIndex(load["ts"]).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    out = pd.DataFrame(
        {
            "day": local.normalize(),
            "hour": (local - local.normalize()).total_seconds() / 3600,
            "kw": load["kw"].to_numpy(float),
        }
    )
    out = out[(local.strftime("%Y-%m") == month) & out["kw"].notna()]
    # A fall-back day repeats an hour of wall-clock time: keep its first pass, so every line
    # on the time-of-day axis moves forward.
    out = out.drop_duplicates(["day", "hour"]).reset_index(drop=True)
    flags = days.set_index("day")[["overshoot", "counted"]]
    out["overshoot"] = flags["overshoot"].reindex(out["day"]).fillna(False).to_numpy(bool)
    out["counted"] = flags["counted"].reindex(out["day"]).fillna(False).to_numpy(bool)
    return out


def figures(ev: Evidence) -> list[dict[str, Any]]:
    """The evidence's headline figures, as keyword arguments of a metric widget.

    Cost, then (when the fault row exists) the worst morning's excess, the overshoot count,
    the top hits and the worst day's startup against the usual one. Each dict has ``label``,
    ``value``, ``help`` and, for the startup, ``delta`` and ``delta_arrow``.
    """
    p, f = ev.params, ev.fault
    out: list[dict[str, Any]] = [
        {
            "label": "Est. cost / month",
            "value": f"${float(ev.project['est_monthly_cost'] or 0):,.0f}",
            "help": f"Worst morning excess (kW) x the ${p.demand_rate_per_kw:g}/kW demand rate",
        }
    ]
    if not f:
        return out
    worst = pd.Timestamp(f["worst_day"]).strftime("%a %d %b")
    usual, late = f.get("usual_startup_minute"), f.get("worst_startup_minute")
    shift = None if pd.isna(usual) or pd.isna(late) else round(late - usual)
    delta = (
        "as usual"
        if shift == 0
        else None
        if shift is None
        else f"{abs(shift)} min {'earlier' if shift < 0 else 'later'} than usual"
    )
    return out + [
        {
            "label": "Worst morning excess",
            "value": f"+{f['worst_excess_kw']:,.1f} kW",
            "help": f"On {worst}: morning peak {f['worst_morning_peak_kw']:,.0f} kW vs that "
            f"day's plateau median {f['worst_plateau_kw']:,.0f} kW",
        },
        {
            "label": "Overshoot mornings",
            "value": f"{f['overshoot_days']} of {f['counted_days']}",
            "help": "Of the counted days: complete weekdays without a blocking data-quality issue. "
            f"{p.min_days} or more make a project.",
        },
        {
            "label": f"Top {p.top_fraction:.0%} hits",
            "value": str(f["top_hits"]),
            "help": "Overshoots whose morning peak is among the month's highest daily peaks; "
            "one is enough for a project",
        },
        {
            "label": f"Startup on {worst}",
            "value": clock(late),
            "delta": delta,
            "delta_arrow": "auto" if shift else "off",
            "help": f"Usual startup (median of counted days without overshoot): {clock(usual)}",
        },
    ]


def clock(minute: float | None) -> str:
    """Minutes after local midnight as ``HH:MM`` ("—" when unknown)."""
    if minute is None or pd.isna(minute):
        return "—"
    minute = round(float(minute))
    return f"{minute // 60:02d}:{minute % 60:02d}"
