"""An issue's life across days: it continues, it stops (and closes itself), it comes back.

- **Continues.** A finding of a meter+detector+source that starts within
  ``DQ_SAME_ISSUE_GAP_HOURS`` of the end of a stored issue of the same three takes that issue's
  start, so it keeps its ``issue_id``: a problem that recurs day after day is one issue, not one
  per day. (Findings clipped at the history window's start already continue the issue they
  reach: ``store.continue_clipped``.)
- **Stops.** When a scored day shows a problem has stopped (the meter is back online, its
  readings move again), the system's open issue of a detector in ``STOPS`` that ended before
  that day is resolved by ``system`` with the day and the reason. An issue whose status a
  person set keeps it; the system records what it would have done in ``issue_events`` (same
  status before and after, the note saying so), where the Issues page shows it.
- **Comes back.** A finding that continues an issue the system resolved reopens that issue
  (status ``open`` again, logged in ``issue_events``).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from core import config
from core.db.base import Transaction
from core.dq.store import SYSTEM, _in_batches, resolve
from core.runs import Run, utcnow

# Detectors whose problem is a state the meter is in (not a past event like a spike), with the
# words for "the state ended".
STOPS = {
    "offline": "the meter is back online",
    "missing_data": "its readings are complete again",
    "flatline": "its readings move again",
    "zero_run": "its readings are above zero again",
    "water_leak": "its night flow is back to normal",
    "clock_drift": "its timestamps are back on the slot boundary",
}

_KEYS = ["meter_id", "detector", "source"]
WOULD_HAVE = "the system would have resolved this"  # said once per issue a person owns


def continue_recent(
    tx: Transaction, events: pd.DataFrame, day: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give a finding the start of the recent stored issue it continues (module docstring).

    Only issues that started before the scored ``day`` are continued, and only by the day's
    first finding of the same meter+detector+source: findings within one day stay as the
    detector split them, so a rerun of the day gives the same issues. Only live issues
    continue (open, acknowledged, or resolved by the system, which reopens); one a person
    closed (resolved, ignored, not an issue) or muted stays closed and a new issue opens.

    Returns the events and the keys (meter, detector, source, start) of issues they continue
    that the system had resolved: the caller logs those as reopened once they are stored.
    """
    reopened = pd.DataFrame(columns=[*_KEYS, "start_ts"])
    if events.empty:
        return events, reopened
    gap = pd.Timedelta(hours=config.get("DQ_SAME_ISSUE_GAP_HOURS"))
    stored = _in_batches(
        tx,
        "SELECT meter_id, detector, source, start_ts, end_ts, status, status_by FROM dq_issues "
        "WHERE kind = 'meter' AND meter_id IN ({marks})",
        sorted(events["meter_id"].unique()),
    )
    if stored.empty:
        return events, reopened
    for col in ("start_ts", "end_ts"):
        stored[col] = pd.to_datetime(stored[col])
    stored = stored.rename(columns={c: f"{c}_stored" for c in stored.columns if c not in _KEYS})
    merged = events.reset_index().merge(stored, on=_KEYS)
    start = pd.to_datetime(merged["start_ts"])
    live = merged["status_stored"].isin(["open", "acknowledged"]) | (
        (merged["status_stored"] == "resolved") & (merged["status_by_stored"] == SYSTEM)
    )
    near = (
        live
        & (merged["start_ts_stored"] < pd.Timestamp(day))
        & (merged["start_ts_stored"] < start)
        & (merged["end_ts_stored"] >= start - gap)
    )
    merged = merged[near]
    if merged.empty:
        return events, reopened
    # the latest earlier issue, for the day's first finding of each meter+detector+source
    first = merged.sort_values(["start_ts", "start_ts_stored"], ascending=[True, False])
    first = first.drop_duplicates(_KEYS, keep="first")
    out = events.copy()
    out.loc[first["index"].to_numpy(), "start_ts"] = first["start_ts_stored"].to_numpy()
    back = first[(first["status_stored"] == "resolved") & (first["status_by_stored"] == SYSTEM)]
    reopened = back[_KEYS].assign(start_ts=back["start_ts_stored"].to_numpy())
    return out, reopened


