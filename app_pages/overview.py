"""DQ overview: the latest run, scores by account and building, open issues, trend, time to fix."""

import streamlit as st

from core import ui
from core.views import overview

user = ui.current_user("overview")
db = ui.warehouse()
st.title("DQ overview")

run = overview.run_summary(db, user)
day = overview.last_day(db, user)
if run is None and day is None:
    st.info(overview.START_HINT)
    st.stop()
if user.accounts is not None:
    st.caption("Every figure on this page covers only the accounts granted to you.")

PCT = st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent", color="auto")
COLUMNS = {
    "account_name": st.column_config.TextColumn("Account"),
    "building_name": st.column_config.TextColumn("Building"),
    "meters": st.column_config.NumberColumn("Meters"),
    "score": PCT | {"label": "DQ score", "help": "Share of readings present and unflagged"},
    "completeness": PCT | {"label": "Completeness", "help": "Share of expected readings present"},
}

st.subheader("Latest DQ run")
if run is not None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Scored day (UTC)", run["day"] or "?")
    c2.metric("Status", run["status"], help="ok, partial (some meters failed), failed or running")
    c3.metric("Meters scored", run["meters_scored"])
    c4.metric("Issues found", run["issues_found"], help="Meter issues the run found or still saw")
    ended = run["finished_at"] or run["started_at"]
    failed = len(run["failures"])
    st.caption(
        f"Run {ui.md(run['run_id'])}, {'finished' if run['finished_at'] else 'started'} "
        f"{ended:%Y-%m-%d %H:%M} UTC. " + ("No meter failed." if not failed else "")
    )
    if run["status"] == "failed":  # the error may name meters: masked when sharing
        ui.message(
            "error",
            "The run failed and stored nothing: " + (run["error"] or "details are for admins."),
        )
    if failed:
        with st.expander(f"{failed} meter(s) failed: details"):
            failures = ui.mask(run["failures"])
            st.dataframe(
                failures.assign(reason=ui.mask_texts(failures["reason"])),
                hide_index=True,
                column_config={"meter_id": "Meter", "reason": "Reason"},
            )

if day is not None:
    st.subheader(f"DQ score on {day}")
    st.caption("Worst first. A meter's score is the share of its expected readings that arrived "
               "and were not flagged by a detector.")  # fmt: skip
    for by, height in (("account", "auto"), ("building", 320)):
        st.markdown(f"**By {by}**")
        table = ui.mask(overview.scores(db, user, by))
        st.dataframe(table, hide_index=True, height=height, column_config=COLUMNS,
                     column_order=[c for c in COLUMNS if c in table])  # fmt: skip

st.subheader("Open issues by detector and severity")
st.caption("Issues still open or acknowledged (contacted), in every day scored so far.")
counts = overview.open_issue_counts(db, user)
if counts.empty:
    st.success("No open issues.")
else:
    st.dataframe(counts, width="content", column_config={
        "detector": "Detector", "high": "High", "medium": "Medium", "low": "Low", "total": "Total",
    })  # fmt: skip

st.subheader(f"Last {overview.TREND_DAYS} days")
trend = overview.trend(db, user)
if trend["score"].notna().sum() < 2:
    st.info(
        "The trend appears once two days are scored; it fills in as the daily DQ job runs. (An "
        "admin can score past days: `python -m jobs backfill --from YYYY-MM-DD --to YYYY-MM-DD`.)"
    )
else:
    st.altair_chart(overview.trend_chart(trend), width="stretch")
    st.caption("New issues are counted on the UTC day the problem started.")

st.subheader("Detector precision from your verdicts")
precision = overview.detector_precision(db, user)
st.caption(
    "Of the issues people marked in the last days, the share they confirmed (acknowledged, "
    "resolved, ignored) rather than marked not an issue: a low figure is a detector that wastes "
    "the team's time. `python -m jobs evaluate` prints the same."
)
if precision.empty or precision["judged"].sum() == 0:
    st.caption("No verdicts yet: mark issues on the Issues page and this fills in.")
if not precision.empty:
    st.dataframe(precision, hide_index=True, width="content", column_config={
        "detector": "Detector", "judged": "Judged", "confirmed": "Confirmed",
        "not_an_issue": "Not an issue", "unjudged": "Still open",
        "precision": st.column_config.ProgressColumn("Precision", min_value=0.0, max_value=1.0,
                                                     format="percent"),
    })  # fmt: skip

st.subheader("Mean time to resolve")
mttr = overview.time_to_resolve(db, user)
if mttr.empty:
    st.caption("No issue has been resolved, ignored or marked not an issue yet.")
else:
    st.dataframe(mttr, hide_index=True, width="content", column_config={
        "detector": "Detector", "closed": "Issues closed",
        "mean_hours": st.column_config.NumberColumn("Mean hours to close", format="%.1f"),
    })  # fmt: skip
    st.caption("From the run that first detected the issue to its first resolved, ignored or "
               "not-an-issue change (by a person or by a DQ rerun).")  # fmt: skip

st.subheader("Time to fix, per owner and per account")
window = st.radio("Closed in the last", overview.FIX_WINDOWS, format_func=lambda d: f"{d} days",
                  horizontal=True, key="overview_fix_days")  # fmt: skip
st.caption(
    "Open: issues still open or acknowledged, with their age in days since the DQ job found "
    "them. Closed: issues first resolved, ignored or marked not an issue in the window, and the "
    "median days that took. The owner is the issue's assignee now."
)
DAYS = {"format": "%.1f"}
FIX = {
    "assignee": "Owner", "account_name": "Account", "open": "Open",
    "median_open_days": st.column_config.NumberColumn("Median age (days)", **DAYS),
    "oldest_open_days": st.column_config.NumberColumn("Oldest (days)", **DAYS),
    "closed": "Closed", "median_days_to_close": st.column_config.NumberColumn(
        "Median days to close", **DAYS),
}  # fmt: skip
for by, label in (("assignee", "Per owner"), ("account", "Per account")):
    st.markdown(f"**{label}**")
    fix = ui.mask(overview.time_to_fix(db, user, by, window))
    if fix.empty:
        st.caption("No issues yet.")
        continue
    st.dataframe(fix, hide_index=True, width="content", column_config=FIX,
                 column_order=[c for c in FIX if c in fix])  # fmt: skip
