"""Issues: my queue, or every meter issue of the user's accounts; filter, triage, assign, export."""

import streamlit as st

from core import config, triage, ui
from core.ui import comments, widgets
from core.views import issues

EDITOR, PAGE = "issues_editor", "issues_page"
cc = st.column_config
# column: (label, width in px); widths keep status and note on a laptop screen, and fit
# screen-share pseudonyms ("Meter 7C1E0BQ4XA")
TEXT_COLUMNS = {
    "severity": ("Severity", 70),
    "detector": ("Detector", 120),
    "account": ("Account", 145),
    "building": ("Building", 150),
    "meter": ("Meter", 130),
    "magnitude": ("Magnitude", 130),
    "source": ("Source", 70),
}

user = ui.current_user("issues")
db = ui.warehouse()
st.title("Issues")
opts = issues.filter_options(db, user)
if not opts["issues"]:
    st.info("No meter issues yet: the daily DQ job (`python -m jobs run dq`) lists them here.")
    st.stop()
in_queue = widgets.queue("issues", issues.queue_counts(db, user))
st.caption(
    ("Your queue: the issues assigned to you, then the unassigned ones in your accounts; "
     if in_queue else "Meter issues across your accounts; ")
    + "most severe and oldest first. Set a status, assignee or note in the table and press "
    "**Save changes**; tick rows to change several at once."
)  # fmt: skip
widgets.flash("issues")
names = issues.assignees(db, user)


def pick(col, label: str, options: list, key: str, names: dict | None = None, default=()) -> list:
    """A filter of this page (``core.ui.widgets.pick``)."""
    return widgets.pick(col, "issues", label, options, key, names, default)


row1, row2 = st.columns(5), st.columns([1.2, 1.2, 0.8, 0.8, 0.9, 0.9])
statuses = pick(row1[0], "Status", opts["statuses"], "statuses", default=issues.DEFAULT_STATUSES)
severities = pick(row1[1], "Severity", opts["severities"], "severities")
detectors = pick(row1[2], "Detector", opts["detectors"], "detectors")
sources = pick(row1[3], "Source", opts["sources"], "sources")
who = widgets.pick(row1[4], "issues", "Assignee", [issues.UNASSIGNED, *names], "assignees",
                   shown_as=lambda v: v or widgets.NOBODY_LABEL)  # fmt: skip
picked, places = widgets.pick_places(
    row2[0], row2[1], "issues", opts["accounts"], opts["buildings"]
)
kinds = pick(row2[2], "Meter kind", opts["meter_kinds"], "kinds")
min_hours = row2[3].number_input("Min hours", 0.0, step=1.0, format="%g", key="issues_min_hours")
start = row2[4].date_input("From (UTC)", None, key="issues_from")
end = row2[5].date_input("To (UTC)", None, key="issues_to")
try:
    filters = issues.Filters(
        detectors, severities, statuses, picked, places, kinds, sources, start, end, min_hours,
        who, user.username if in_queue else None,
    )  # fmt: skip
except issues.FilterError as exc:
    ui.message("error", exc)
    st.stop()

size = config.get("DQ_PAGE_SIZE")
page = widgets.paged(
    "issues", filters, size, lambda n: issues.list_issues(db, user, filters, n, size)
)
df, total = page.rows, page.total
if total == 0:
    st.info("No issues match these filters. Clear a filter, add statuses or show All issues.")
    st.stop()

table = issues.table(ui.mask(df))
table.index.name = widgets.editor_name("issues")  # issue ids + saves: the editor's identity
st.caption(f"**{total:,}** issues match · page {page.number:,} of {page.pages:,}")
edit, assign = user.can_triage, user.can("assign")
editable = ("select", "status", "note") * edit + ("select", "assignee") * assign
people = sorted(set(names) | set(df["assignee"].dropna()))
st.data_editor(
    table,
    key=EDITOR,
    hide_index=True,
    height=min(len(table), 15) * 35 + 40,
    column_order=None if editable else [c for c in table.columns if c != "select"],
    disabled=not editable or [c for c in table.columns if c not in editable],
    column_config={
        **{c: cc.TextColumn(label, width=w) for c, (label, w) in TEXT_COLUMNS.items()},
        "select": cc.CheckboxColumn("", help="Select for the bulk change below", width=36),
        "explorer": cc.LinkColumn(
            "", display_text="Explore", width=60, help="Open the meter explorer at this issue"
        ),
        "start": cc.DatetimeColumn("Start (UTC)", format="YYYY-MM-DD HH:mm", width=125),
        "end": cc.DatetimeColumn("End (UTC)", format="YYYY-MM-DD HH:mm", width=125),
        "duration_h": cc.NumberColumn("Hours", format="%.1f", width=55),
        "status": cc.SelectboxColumn("Status", options=triage.STATUSES, required=True, width=115),
        "assignee": cc.SelectboxColumn("Assignee", options=people, width=120),
        "note": cc.TextColumn("Note", max_chars=2000, width=180),
    },
)
edits = widgets.edits("issues")
save_col, *bulk_cols, page_col = st.columns([1, 1, 1.4, 1, 1, 0.8], vertical_alignment="bottom")
if editable:
    save = save_col.button("Save changes", type="primary", key="issues_save")
    chosen = sum(bool(e.get("select")) for e in edits.values())
    bulk = widgets.bulk(
        bulk_cols, "issues", triage.STATUSES * edit, names if assign else None, chosen
    )
    if save or bulk.apply:
        changes = issues.changes(df, edits, *bulk.fields())
        widgets.save("issues", db, user, changes, clear=("issues_bulk_note",))
else:
    save_col.caption(f"Read-only: your role ({ui.md(user.role)}) cannot change issues.")
page_col.number_input("Page", 1, page.pages, key=PAGE)
widgets.download_csv(
    f"Download CSV ({min(total, issues.MAX_EXPORT_ROWS):,} rows)",
    lambda clicker, mask: issues.export_csv(db, clicker, filters, mask),
    "dq_issues.csv",
    icon=":material/download:",
    key="issues_download",
)
comments.panel("issues", db, user, ui.mask(df))  # the detail: a picked issue's thread
