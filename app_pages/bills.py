"""Utility bills: bill-check findings with the bill's figures and the meter's bill history."""

import pandas as pd
import streamlit as st

from core import config, triage, ui
from core.errors import DQHubError
from core.ui import widgets
from core.views import issues
from core.views.bills import charts as bill_charts
from core.views.bills import issues as bi
from core.views.bills import report
from core.views.bills import text as bt

EDITOR, PAGE = "bills_editor", "bills_page"
cc = st.column_config
COLUMNS = {  # editor columns (core.views.bills.issues.table); widths keep status on a laptop screen
    "severity": cc.TextColumn("Severity", width=60),
    "check": cc.TextColumn("Check", width=135),
    "building": cc.TextColumn("Building", width=150),
    "period": cc.TextColumn("Billing period", width=165),
    "usage": cc.NumberColumn("Usage", format="%,.0f", width=75),
    "unit": cc.TextColumn("Unit", width=40),
    "use_per_day": cc.NumberColumn("Use/day", format="%,.1f", width=65, help="Usage per day"),
    "cost": cc.NumberColumn("Cost", format="dollar", width=85),
    "cost_per_unit": cc.NumberColumn("$/unit", format="$%.4f", width=65, help="Cost / usage"),
    "estimated": cc.CheckboxColumn("Est.", width=40, help="The utility estimated the read"),
    "status": cc.SelectboxColumn("Status", options=triage.STATUSES, required=True, width=110),
    "note": cc.TextColumn("Note", max_chars=2000, width=150),
    "finding": cc.TextColumn("Details", width=300, help="What the check measured"),
    "meter": cc.TextColumn("Meter", width=130, help="— = a bill for the whole building"),
    "bill": cc.TextColumn("Bill", width=120),
    "account": "Account",
    "link": cc.LinkColumn("", display_text="Open bill", width=75, help="The bill in the platform"),
    "days": cc.NumberColumn("Days", width=45),
}

user = ui.current_user("bills")
db = ui.warehouse()
st.title("Utility bills")
opts = bi.filter_options(db, user)
if not opts["findings"]:
    st.info(
        "No bill findings yet: the daily bill checks (`python -m jobs run bills`, after "
        "importing bills with `python -m jobs import --bills F`) list them here."
    )
    st.stop()
st.caption(
    "Findings of the utility-bill checks across your accounts, most severe and oldest "
    "billing period first. Set a status or note in the table and press **Save changes**; "
    "pick a finding below to see the meter's bill history."
)
widgets.flash("bills")
masked = ui.masking_on()
salt = st.session_state.get(ui.SALT_KEY, "") if masked else None  # bill-id pseudonyms
row1, row2 = st.columns(4), st.columns(4)
statuses, severities, checks = (
    widgets.pick(col, "bills", label, opts[key], key, default=default)
    for col, label, key, default in (
        (row1[0], "Status", "statuses", bi.DEFAULT_STATUSES),
        (row1[1], "Severity", "severities", ()),
        (row1[2], "Check", "checks", ()),
    )
)
accounts, buildings = widgets.pick_places(
    row1[3], row2[0], "bills", opts["accounts"], opts["buildings"]
)
start = row2[1].date_input("Billing period from", None, key="bills_from")
end = row2[2].date_input("Billing period to", None, key="bills_to")
try:
    filters = bi.Filters(checks, severities, statuses, accounts, buildings, start, end)
except bi.FilterError as exc:
    ui.message("error", exc)
    st.stop()

size = config.get("DQ_PAGE_SIZE")
page = widgets.paged(
    "bills", filters, size, lambda n: bi.list_bill_issues(db, user, filters, n, size)
)
df, total = page.rows, page.total
if total == 0:
    st.info("No bill findings match these filters. Clear a filter or add statuses to see more.")
    st.stop()

view = bt.mask_ids(db, ui.mask(df), salt)
links, no_links = bt.bill_links(df["bill_id"], masked)  # none in screen-share mode
if no_links:
    ui.message("warning", no_links)
table = bi.table(view, [bt.describe(d) for d in view["details"]], links)
table.index.name = widgets.editor_name("bills")  # a save starts a clean editor
st.caption(f"**{total:,}** findings match · page {page.number:,} of {page.pages:,} · costs in $")
edit = user.can_triage
st.data_editor(
    table,
    key=EDITOR,
    hide_index=True,
    height=min(len(table), 12) * 35 + 40,
    disabled=not edit or [c for c in table.columns if c not in ("status", "note")],
    column_config=COLUMNS,
)
save_col, page_col, _ = st.columns([1, 1, 3], vertical_alignment="bottom")
if edit and save_col.button("Save changes", type="primary", key="bills_save"):
    widgets.save("bills", db, user, issues.changes(df, widgets.edits("bills")))
elif not edit:
    save_col.caption(f"Read-only: your role ({ui.md(user.role)}) cannot change findings.")
page_col.number_input("Page", 1, page.pages, key=PAGE)
widgets.download_csv(
    f"Download CSV ({min(total, bi.MAX_EXPORT_ROWS):,} rows)",
    lambda clicker, mask: bi.export_csv(db, clicker, filters, mask, salt),
    "bill_findings.csv",
    icon=":material/download:",
    key="bills_download",
)
widgets.download(
    f"Download the bill report (.xlsx, {min(total, report.REPORT_ROWS):,} findings)",
    lambda clicker, mask: report.workbook(db, clicker, filters, mask, salt),
    f"bill_report_{pd.Timestamp.now('UTC'):%Y-%m-%d}.xlsx",
    icon=":material/table_view:",
    key="bills_report",
)

st.subheader("Bill history")
chosen = st.selectbox(
    "Finding on this page",
    list(table.index),
    key=ui.mode_key("bills_pick"),
    format_func=lambda i: " · ".join(
        str(table.at[i, c]) for c in ("check", "severity", "period", "meter", "building")
    ),
)
facts, pos = df.set_index("issue_id").loc[chosen], list(table.index).index(chosen)
left, right = st.columns([1, 2])
left.markdown(bt.figures_markdown(facts, table.at[chosen, "finding"]))
if links and links[pos]:
    left.link_button("Open the bill in the platform", links[pos], icon=":material/open_in_new:")
if pd.isna(facts["meter_id"]):
    right.info("This bill is for the whole building (no meter): no meter history to chart.")
else:
    try:
        history = bi.bill_history(db, user, facts["meter_id"])
    except DQHubError as exc:  # the meter left the meters table since the check ran
        ui.message("error", exc, where=right)
        st.stop()
    for chart in bill_charts.history_charts(history, facts["bill_id"]):
        right.altair_chart(chart, width="stretch")
    right.caption(
        f"{len(history)} bills of meter {ui.md(table.at[chosen, 'meter'])}: this bill "
        "red and shaded, other bills with findings orange, estimated reads hollow "
        "diamonds. Hover a point for its figures."
    )
