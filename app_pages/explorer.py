"""Meter explorer: one meter's readings with its issues shaded, and triage of those issues."""

import pandas as pd
import streamlit as st

from core import triage, ui
from core.errors import DQHubError
from core.ui import comments, mute_panel, widgets
from core.views import explorer

user = ui.current_user("explorer")
db = ui.warehouse()
qp = st.query_params
st.title("Meter explorer")


def _name(kind: str, id_: str, name: str | None = None) -> str:
    """A meter, building or account as shown: its name, or a pseudonym in screen-share mode."""
    return ui.label(kind, id_) if ui.masking_on() else str(name or id_)


# A deep link (?issue=ID from the Issues page, or ?meter=ID) picks the meter and window until
# the user picks another meter, which drops the link.
highlight, linked, linked_window = qp.get("issue"), None, None
wanted = qp.get("meter")
if ui.masking_on() and wanted is not None:  # while sharing, the URL bar shows no real meter
    del qp["meter"]  # id (the pick stays; issue links carry only the keyed issue id)
try:
    if highlight:
        linked, *linked_window = explorer.issue_target(db, user, highlight)
    elif wanted:
        linked = explorer.meter(db, user, wanted)["meter_id"]
except DQHubError as exc:
    ui.message("error", exc)  # names the id from the URL: plain text, never a link
    st.button("Pick a meter instead", on_click=qp.clear)
    st.stop()
PINNED = "explorer_pinned"  # a ?meter= link taken out of the URL in screen-share mode
if linked and wanted and ui.masking_on():
    st.session_state[PINNED] = linked
linked = linked or st.session_state.get(PINNED)


def _unlink() -> None:
    """Another meter was picked: drop the link (URL and pin)."""
    qp.clear()
    st.session_state.pop(PINNED, None)


search = st.text_input(  # per mode, not carried over: a search typed before sharing is a name
    "Search meters",
    key="explorer_search" + "_masked" * ui.masking_on(),
    placeholder="Meter id, building or account",
)
options = explorer.meters_for(db, user, search)
if linked and linked not in set(options.meter_id):
    row = pd.DataFrame([explorer.meter(db, user, linked)])[options.columns]
    options = pd.concat([row, options])
if options.empty:
    st.info(f"No meter matches '{ui.md(search)}'." if search else explorer.NO_METERS)
    st.stop()
labels = explorer.picker_labels(options, _name)
if len(options) >= explorer.PICKER_LIMIT:
    st.caption(f"Showing the first {explorer.PICKER_LIMIT} meters; search to narrow the list.")
# A new widget when sharing starts or the options change (a search): the browser keeps showing a
# widget's old label otherwise.
n = widgets.generation("explorer_meter_n", "explorer_options", list(labels))
pick = ui.mode_key(f"explorer_meter_{n}")
last = st.session_state.get("explorer_last_meter")
if linked:
    st.session_state[pick] = linked
elif pick not in st.session_state and last in labels:
    st.session_state[pick] = last  # the search still lists the meter on screen: keep it
meter_id = st.selectbox("Meter", list(labels), format_func=labels.get, key=pick, on_change=_unlink)
st.session_state["explorer_last_meter"] = meter_id

m = explorer.meter(db, user, meter_id)
st.subheader(ui.md(_name("Meter", meter_id)))
st.caption(explorer.byline(m, _name))
# A new meter or link gets a fresh window widget (and so its default window).
n = widgets.generation("explorer_window_n", "explorer_window_for", (meter_id, highlight))
start, end = linked_window or explorer.default_window(db, user, meter_id)
picked = st.date_input(
    "Window (UTC days, inclusive)",
    (start.date(), (end - pd.Timedelta(days=1)).date()),
    key=f"explorer_window_{n}",
)
if len(picked) != 2:
    st.info("Pick the last day of the window.")
    st.stop()
if picked[1] < picked[0]:
    st.error(f"The window's end date ({picked[1]}) is before its start date ({picked[0]}).")
    st.stop()
try:
    window = (pd.Timestamp(picked[0]), pd.Timestamp(picked[1]) + pd.Timedelta(days=1))
    points = explorer.readings(db, user, meter_id, *window)
    found = explorer.issues(db, user, meter_id, *window)
except DQHubError as exc:
    ui.message("error", exc)
    st.stop()

if points.empty:
    st.info(f"No readings for {ui.md(_name('Meter', meter_id))} from {picked[0]} to {picked[1]}.")
else:
    st.altair_chart(explorer.chart(points, found, m["unit"], highlight), width="stretch")

mute_panel.panel("explorer", db, user, meter_id, found, highlight)

st.subheader(f"Issues in this window ({len(found)})")
widgets.flash("explorer")
if found.empty:
    st.caption("No issues overlap this window.")
    st.stop()
view = explorer.table(ui.mask(found), meter_id, highlight, links=not ui.masking_on())
columns = {
    "sandbox": st.column_config.LinkColumn(
        "",
        display_text="Try in sandbox",
        width=100,
        help="Open this detector in the model sandbox on this meter and day, and move its settings",
    ),
    "linked": st.column_config.CheckboxColumn("Linked", help="The issue the link opened"),
    "detector": "Detector",
    "source": "Source",
    "severity": "Severity",
    "status_by": "By",
    "magnitude": st.column_config.NumberColumn("Magnitude", format="%.2f"),
    "start_ts": st.column_config.DatetimeColumn("Start (UTC)", format="YYYY-MM-DD HH:mm"),
    "end_ts": st.column_config.DatetimeColumn("End (UTC)", format="YYYY-MM-DD HH:mm"),
    "status": st.column_config.SelectboxColumn("Status", options=triage.STATUSES, required=True),
    "status_note": st.column_config.TextColumn("Note"),
    "status_at": st.column_config.DatetimeColumn("Changed (UTC)", format="YYYY-MM-DD HH:mm"),
}
if not user.can_triage:
    st.dataframe(view, column_config=columns, hide_index=True)
    st.caption(f"Your role ({ui.md(user.role)}) can read issues but not change them.")
    comments.panel("explorer", db, user, found, highlight)  # every role may comment
    st.stop()
locked = [c for c in view.columns if c not in ("status", "status_note")]
edited = st.data_editor(
    view, column_config=columns, disabled=locked, hide_index=True, key="explorer_editor"
)
pending = explorer.changes(found, edited, st.session_state.setdefault("explorer_seen_at", {}))
if st.button(
    f"Save {len(pending)} change(s)", key="explorer_save", type="primary", disabled=not pending
):
    st.session_state["explorer_flash"] = explorer.save_messages(triage.apply(db, user, pending))
    st.rerun()
comments.panel("explorer", db, user, found, highlight)
