"""Offline devices: meters silent at the last DQ run, with owner and next step to follow up."""

import pandas as pd
import streamlit as st

from core import triage, ui
from core.ui import widgets
from core.views import offline
from core.views.overview import START_HINT

EDITOR = "offline_editor"  # st.data_editor state: {"edited_rows": {row: {column: value}}, ...}
FLASH = "offline_flash"  # messages of the last save, shown after the rerun
LOADED = "offline_loaded"  # the rows under pending edits: positions stay those the user saw
SAVES = "offline_saves"  # save counter: part of the editor's identity (a save starts clean)

user = ui.current_user("offline")
db = ui.warehouse()
st.title("Offline devices")

widgets.flash("offline")

found = offline.offline_devices(db, user)
if found.as_of is None:
    st.info(START_HINT)
    st.stop()

day = (found.as_of - pd.Timedelta(days=1)).date()
st.caption(
    f"Meters that stopped reporting and were still silent when the last scored day ({day}) "
    f"ended, at {found.as_of:%Y-%m-%d %H:%M} UTC. Times are UTC and hours offline are counted to "
    "that moment; the next daily DQ run updates the list. A meter leaves it when it reports "
    "again or is marked resolved."
)
now, dormant = found.now, found.dormant
for col, (label, value) in zip(st.columns(4), offline.figures(found, day), strict=True):
    col.metric(label, value)

TIME, cc = "YYYY-MM-DD HH:mm", st.column_config
COLUMNS = {  # shown columns, in order; ids other than the meter's stay on the server
    offline.SELECT: cc.CheckboxColumn("Select", help="For the Mark buttons", width=80),
    "meter_id": cc.TextColumn("Meter", width=130),  # fits a pseudonym such as "Meter 7C1E0BQ4XA"
    "source": cc.TextColumn("Feed", help=offline.FEED_HELP, width=80),
    "building_name": cc.TextColumn("Building"),
    "account_name": cc.TextColumn("Account", width=170),
    "start_ts": cc.DatetimeColumn("Offline since", format=TIME),
    "hours_offline": cc.NumberColumn("Hours off", format="%.1f", width="small"),
    "status": cc.TextColumn("Status", help="acknowledged = contacted", width=105),
    "owner": cc.TextColumn(
        "Owner",
        help="Who follows this meter up",
        width="small",
        max_chars=triage.MAX_CHARS["owner"],
    ),
    "next_step": cc.TextColumn(
        "Next step",
        help="e.g. call the site manager",
        width="medium",
        max_chars=triage.MAX_CHARS["next_step"],
    ),
    "status_note": cc.TextColumn("Note"),
    "last_reading": cc.TextColumn("Last reading", help="Value before it went silent"),
    "last_ts": cc.DatetimeColumn("Last reading at", format=TIME),
}


def _view(rows: pd.DataFrame) -> pd.DataFrame:
    return ui.mask(rows).assign(**{offline.SELECT: False})[list(COLUMNS)]


def _editor_rows(fresh: pd.DataFrame) -> pd.DataFrame:
    """Rows for the editor: the ones pending edits were typed into, else the fresh list.

    Another session's change (new order, a new meter) therefore never shifts pending edits.
    """
    pending = (st.session_state.get(EDITOR) or {}).get("edited_rows")
    if pending and isinstance(st.session_state.get(LOADED), pd.DataFrame):
        return st.session_state[LOADED]
    st.session_state[LOADED] = fresh
    return fresh


def _table(rows: pd.DataFrame) -> None:
    st.dataframe(_view(rows).drop(columns=offline.SELECT), column_config=COLUMNS, hide_index=True,
                 placeholder="")  # fmt: skip


def _save(rows: pd.DataFrame, status: str | None = None, note: str | None = None) -> None:
    """Save the edits typed into ``rows`` (the frame the editor showed), keyed by issue id."""
    edits = offline.edits_by_issue(rows, widgets.edits("offline"))
    result = offline.save(db, user, offline.changes(rows, edits, status, note))
    meters = dict(zip(rows["issue_id"], rows["meter_id"], strict=True))
    saved = ", ".join(ui.label("Meter", meters[i]) for i in result.saved)
    flash = [("success", f"Saved {len(result.saved)} meter(s): {saved}.")] if saved else []
    flash += [("error", f"{ui.label('Meter', meters[i])}: {why}") for i, why in result.refused]
    st.session_state[FLASH] = flash
    st.session_state[SAVES] = st.session_state.get(SAVES, 0) + 1
    for key in (EDITOR, LOADED):  # show the stored values, not the old edits
        st.session_state.pop(key, None)


st.subheader("Offline now")
if now.empty:
    st.success("No meter is offline right now.")
elif not user.can_triage:
    _table(now)
    st.caption(f"Read-only: your role ({ui.md(user.role)}) cannot change issues.")
else:
    st.caption("Type an owner or a next step in the table and save, or tick rows and mark them.")
    rows = _editor_rows(now)
    view = _view(rows)
    # Issue ids (index, hidden) are part of the editor's identity: if the rows ever differ from
    # those the edits were typed into, the editor starts clean instead of moving the edits.
    view.index = pd.Index(rows["issue_id"], name=widgets.editor_name("offline"))
    st.data_editor(
        view,
        key=EDITOR,
        column_config=COLUMNS,
        disabled=[c for c in COLUMNS if c not in (offline.SELECT, *offline.EDITABLE)],
        hide_index=True,
        placeholder="",
    )
    edits = offline.edits_by_issue(rows, widgets.edits("offline"))
    pending = len(offline.changes(rows, edits))
    ticked = sum(bool(e.get(offline.SELECT)) for e in edits.values())
    b1, b2, b3, _ = st.columns([3, 2, 2, 3])
    b1.button(f"Save owner / next step ({pending})", key="offline_save", type="primary",
              disabled=not pending, on_click=_save, args=(rows,))  # fmt: skip
    b2.button(f"Mark contacted ({ticked})", key="offline_contacted", disabled=not ticked,
              on_click=_save, args=(rows, *offline.CONTACTED),
              help="Status acknowledged, note 'contacted'; other edits are saved too")  # fmt: skip
    b3.button(f"Mark resolved ({ticked})", key="offline_resolved", disabled=not ticked,
              on_click=_save, args=(rows, *offline.RESOLVED),
              help="The meter is back or fixed; it leaves this list")  # fmt: skip

st.subheader(f"Dormant: offline for more than {found.dormant_days} days")
if dormant.empty:
    st.caption(f"None: no meter has been offline for more than {found.dormant_days} days.")
else:
    st.markdown(
        f"Silent for more than {found.dormant_days} days, so kept off the daily list. "
        f"{offline.ARCHIVE_HINT}"
    )
    _table(dormant)

widgets.download_csv(
    "Download both lists (CSV)",
    lambda clicker, mask: offline.export_csv(db, clicker, mask),
    f"offline-devices-{day}.csv",
    help="Masked in screen-share mode",
)
