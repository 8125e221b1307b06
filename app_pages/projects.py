"""Projects: morning-overshoot projects for building engineers, their evidence and status."""

import streamlit as st

from core import ui
from core.auth import User
from core.db import Database
from core.errors import DQHubError
from core.ui import status_form, widgets
from core.views.projects import board as projects
from core.views.projects import charts, text
from core.views.projects import evidence as project_evidence

FLASH, SEEN, PICK, FORM = "projects_flash", "projects_seen", "projects_pick", "projects_form"
LABELS, NOTE, TO_DO = projects.STATUS_LABELS, text.NOTE_HINT, projects.DEFAULT_STATUSES
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
    pdb = ui.projects_db(db)
    opts = projects.filter_options(pdb, db, user)
except DQHubError as exc:
    ui.message("error", f"The projects database cannot be read: {exc}")
    st.stop()
if not opts["projects"]:
    st.info(text.NO_PROJECTS)
    st.stop()
st.caption(text.INTRO)

row = st.columns([1.8, 1.2, 1.5, 0.8, 0.8, 1.0], vertical_alignment="bottom")
statuses = widgets.pick(  # statuses shown by their labels
    row[0], "projects", "Status", opts["statuses"], "statuses", None, TO_DO, LABELS.get
)
accounts, buildings = widgets.pick_places(
    row[1], row[2], "projects", opts["accounts"], opts["buildings"]
)
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
    st.info(text.NO_MATCH)
    st.stop()
table = projects.table(ui.mask(df))
st.dataframe(
    table, hide_index=True, column_config=COLUMNS, height=(min(len(table), 10) + 1) * 35 + 3
)
st.caption(
    f"**{len(table)}** project(s) · **\\${df['est_monthly_cost'].sum():,.0f}** a month in "
    "estimated demand charges"
)

names = text.pick_labels(table)
pid = widgets.choose(st, "Project", list(names), names, ui.mode_key(PICK), next(iter(names)))
facts, shown = df.set_index("project_id").loc[pid], table.loc[pid]
key = (facts["month"], facts["source_fault_id"], facts["est_monthly_cost"], db.url, pdb.url)
ev = evidence(db, pdb, user, pid, key)
f = ev.fault or {}
st.subheader(text.heading(shown, facts))
st.caption(text.byline(shown, facts, ev.timezone))
for col, figure in zip(st.columns(5), project_evidence.figures(ev), strict=False):
    col.metric(**figure, delta_color="off")
if not f:
    st.warning(text.NO_FAULT)
st.markdown(ui.md(ui.mask_text(facts["summary"] or "")))  # written by the job; plain text

st.altair_chart(charts.profile_chart(ev.profiles, ev.days, ev.params), width="stretch")
st.caption(text.PROFILES_NOTE)
left, right = st.columns(2)
left.altair_chart(
    charts.peak_chart(ev.days, f.get("top_threshold_kw"), ev.params.top_fraction), width="stretch"
)
left.caption(text.PEAKS_NOTE)
right.altair_chart(charts.startup_chart(ev.days, f.get("usual_startup_minute")), width="stretch")
right.caption(text.STARTUP_NOTE)

st.subheader("Status")
widgets.flash("projects")
status = facts["status"]
n = widgets.generation(FORM, "projects_form_for", pid)  # another project: a blank form
if facts["void"]:
    st.info(text.VOID_NOTE)
elif user.role not in projects.PROJECT_ROLES:
    st.caption(f"Read-only: your role ({ui.md(user.role)}) cannot change projects.")
elif move := status_form.move(
    "projects", n, status, projects.TRANSITIONS[status], LABELS, projects.MAX_NOTE_CHARS, NOTE
):
    seen = st.session_state.get(SEEN, {}).get(pid, status)  # what the form showed
    try:
        projects.set_status(pdb, user, pid, *move, seen)
    except projects.ProjectError as exc:
        st.session_state[FLASH] = [("warning", f"Not saved: {exc}")]
    else:
        st.session_state[FLASH] = [("success", text.moved(shown["building"], move[0], statuses))]
        st.session_state[FORM] = n + 1  # a blank form for the next move
    st.rerun()
st.session_state.setdefault(SEEN, {})[pid] = status
st.dataframe(
    text.history(projects.history(pdb, user, pid)),
    hide_index=True,
    column_config={
        "changed_at": cc.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm", width=130),
        "changed_by": cc.TextColumn("By", width=80),
        "from_status": "From",
        "to_status": "To",
        "note": cc.TextColumn("Note", width=500),
    },
)
