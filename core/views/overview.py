"""DQ overview: the latest run, scores, open issues, a 30-day trend and time to resolve.

Every figure is computed from rows in the user's granted accounts (``User.scope``), including
the latest run's counts, so a user granted account A sees no number derived from B's rows.
Only result tables are read (``dq_runs``, ``dq_meter_days``, ``dq_issues``, ``issue_events``,
names from ``meters``); never ``readings``. Issues are meter issues (``kind = 'meter'``).
"""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd

from core.auth import User
from core.db.base import Database
from core.dq.summary import latest_run
from core.triage import CLOSED

SEVERITIES = ("high", "medium", "low")
_PCT = alt.Axis(format="%")
TREND_DAYS = 30
START_HINT = (
    "No DQ results yet. For the demo fleet run `make run` (seeds and scores it); on real data "
    "import meters and readings, then run `python -m jobs run dq` (or `--date latest`)."
)

_GROUPS = {  # score table -> (key columns, name columns joined from meters)
    "account": (["account_id"], ["account_name"]),
    "building": (["account_id", "building_id"], ["account_name", "building_name"]),
}


def last_day(db: Database, user: User) -> date | None:
    """The latest scored day with a meter-day in the user's accounts, or None."""
    where, params = user.scope("account_id")
    day = db.fetch_value(f"SELECT max(day) FROM dq_meter_days WHERE {where}", params)
    return None if day is None or pd.isna(day) else pd.Timestamp(day).date()


def run_summary(db: Database, user: User) -> dict | None:
    """The latest DQ run with counts limited to the user's accounts, or None.

    Returns
    -------
    dict or None
        ``run_id, day, started_at, finished_at, status, meters_scored, issues_found,
        failures`` (a DataFrame ``meter_id, reason``). ``status`` is the run's own when it
        failed or is running; otherwise ``partial`` only if one of the user's meters failed.
    """
    run = latest_run(db, "dq")
    if run is None:
        return None
    where, params = user.scope("account_id")
    scored = db.fetch_value(
        f"SELECT count(DISTINCT meter_id) FROM dq_meter_days WHERE run_id = ? AND {where}",
        [run["run_id"], *params],
    )
    found = db.fetch_value(
        f"SELECT count(*) FROM dq_issues WHERE kind = 'meter' AND last_seen_run = ? AND {where}",
        [run["run_id"], *params],
    )
    failures = _failures(db, user, run["error"] if run["status"] == "partial" else None)
    status = run["status"]
    if status in ("ok", "partial"):
        status = "partial" if len(failures) else "ok"
    return {
        "run_id": run["run_id"],
        "day": run["params"].get("date"),
        "started_at": run["started_at"],
        "finished_at": run["finished_at"],
        "status": status,
        "meters_scored": int(scored or 0),
        "issues_found": int(found or 0),
        "failures": failures,
        # A failed run's error is an exception text that may name any account's meter.
        "error": run["error"] if status == "failed" and user.accounts is None else None,
    }


def _failures(db: Database, user: User, error: str | None) -> pd.DataFrame:
    """``unit: reason`` lines of a partial run's error, kept only for the user's meters."""
    lines = [ln.split(": ", 1) for ln in (error or "").splitlines() if ": " in ln]
    df = pd.DataFrame(lines, columns=["meter_id", "reason"])
    if df.empty or user.accounts is None:
        return df
    where, params = user.scope("account_id")
    marks = ", ".join("?" for _ in df["meter_id"])
    visible = db.fetch_df(
        f"SELECT meter_id FROM meters WHERE meter_id IN ({marks}) AND {where}",
        [*df["meter_id"], *params],
    )
    return df[df["meter_id"].isin(visible["meter_id"])].reset_index(drop=True)


def scores(db: Database, user: User, by: str = "account") -> pd.DataFrame:
    """Mean score and completeness of the latest scored day per account or building.

    Each meter-day row (one per meter and source) counts once. Worst score first.
    Columns: the keys and names of ``by``, then ``meters, score, completeness``. Names come only
    from meters still in the row's account: a meter that moved to another account since adds
    its score to its old account, never the new account's names.
    """
    keys, names = _GROUPS[by]
    day = last_day(db, user)
    if day is None:
        return pd.DataFrame(columns=[*keys, *names, "meters", "score", "completeness"])
    where, params = user.scope("d.account_id")
    key_sql = ", ".join(f"d.{k}" for k in keys)
    name_sql = ", ".join(f"max(m.{n}) AS {n}" for n in names)
    return db.fetch_df(
        f"SELECT {key_sql}, {name_sql}, count(DISTINCT d.meter_id) AS meters, "
        "avg(d.score) AS score, avg(d.completeness) AS completeness "
        "FROM dq_meter_days d LEFT JOIN meters m "
        "ON m.meter_id = d.meter_id AND m.account_id = d.account_id "
        f"WHERE d.day = ? AND {where} GROUP BY {key_sql} ORDER BY score, {key_sql}",
        [day, *params],
    )


