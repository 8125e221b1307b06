"""Utility bills: bill-check findings with the bill's figures and the meter's bill history."""

import math

import pandas as pd
import streamlit as st

from core import config, triage, ui
from core.errors import DQHubError
from core.views import issues
from core.views.bills import charts as bill_charts
from core.views.bills import issues as bi

EDITOR, PAGE, LOADED, FLASH, SAVES = (
    "bills_editor", "bills_page", "bills_loaded", "bills_flash", "bills_saves"
)
cc = st.column_config
COLUMNS = {  # editor columns (core.views.bills.issues.table); widths keep status on a laptop screen
    "severity": cc.TextColumn("Severity", width=60), "check": cc.TextColumn("Check", width=135),
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
    "bill": cc.TextColumn("Bill", width=120), "account": "Account",
    "link": cc.LinkColumn("", display_text="Open bill", width=75, help="The bill in the platform"),
    "days": cc.NumberColumn("Days", width=45),
}

user = ui.current_user("bills")
db = ui.warehouse()
st.title("Utility bills")
opts = bi.filter_options(db, user)
if not opts["findings"]:
    st.info("No bill findings yet: the daily bill checks (`python -m jobs run bills`, after "
            "importing bills with `python -m jobs import --bills F`) list them here.")
    st.stop()
st.caption("Findings of the utility-bill checks across your accounts, most severe and oldest "
           "billing period first. Set a status or note in the table and press **Save changes**; "
           "pick a finding below to see the meter's bill history.")
for level, text in st.session_state.pop(FLASH, []):
    ui.message(level, text)
masked = ui.masking_on()
salt = st.session_state.get(ui.SALT_KEY, "") if masked else None  # bill-id pseudonyms


def pick(col, label: str, options, key: str, names: dict | None = None, default=()) -> list:
    """A multiselect where empty means all; names shown as pseudonyms in screen-share mode."""
    def fmt(v: str) -> str:
        return ui.label(label, v) if masked else str(names.get(v, v))

    return col.multiselect(label, options, default or None, format_func=fmt if names else str,
                           key=ui.mode_key(f"bills_{key}") if names else f"bills_{key}",
                           placeholder="All")


row1, row2 = st.columns(4), st.columns(4)
statuses = pick(row1[0], "Status", opts["statuses"], "statuses", default=bi.DEFAULT_STATUSES)
severities = pick(row1[1], "Severity", opts["severities"], "severities")
checks = pick(row1[2], "Check", opts["checks"], "checks")
accounts = pick(row1[3], "Account", list(opts["accounts"]), "accounts", opts["accounts"])
places = {b: n for b, (n, a) in opts["buildings"].items() if not accounts or a in accounts}
buildings = pick(row2[0], "Building", list(places), "buildings", places)
start = row2[1].date_input("Billing period from", None, key="bills_from")
end = row2[2].date_input("Billing period to", None, key="bills_to")
try:
    filters = bi.Filters(checks, severities, statuses, accounts, buildings, start, end)
except bi.FilterError as exc:
    ui.message("error", exc)
    st.stop()

size = config.get("DQ_PAGE_SIZE")
if st.session_state.get("bills_filters") != filters:  # new filters start on page 1
    st.session_state["bills_filters"], st.session_state[PAGE] = filters, 1
query = [filters, st.session_state.get(PAGE, 1), size]
pending = (st.session_state.get(EDITOR) or {}).get("edited_rows")
loaded = st.session_state.get(LOADED)
if pending and loaded and loaded[0] == query:  # keep the rows being edited under the edits
    df, total = loaded[1], loaded[2]
else:
    df, total = bi.list_bill_issues(db, user, *query)
    if query[1] > max(1, math.ceil(total / size)):  # fewer matches than before: last page
        st.session_state[PAGE] = query[1] = max(1, math.ceil(total / size))
        df, total = bi.list_bill_issues(db, user, *query)
    st.session_state[LOADED] = (query, df, total)
if total == 0:
    st.info("No bill findings match these filters. Clear a filter or add statuses to see more.")
    st.stop()

view = bi.mask_ids(db, ui.mask(df), salt)
try:  # no link in screen-share mode: the platform's bill page shows the real names
    links = None if masked or not config.get("DQ_BILL_URL_TEMPLATE") else [
        bi.bill_url(b) for b in df["bill_id"]]
except DQHubError as exc:
    ui.message("warning", f"No links to the platform: {exc}")
    links = None
table = bi.table(view, [bi.describe(d) for d in view["details"]], links)
table.index.name = f"bill-{st.session_state.get(SAVES, 0)}"  # a save starts a clean editor
pages = math.ceil(total / size)
st.caption(f"**{total:,}** findings match · page {query[1]:,} of {pages:,} · costs in $")
edit = user.can_triage
st.data_editor(table, key=EDITOR, hide_index=True, height=min(len(table), 12) * 35 + 40,
               disabled=not edit or [c for c in table.columns if c not in ("status", "note")],
               column_config=COLUMNS)
save_col, page_col, _ = st.columns([1, 1, 3], vertical_alignment="bottom")
if edit and save_col.button("Save changes", type="primary", key="bills_save"):
    edits = (st.session_state.get(EDITOR) or {}).get("edited_rows", {})
    result = triage.apply(db, user, issues.changes(df, edits))
    flash = [("success", f"Saved {len(result.saved)} change(s).")] if result.saved else []
    flash += [("warning", f"Not saved: {why}") for _, why in result.refused]
    st.session_state[FLASH] = flash or [("info", "Nothing to save: nothing was changed.")]
    st.session_state[SAVES] = st.session_state.get(SAVES, 0) + 1
    for key in (EDITOR, LOADED):
        st.session_state.pop(key, None)
    st.rerun()
elif not edit:
    save_col.caption(f"Read-only: your role ({ui.md(user.role)}) cannot change findings.")
page_col.number_input("Page", 1, pages, key=PAGE)
mask, fresh = ui.masker(), ui.click_time_user()  # the CSV is built on click, outside this run
st.download_button(
    f"Download CSV ({min(total, bi.MAX_EXPORT_ROWS):,} rows)", on_click="ignore",
    data=lambda: bi.export_csv(db, fresh(), filters, mask, salt), file_name="bill_findings.csv",
    mime="text/csv", icon=":material/download:", key="bills_download",
)

st.subheader("Bill history")
chosen = st.selectbox(
    "Finding on this page", list(table.index), key=ui.mode_key("bills_pick"),
    format_func=lambda i: " · ".join(
        str(table.at[i, c]) for c in ("check", "severity", "period", "meter", "building")
    ),
)
facts, pos = df.set_index("issue_id").loc[chosen], list(table.index).index(chosen)
left, right = st.columns([1, 2])
left.markdown(bi.figures_markdown(facts, table.at[chosen, "finding"]))
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
    right.caption(f"{len(history)} bills of meter {ui.md(table.at[chosen, 'meter'])}: this bill "
                  "red and shaded, other bills with findings orange, estimated reads hollow "
                  "diamonds. Hover a point for its figures.")
