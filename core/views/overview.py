"""DQ overview: the latest run, scores, open issues, a 30-day trend, time to resolve and fix.

Every figure is computed from rows in the user's granted accounts (``User.scope``), including
the latest run's counts, so a user granted account A sees no number derived from B's rows.
Only result tables are read (``dq_runs``, ``dq_meter_days``, ``dq_issues``, ``issue_events``,
names from ``meters``); never ``readings``. Issues are meter issues (``kind = 'meter'``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import altair as alt
import numpy as np
import pandas as pd

from core.auth import User
from core.db.base import Database
from core.dq.summary import latest_run
from core.runs import utcnow
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


FIX_WINDOWS = (30, 90)  # days the time-to-fix tables look back over
UNASSIGNED = "(unassigned)"
FIX_COLUMNS = ["open", "median_open_days", "oldest_open_days", "closed", "median_days_to_close"]
_DAY = 86400.0


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The median of ``values`` each repeated ``weights`` times (NaN when there are none)."""
    if not len(values) or weights.sum() == 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    v, cum = values[order], np.cumsum(weights[order])
    half = cum[-1] / 2
    i = int(np.searchsorted(cum, half))
    return float((v[i] + v[i + 1]) / 2) if cum[i] == half and i + 1 < len(v) else float(v[i])


def time_to_fix(
    db: Database, user: User, by: str = "assignee", days: int = 30, now: datetime | None = None
) -> pd.DataFrame:
    """Open-issue age and median time to resolve per owner (``assignee``) or ``account``.

    Over the user's meter issues: ``open`` issues (open or acknowledged) with the median and
    oldest age in days since their first run stored them, and the issues ``closed`` in the last
    ``days`` days (first moved to resolved, ignored or not_an_issue, by a person or a rerun)
    with the median days from detection to that close (at one-hour resolution). The owner is
    the issue's assignee now, ``UNASSIGNED`` for nobody; only owners of issues in the user's
    accounts appear. Columns: ``assignee`` or ``account_id, account_name``, then
    ``FIX_COLUMNS``; most open issues first.

    The warehouse groups the rows (issues of one run share their detection time), so the page
    reads one row per owner, account, run and closing hour, never one per issue.
    """
    now = now or utcnow()
    where, params = user.scope("i.account_id")
    detected = "COALESCE(r.finished_at, r.started_at)"
    opened = db.fetch_df(
        f"SELECT i.assignee, i.account_id, {detected} AS detected_at, count(*) AS n "
        "FROM dq_issues i JOIN dq_runs r ON r.run_id = i.first_seen_run "
        f"WHERE i.kind = 'meter' AND i.status IN ('open', 'acknowledged') AND {where} "
        "GROUP BY i.assignee, i.account_id, r.finished_at, r.started_at",
        params,
    )
    marks = ", ".join("?" for _ in CLOSED)
    closed = db.fetch_df(
        "SELECT assignee, account_id, detected_at, date_trunc('hour', closed_at) AS closed_hour, "
        "count(*) AS n FROM ("
        f"SELECT i.issue_id, i.assignee, i.account_id, {detected} AS detected_at, "
        "min(e.changed_at) AS closed_at FROM dq_issues i "
        "JOIN issue_events e ON e.issue_id = i.issue_id "
        "JOIN dq_runs r ON r.run_id = i.first_seen_run "
        f"WHERE i.kind = 'meter' AND e.to_status IN ({marks}) AND {where} "
        "GROUP BY i.issue_id, i.assignee, i.account_id, r.finished_at, r.started_at) c "
        "WHERE closed_at >= ? GROUP BY assignee, account_id, detected_at, "
        "date_trunc('hour', closed_at)",
        [*CLOSED, *params, now - timedelta(days=days)],
    )
    key = "assignee" if by == "assignee" else "account_id"
    opened["days"] = _days(pd.Series(now, index=opened.index), opened["detected_at"])
    closed["days"] = _days(closed["closed_hour"], closed["detected_at"])
    for df in (opened, closed):
        df["assignee"] = df["assignee"].astype(object).where(df["assignee"].notna(), UNASSIGNED)
    rows = []
    for value in sorted(set(opened[key]) | set(closed[key]), key=str):
        o, c = opened[opened[key] == value], closed[closed[key] == value]
        ages, weights = o["days"].to_numpy(float), o["n"].to_numpy(float)
        rows.append({
            key: value,
            "open": int(weights.sum()),
            "median_open_days": _weighted_median(ages, weights),
            "oldest_open_days": float(ages.max()) if len(ages) else float("nan"),
            "closed": int(c["n"].sum()),
            "median_days_to_close": _weighted_median(c["days"].to_numpy(float),
                                                     c["n"].to_numpy(float)),
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=[key, *FIX_COLUMNS])
    out = out.sort_values(["open", key], ascending=[False, True])
    if by == "account":
        names = _account_names(db, user)
        out.insert(1, "account_name", out["account_id"].map(names))
    return out.reset_index(drop=True)


def _days(end: pd.Series, start: pd.Series) -> pd.Series:
    """Days from ``start`` to ``end`` (never below 0: a clock skew is not a negative age)."""
    seconds = (pd.to_datetime(end) - pd.to_datetime(start)).dt.total_seconds()
    return (seconds / _DAY).clip(lower=0)


def _account_names(db: Database, user: User) -> dict[str, str]:
    where, params = user.scope("account_id")
    rows = db.fetch_all(
        f"SELECT account_id, max(account_name) FROM meters WHERE {where} GROUP BY account_id",
        params,
    )
    return {a: n or a for a, n in rows}
