"""Projects: morning-overshoot projects for building engineers, their evidence and status."""

import pandas as pd
import streamlit as st

from core import config, ui
from core.auth import User
from core.db import Database
from core.errors import DQHubError
from core.overshoot import store
from core.ui import widgets
from core.views.projects import board as projects
from core.views.projects import charts
from core.views.projects import evidence as project_evidence

FLASH, SEEN, PICK, FORM = "projects_flash", "projects_seen", "projects_pick", "projects_form"
LABELS = projects.STATUS_LABELS
cc = st.column_config
COLUMNS = {  # columns of core.views.projects.board.table; widths fit a laptop screen
    "building": cc.TextColumn("Building", width=170),
    "account": cc.TextColumn("Account", width=130),
    "project": "Project",
    "status": cc.TextColumn("Status", width=85),
    "cost": cc.NumberColumn(
        "Est. $/month",
        format="$%,.0f",
        width=90,
        help="Estimated demand charge: worst excess kW x the demand rate",
    ),
    "month": cc.TextColumn("Month", width=65, help="The month of the evidence"),
    "overshoot_days": cc.NumberColumn("Overshoots", width=75, help="Overshoot mornings"),
    "top_hits": cc.NumberColumn(
        "Top hits", width=65, help="Overshoots among the month's highest daily peaks"
    ),
    "worst_excess_kw": cc.NumberColumn(
        "Worst kW",
        format="%.1f",
        width=70,
        help="Worst morning peak minus that day's plateau median",
    ),
    "worst_day": cc.DateColumn("Worst day", width=90),
    "updated_at": cc.DateColumn("Updated", width=90, help="Day of the last change (UTC)"),
    "updated_by": cc.TextColumn("By", width=65),
}


@st.cache_resource(show_spinner=False)
def projects_db(_db: Database, warehouse_url: str, url: str) -> Database:
    """The faults and projects database, migrated once per process and pair of URLs.

    It is ``_db`` (the warehouse) when ``url`` is empty.
    """
    return store.projects_db(_db, url)


@st.cache_data(ttl=600, max_entries=32, show_spinner="Loading the month's demand ...")
def evidence(
    _db: Database, _pdb: Database, user: User, pid: str, key: tuple
) -> project_evidence.Evidence:
    """A project's evidence, kept (up to 10 minutes) while its month, fault and databases stay."""
    return project_evidence.evidence(_db, _pdb, user, pid)


user = ui.current_user("projects")
db = ui.warehouse()
st.title("Projects")
try:
    pdb = projects_db(db, db.url, config.get("DQ_PROJECTS_DB_URL"))
    opts = projects.filter_options(pdb, db, user)
except DQHubError as exc:
    ui.message("error", f"The projects database cannot be read: {exc}")
    st.stop()
if not opts["projects"]:
    st.info(
        "No projects yet. The monthly morning-overshoot scan creates one per building whose "
        "mornings overshoot its usual demand: run `python -m jobs run overshoot --month "
        "YYYY-MM` (the scheduler runs it monthly), then reload this page."
    )
    st.stop()
st.caption(
    "Morning demand overshoots across your accounts, largest estimated demand charge "
    "first. Pick a project to see the evidence and move it along."
)
masked = ui.masking_on()


def pick(col, label: str, options, key: str, names=None, default=()) -> list:
    """A filter of this page (``core.ui.widgets.pick``); statuses shown by their labels."""
    return widgets.pick(col, "projects", label, options, key, names, default, LABELS.get)


row = st.columns([1.8, 1.2, 1.5, 0.8, 0.8, 1.0], vertical_alignment="bottom")
statuses = pick(row[0], "Status", opts["statuses"], "statuses", None, projects.DEFAULT_STATUSES)
accounts = pick(row[1], "Account", list(opts["accounts"]), "accounts", opts["accounts"])
places = {b: n for b, (n, a) in opts["buildings"].items() if not accounts or a in accounts}
buildings = pick(row[2], "Building", list(places), "buildings", places)
months = row[3].multiselect("Month", opts["months"], key="projects_months", placeholder="All")
min_cost = row[4].number_input("Min $/month", 0.0, step=100.0, format="%g", key="projects_min")
void = row[5].toggle(
    "Show void",
    key="projects_void",
    help=f"{opts['void']} void project(s): drafts whose building did not overshoot in a later scan",
)
filters = projects.Filters(accounts, buildings, statuses, months, min_cost, void)
df = projects.list_projects(pdb, db, user, filters)
if df.empty:
    st.info("No projects match these filters. Clear a filter, add statuses or show void ones.")
    st.stop()
table = projects.table(ui.mask(df))
st.dataframe(
    table, hide_index=True, column_config=COLUMNS, height=(min(len(table), 10) + 1) * 35 + 3
)
st.caption(
    f"**{len(table)}** project(s) · **\\${df['est_monthly_cost'].sum():,.0f}** a month in "
    "estimated demand charges"
)