def log_reopened(tx: Transaction, reopened: pd.DataFrame, day: date, run: Run) -> int:
    """``issue_events`` rows for the issues ``continue_recent`` found coming back, now open."""
    if reopened.empty:
        return 0
    rows = _in_batches(
        tx,
        "SELECT issue_id, meter_id, detector, source, start_ts FROM dq_issues WHERE kind = "
        "'meter' AND status = 'open' AND status_by = 'system' AND meter_id IN ({marks})",
        sorted(reopened["meter_id"].unique()),
    )
    if rows.empty:
        return 0
    rows["start_ts"] = pd.to_datetime(rows["start_ts"])
    keys = reopened.assign(start_ts=pd.to_datetime(reopened["start_ts"]))
    ids = rows.merge(keys, on=[*_KEYS, "start_ts"])["issue_id"]
    events = pd.DataFrame(
        {
            "issue_id": sorted(set(ids)),
            "changed_at": utcnow(),
            "changed_by": SYSTEM,
            "from_status": "resolved",
            "to_status": "open",
            "note": f"came back on {day}: reopened by run {run.run_id}",
        }
    )
    tx.insert_df("issue_events", events)
    return len(events)


def resolve_stopped(
    tx: Transaction, day: pd.Timestamp, scored: pd.DataFrame, seen: pd.DataFrame, run: Run
) -> int:
    """Close the system's open issues of ``STOPS`` detectors that ended before ``day``.

    Parameters
    ----------
    day : Timestamp
        Start of the scored day.
    scored : DataFrame
        The run's meter-days (``meter_id, source, present_points``): a feed that reported
        that day shows whether its problems stopped; one with no reading shows nothing.
    seen : DataFrame
        ``issue_id`` of the issues the run found (never closed here).

    Returns the issues resolved; issues a person owns get a "would have" event instead.
    """
    if scored.empty:
        return 0
    scored = scored[scored["present_points"] > 0]
    if scored.empty:
        return 0
    marks = ", ".join("?" for _ in STOPS)
    stale = _in_batches(
        tx,
        "SELECT issue_id, meter_id, detector, source, status, status_by FROM dq_issues "
        f"WHERE kind = 'meter' AND detector IN ({marks}) AND end_ts <= ? "
        "AND status IN ('open', 'acknowledged') AND meter_id IN ({marks})",
        sorted(scored["meter_id"].unique()),
        prefix=[*STOPS, day],
    )
    if stale.empty:
        return 0
    stale = stale.merge(scored[["meter_id", "source"]].drop_duplicates(), on=["meter_id", "source"])
    stale = stale[~stale["issue_id"].isin(set(seen.get("issue_id", [])))]
    system = stale[(stale["status"] == "open") & (stale["status_by"] == SYSTEM)]
    done = 0
    for detector, group in system.groupby("detector"):
        note = f"stopped: the readings of {day.date()} show {STOPS[detector]} (run {run.run_id})"
        done += resolve(tx, list(group["issue_id"]), run, note)
    person = stale[stale["status_by"] != SYSTEM]
    told = _in_batches(
        tx,
        "SELECT DISTINCT issue_id FROM issue_events WHERE changed_by = ? AND note LIKE ? "
        "AND issue_id IN ({marks})",
        sorted(person["issue_id"]),
        prefix=[SYSTEM, f"{WOULD_HAVE}%"],
    )
    person = person[~person["issue_id"].isin(set(told.get("issue_id", [])))]
    if len(person):
        tx.insert_df(
            "issue_events",
            pd.DataFrame(
                {
                    "issue_id": person["issue_id"].to_numpy(),
                    "changed_at": utcnow(),
                    "changed_by": SYSTEM,
                    "from_status": person["status"].to_numpy(),
                    "to_status": person["status"].to_numpy(),
                    "note": [
                        f"{WOULD_HAVE}: the readings of {day.date()} "
                        f"show {STOPS[d]}; your status stays"
                        for d in person["detector"]
                    ],
                }
            ),
        )
    return done
