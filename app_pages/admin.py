"""Admin: the worker and its schedules, run-now requests, recent runs and why runs failed."""

from datetime import UTC, datetime

import streamlit as st

from core import ui
from core.errors import DQHubError
from core.views import admin

NOTICE = "admin_run_notice"  # the last run-now message, shown once after the rerun
LABELS = {
    "job": "Job", "partition": "Day or month", "status": "Status", "requested_by": "Requested by",
    "requested_at": "Requested (UTC)", "picked_at": "Picked (UTC)", "started_at": "Started (UTC)",
    "finished_at": "Finished (UTC)", "duration_s": "Seconds", "attempts": "Attempts",
    "units_total": "Units", "units_failed": "Units failed", "issues_found": "Issues",
    "unit": "Unit", "reason": "Reason", "error": "Reason", "run_id": "Run", "request_id": "Request",
    "crontab": "Crontab", "time_zone": "Time zone", "next_runs_utc": "Next runs (UTC)",
    "setting": "Setting", "day": "Day", "meters": "Meters", "why": "Why",
}  # fmt: skip

user = ui.current_user("admin")
db = admin.live(ui.warehouse())  # not a cached copy: the queue and runs as they are now
st.title("Admin")

worker = admin.worker_state(db)
version = admin.schema_version(db)
c1, c2, c3 = st.columns(3)
c1.metric(
    "Worker",
    {True: "running", False: "not running", None: "unknown"}[worker.held],
    help="Whether a `python -m jobs serve` process holds the warehouse's worker lock",
)
c2.metric(
    "Schema version", version.current, help=f"Newest migration this code ships: {version.latest}"
)
c3.metric("Queued runs", admin.pending_count(db), help="Waiting for the worker, oldest first")
st.caption(f"Worker lock: {ui.md(ui.mask_text(worker.holder))}.")
if version.pending:
    st.warning(f"{version.pending} migration(s) not applied: run `python -m jobs migrate`.")
if worker.held is False:
    st.warning("No worker is running: queued runs wait until one starts (`python -m jobs serve`, "
               "or `make worker`); `python -m jobs serve --once` runs them and exits.")  # fmt: skip

st.subheader("Schedules")
st.dataframe(admin.schedule_table(), hide_index=True, column_config=LABELS)

st.subheader("Run now")
st.caption("Queues a run for the worker; it starts after the running one, if any.")
today = datetime.now(UTC).date()
cols = st.columns(4)
dq_day = cols[0].date_input("DQ: UTC day to score", admin.default_dq_day(db, today), key="dq_day")
bills_day = cols[1].date_input("Bills: run date", today, key="bills_day")
month = cols[2].selectbox("Overshoot: month", admin.month_choices(today), key="overshoot_month")
cols[3].caption("Sync: from where the last one ended")
requests = {
    "sync": (cols[3], "Sync now", {"since": "last"}),
    "dq": (cols[0], "Run DQ now", {"date": dq_day.isoformat()}),
    "bills": (cols[1], "Run bills now", {"date": bills_day.isoformat()}),
    "overshoot": (cols[2], "Run overshoot now", {"month": month}),
}
for job, (col, label, params) in requests.items():
    if col.button(label, key=f"run_{job}"):
        try:
            req, new = admin.run_now(db, user, job, params)
        except DQHubError as exc:
            ui.message("error", exc)
        else:
            what = f"{job} {next(iter(req.params.values()))}"
            st.session_state[NOTICE] = (
                f"Queued {what} (request {req.request_id})."
                if new
                else f"{what} is already queued (request {req.request_id})."
            )
            st.rerun()  # every figure above, the queue count included, now shows the request
if notice := st.session_state.pop(NOTICE, None):
    ui.message("success", notice)

st.subheader("Queue")  # reasons and errors may name meters, buildings, bills: masked when sharing
queued = admin.queue(db)
st.dataframe(
    queued.assign(error=ui.mask_texts(queued["error"])), hide_index=True, column_config=LABELS
)

st.subheader("Recent runs")
runs = admin.recent_runs(db)
st.dataframe(
    runs.assign(reason=ui.mask_texts(runs["reason"])), hide_index=True, column_config=LABELS
)

st.subheader("Days re-scored")
rescored = admin.rescored_days(db)
if rescored.empty:
    st.caption("No day has been scored again: no readings changed after their day was scored.")
else:
    st.caption("Days whose readings changed after they were scored (late packets, backfills, "
               "corrections), scored again for the meters that changed.")  # fmt: skip
    st.dataframe(
        rescored.assign(why=ui.mask_texts(rescored["why"])), hide_index=True,
        column_config=LABELS,
    )  # fmt: skip

st.subheader("Failures")
failed = admin.failures(db, label=ui.label)
failed["reason"] = ui.mask_texts(failed["reason"])
if failed.empty:
    st.success("No recent run failed or was partial.")
else:
    st.caption("Recent failed runs and each unit (meter, bill or building) a partial run skipped.")
    st.dataframe(failed, hide_index=True, column_config=LABELS)