# No status in the labels: a picked option keeps its label in the browser while it stays picked.
names = {pid: f"{r.building} · {r.month} · ${r.cost:,.0f}/month" for pid, r in table.iterrows()}
pick_key = ui.mode_key(PICK)
if st.session_state.get(pick_key) not in names:  # filtered away: take the first
    st.session_state[pick_key] = next(iter(names))  # set, not dropped: the browser shows it
pid = st.selectbox("Project", list(names), format_func=names.get, key=pick_key)
facts, shown = df.set_index("project_id").loc[pid], table.loc[pid]
ev = evidence(
    db,
    pdb,
    user,
    pid,
    (facts["month"], facts["source_fault_id"], facts["est_monthly_cost"], db.url, pdb.url),
)
f = ev.fault or {}
kind = projects.TYPE_LABELS.get(facts["type"], facts["type"])
st.subheader(f"{ui.md(shown['building'])} · {ui.md(kind)} · {ui.md(facts['month'])}")
st.caption(
    f"{ui.md(shown['account'])} · status **{ui.md(shown['status'])}**"
    + (" · void: no overshoot in a later scan" if facts["void"] else "")
    + f" · times are local to the building ({ui.md(ev.timezone)})"
)
for col, figure in zip(st.columns(5), project_evidence.figures(ev), strict=False):
    col.metric(**figure, delta_color="off")
if not f:
    st.warning("This month was scanned again and no longer shows a fault for this building.")
st.markdown(ui.md(ui.mask_text(facts["summary"] or "")))  # written by the job; plain text

st.altair_chart(charts.profile_chart(ev.profiles, ev.days, ev.params), width="stretch")
st.caption(
    "Red: overshoot mornings · blue: counted days (complete weekdays without a blocking "
    "data-quality issue) · grey: weekends and days that do not count. Shaded: the morning "
    "window searched for the startup peak, and the plateau window of normal demand."
)
left, right = st.columns(2)
left.altair_chart(
    charts.peak_chart(ev.days, f.get("top_threshold_kw"), ev.params.top_fraction), width="stretch"
)
left.caption(
    "The month's highest peak sets the demand charge: an overshoot at or above the "
    "dashed line is what raises it."
)
right.altair_chart(charts.startup_chart(ev.days, f.get("usual_startup_minute")), width="stretch")
right.caption(
    "Startup: the first morning slot above halfway between night and plateau demand. "
    "Equipment starting together, or earlier than usual, often causes the overshoot."
)

st.subheader("Status")
for level, text in st.session_state.pop(FLASH, []):
    ui.message(level, text)
status = facts["status"]
# The form's widgets are keyed by a counter, bumped by another project or a save: a blank form.
if st.session_state.get("projects_form_for") != pid:
    st.session_state["projects_form_for"] = pid
    st.session_state[FORM] = st.session_state.get(FORM, 0) + 1
n = st.session_state.get(FORM, 0)
moves = projects.TRANSITIONS[status]
if facts["void"]:
    st.info(
        "Void projects are read-only; the scan brings this one back as a draft if its "
        "building overshoots again."
    )
elif user.role not in projects.PROJECT_ROLES:
    st.caption(f"Read-only: your role ({ui.md(user.role)}) cannot change projects.")
else:
    with st.form("projects_status"):
        c1, c2 = st.columns([1, 3])
        to = c1.selectbox(
            f"Move from {LABELS[status]} to",
            moves,
            format_func=LABELS.get,
            key=f"projects_to_{n}_{status}",
        )  # new moves: a new widget
        note = c2.text_area(
            "Note",
            max_chars=projects.MAX_NOTE_CHARS,
            key=f"projects_note_{n}",
            height=80,
            placeholder="What you found or did (required for Won't do and for reopening)",
        )
        if st.form_submit_button("Change status", type="primary"):
            seen = st.session_state.get(SEEN, {}).get(pid, status)  # what the form showed
            try:
                projects.set_status(pdb, user, pid, to, note, seen)
            except projects.ProjectError as exc:
                st.session_state[FLASH] = [("warning", f"Not saved: {exc}")]
            else:
                moved = f"Moved {shown['building']} to {LABELS[to]}."
                if statuses and to not in statuses:
                    moved += " It no longer matches the status filter, so it left the list."
                st.session_state[FLASH] = [("success", moved)]
                st.session_state[FORM] = n + 1
            st.rerun()
st.session_state.setdefault(SEEN, {})[pid] = status
events = projects.history(pdb, user, pid)
for column in ("from_status", "to_status"):
    events[column] = ["—" if pd.isna(s) else LABELS.get(s, s) for s in events[column]]
st.dataframe(
    events,
    hide_index=True,
    column_config={
        "changed_at": cc.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm", width=130),
        "changed_by": cc.TextColumn("By", width=80),
        "from_status": "From",
        "to_status": "To",
        "note": cc.TextColumn("Note", width=500),
    },
)
