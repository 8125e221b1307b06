"""DQ Hub home: the latest DQ run and open issue counts (read-only until login arrives)."""

import streamlit as st

from core.db import open_warehouse
from core.dq import summary

st.set_page_config(page_title="DQ Hub", layout="wide")
st.title("DQ Hub")

db = open_warehouse()
run = summary.latest_run(db)
if run is None:
    st.info("No DQ run yet. Run `python -m jobs run dq --date latest` (or `make run`).")
    st.stop()

cols = st.columns(4)
cols[0].metric("Last DQ run", str(run["status"]))
cols[1].metric("Meters scored", int(run["units_total"] or 0))
cols[2].metric("Issues found", int(run["issues_found"] or 0))
cols[3].metric("Meters failed", int(run["units_failed"] or 0))
st.caption(
    f"Scored day {run['params'].get('date', '?')} · run {run['run_id']} · "
    f"finished {run['finished_at']:%Y-%m-%d %H:%M} UTC"
)
if run["error"]:
    with st.expander("Failures"):
        st.code(run["error"])

counts = summary.issue_counts(db)
st.subheader("Open meter issues")
if counts.empty:
    st.success("No open issues.")
else:
    table = counts.pivot_table(index="detector", columns="severity", values="issues", fill_value=0)
    st.dataframe(table.reindex(columns=["high", "medium", "low"], fill_value=0), width="stretch")