def open_issue_counts(db: Database, user: User) -> pd.DataFrame:
    """Unresolved meter issues per detector (rows) and severity (columns), with a total.

    Unresolved means open or acknowledged, as the Issues page lists by default.
    """
    where, params = user.scope("account_id")
    df = db.fetch_df(
        "SELECT detector, severity, count(*) AS issues FROM dq_issues WHERE kind = 'meter' "
        f"AND status IN ('open', 'acknowledged') AND {where} GROUP BY detector, severity",
        params,
    )
    table = df.pivot_table(
        index="detector", columns="severity", values="issues", aggfunc="sum", fill_value=0
    ).reindex(columns=list(SEVERITIES), fill_value=0)
    table.columns.name = None
    table["total"] = table.sum(axis=1)
    return table.sort_values("total", ascending=False).astype(int)


def trend(db: Database, user: User, days: int = TREND_DAYS) -> pd.DataFrame:
    """Daily mean score and new issues over the ``days`` days ending at the latest scored day.

    ``new_issues`` counts meter issues by the UTC day they started, leaving out findings that
    post-processing dismissed (``not_an_issue`` set by the system). Columns: ``day, score,
    new_issues``, one row per day from the first scored day in the range; score is NaN on a
    day in between that was not scored.
    """
    end = last_day(db, user)
    if end is None:
        return pd.DataFrame(columns=["day", "score", "new_issues"])
    start = end - timedelta(days=days - 1)
    where, params = user.scope("account_id")
    score = db.fetch_df(
        "SELECT day, avg(score) AS score FROM dq_meter_days "
        f"WHERE day BETWEEN ? AND ? AND {where} GROUP BY day",
        [start, end, *params],
    )
    new = db.fetch_df(
        "SELECT CAST(start_ts AS DATE) AS day, count(*) AS new_issues FROM dq_issues "
        "WHERE kind = 'meter' AND start_ts >= ? AND start_ts < ? "
        f"AND NOT (status = 'not_an_issue' AND status_by = 'system') AND {where} "
        "GROUP BY CAST(start_ts AS DATE)",
        [start, end + timedelta(days=1), *params],
    )
    out = pd.DataFrame({"day": pd.date_range(start, end, freq="D")})
    for part in (score, new):
        part["day"] = pd.to_datetime(part["day"])
        out = out.merge(part, on="day", how="left")
    out["new_issues"] = out["new_issues"].fillna(0).astype(int)
    # Days before the first scored one were never checked: zero new issues there would mislead.
    scored = out.loc[out["score"].notna(), "day"]
    return out[out["day"] >= scored.min()].reset_index(drop=True) if len(scored) else out[:0]


def trend_chart(df: pd.DataFrame) -> alt.VConcatChart:
    """Two stacked line charts sharing the day axis: mean score, then new issues."""
    base = alt.Chart(df).encode(x=alt.X("day:T", title=None))
    score = base.mark_line(point=True).encode(
        y=alt.Y("score:Q", title="Mean DQ score", scale=alt.Scale(zero=False), axis=_PCT),
        tooltip=[alt.Tooltip("day:T"), alt.Tooltip("score:Q", format=".1%")],
    )
    red = "#d62728"
    new = base.mark_line(point=alt.OverlayMarkDef(color=red), color=red).encode(
        y=alt.Y("new_issues:Q", title="New issues"),
        tooltip=[alt.Tooltip("day:T"), alt.Tooltip("new_issues:Q")],
    )
    return alt.vconcat(score.properties(height=160), new.properties(height=120))


def time_to_resolve(db: Database, user: User) -> pd.DataFrame:
    """Mean hours from first detection to first closing event, per detector.

    Detection is when the issue's first run stored it (``dq_runs.finished_at`` of
    ``first_seen_run``); closing is the first ``issue_events`` row moving it to resolved,
    ignored or not_an_issue (by a person or by the system). Issues never closed are left out.
    Columns: ``detector, closed, mean_hours``.
    """
    where, params = user.scope("i.account_id")
    marks = ", ".join("?" for _ in CLOSED)
    df = db.fetch_df(
        "SELECT i.detector, COALESCE(r.finished_at, r.started_at) AS detected_at, "
        "min(e.changed_at) AS closed_at "
        "FROM dq_issues i JOIN issue_events e ON e.issue_id = i.issue_id "
        "JOIN dq_runs r ON r.run_id = i.first_seen_run "
        f"WHERE i.kind = 'meter' AND e.to_status IN ({marks}) AND {where} "
        "GROUP BY i.issue_id, i.detector, r.finished_at, r.started_at",
        [*CLOSED, *params],
    )
    hours = (pd.to_datetime(df["closed_at"]) - pd.to_datetime(df["detected_at"])).dt.total_seconds()
    df = df.assign(hours=(hours / 3600).clip(lower=0))
    out = df.groupby("detector", as_index=False).agg(
        closed=("hours", "size"), mean_hours=("hours", "mean")
    )
    return out.sort_values("mean_hours", ascending=False).reset_index(drop=True)


def detector_precision(
    db: Database, user: User, day: date | None = None, days: int | None = None
) -> pd.DataFrame:
    """Per-detector precision from people's verdicts over the last ``days`` (core.dq.evaluate).

    ``day`` defaults to the latest scored day of the user's accounts (else today, UTC) and
    ``days`` to ``DQ_EVALUATE_DAYS``; only the user's accounts count.
    """
    from core import config
    from core.dq import evaluate
    from core.runs import utcnow

    day = day or last_day(db, user) or utcnow().date()
    return evaluate.precision(db, day, days or config.get("DQ_EVALUATE_DAYS"), user)
