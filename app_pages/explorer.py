"""Meter explorer: one meter's readings with its issues shaded, and triage of those issues."""

import pandas as pd
import streamlit as st

from core import triage, ui
from core.detectors import REGISTRY
from core.dq import mutes
from core.errors import DQHubError
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
    st.info(
        f"No meter matches '{ui.md(search)}'."
        if search
        else "No meters in the warehouse "
        "yet: import some (`python -m jobs import`) or seed the demo (`python -m jobs demo`)."
    )
    st.stop()
labels = {
    r.meter_id: f"{_name('Meter', r.meter_id)} · {r.kind} · "
    f"{_name('Building', r.building_id, r.building_name)} · "
    f"{_name('Account', r.account_id, r.account_name)}"
    for r in options.itertuples()
}
if len(options) >= explorer.PICKER_LIMIT:
    st.caption(f"Showing the first {explorer.PICKER_LIMIT} meters; search to narrow the list.")
# A new widget when sharing starts or the options change (a search): the browser keeps showing a
# widget's old label otherwise. The key is a counter: element ids reach the browser.
if st.session_state.get("explorer_options") != list(labels):
    st.session_state["explorer_options"] = list(labels)
    st.session_state["explorer_meter_n"] = st.session_state.get("explorer_meter_n", 0) + 1
pick = ui.mode_key(f"explorer_meter_{st.session_state['explorer_meter_n']}")
last = st.session_state.get("explorer_last_meter")
if linked:
    st.session_state[pick] = linked
elif pick not in st.session_state and last in labels:
    st.session_state[pick] = last  # the search still lists the meter on screen: keep it
meter_id = st.selectbox("Meter", list(labels), format_func=labels.get, key=pick, on_change=_unlink)
st.session_state["explorer_last_meter"] = meter_id

m = explorer.meter(db, user, meter_id)
st.subheader(ui.md(_name("Meter", meter_id)))
st.caption(
    f"{ui.md(m['kind'].capitalize())} in {ui.md(m['unit'])} every {m['interval_minutes']} min · "
    f"{ui.md(_name('Building', m['building_id'], m['building_name']))} · "
    f"{ui.md(_name('Account', m['account_id'], m['account_name']))} · local time zone "
    f"{ui.md(m['timezone'])}; times here are UTC"
)
# A new meter or link gets a fresh window widget (and so its default window); the key is a
# counter because element ids reach the browser and must not carry a real meter id.
if st.session_state.get("explorer_window_for") != (meter_id, highlight):
    st.session_state["explorer_window_for"] = (meter_id, highlight)
    st.session_state["explorer_window_n"] = st.session_state.get("explorer_window_n", 0) + 1
start, end = linked_window or explorer.default_window(db, user, meter_id)
picked = st.date_input(
    "Window (UTC days, inclusive)",
    (start.date(), (end - pd.Timedelta(days=1)).date()),
    key=f"explorer_window_{st.session_state['explorer_window_n']}",
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

active = mutes.active(db, user, meter_id)
with st.expander(f"Muted detectors ({len(active)})", expanded=bool(len(active))):
    st.caption("A muted detector's findings on this meter are kept with status muted but leave "
               "the to-do list until the day after the mute ends (e.g. a known broken meter "
               "waiting for a technician).")  # fmt: skip
    for r in active.itertuples():
        c1, c2 = st.columns([5, 1])
        c1.text(f"{r.detector} until {r.until_day} by {r.created_by}: {r.reason}")
        if user.can_triage and c2.button("End", key=f"explorer_unmute_{r.Index}"):
            try:
                n = mutes.end(db, user, r.mute_id)
                st.session_state["explorer_flash"] = [("success", f"Mute ended; {n} reopened.")]
            except DQHubError as exc:
                st.session_state["explorer_flash"] = [("error", str(exc))]
            st.rerun()
    if user.can_triage:
        with st.form("explorer_mute", clear_on_submit=True):
            c1, c2 = st.columns(2)
            names = list(REGISTRY)  # the linked issue's detector first, else the window's
            shown = found.set_index("issue_id")["detector"]
            pick = shown.get(highlight, shown.iloc[0] if len(shown) else names[0])
            detector = c1.selectbox(
                "Detector", names, index=names.index(pick), key="explorer_mute_detector"
            )
            until = c2.date_input("Until (inclusive)", pd.Timestamp.now("UTC").date()
                                  + pd.Timedelta(days=7), key="explorer_mute_until")  # fmt: skip
            reason = st.text_input(
                "Reason",
                key="explorer_mute_reason",
                placeholder="e.g. CT clamp broken, technician booked",
            )
            if st.form_submit_button("Mute"):
                try:
                    mutes.mute(db, user, meter_id, detector, until, reason)
                    st.session_state["explorer_flash"] = [
                        ("success", f"{detector} muted on this meter until {until}.")
                    ]
                except DQHubError as exc:
                    st.session_state["explorer_flash"] = [("error", str(exc))]
                st.rerun()

st.subheader(f"Issues in this window ({len(found)})")
for kind, text in st.session_state.pop("explorer_flash", []):
    ui.message(kind, text)
if found.empty:
    st.caption("No issues overlap this window.")
    st.stop()
# Indexed by issue id: the editor's identity then follows the rows, so edits never carry over
# to another meter's table with the same number of rows.
view = ui.mask(found).set_index("issue_id")
if highlight in view.index:
    view.insert(0, "linked", view.index == highlight)
if not ui.masking_on():  # the link carries the real meter id
    view["sandbox"] = explorer.sandbox_links(found, meter_id).to_numpy()
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
    st.stop()
locked = [c for c in view.columns if c not in ("status", "status_note")]
edited = st.data_editor(
    view, column_config=columns, disabled=locked, hide_index=True, key="explorer_editor"
)
pending = explorer.changes(found, edited, st.session_state.setdefault("explorer_seen_at", {}))
if st.button(
    f"Save {len(pending)} change(s)", key="explorer_save", type="primary", disabled=not pending
):
    result = triage.apply(db, user, pending)
    flash = [("error", reason) for _, reason in result.refused]
    if result.saved:
        flash.insert(0, ("success", f"Saved {len(result.saved)} change(s)."))
    if result.refused:
        flash.append(("info", "Undo a refused edit in the table (or reload) and edit again."))
    st.session_state["explorer_flash"] = flash
    st.rerun()
