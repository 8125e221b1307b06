"""Owners: the default owner of each account and building, whom new issues are assigned to."""

import streamlit as st

from core import owners as rules
from core import ui
from core.auth import people
from core.ui import widgets
from core.views import owners

EDITOR, LOADED = "owners_editor", "owners_loaded"
cc = st.column_config

user = ui.current_user("owners")
db = ui.warehouse()
st.title("Owners")
st.caption(
    "Who new issues are assigned to: a building's owner, else its account's. Issues already "
    "found keep their assignee (reassign them on the Issues page). An owner must be a DQ Hub "
    "user who may change issues of that account."
)
widgets.flash("owners")
directory = people.directory(db)
found = owners.rows(db, user, directory)
if found.empty:
    st.info("No accounts yet: import or sync meters, and their accounts and buildings show here.")
    st.stop()

names = dict(
    zip(found["account_id"], found["account_name"].fillna(found["account_id"]), strict=True)
)
picked = widgets.pick(st, "owners", "Account", list(names), "accounts", names)
shown = found[found["account_id"].isin(picked)] if picked else found
state = st.session_state
loaded = state.get(LOADED)
if loaded is None or loaded[0] != picked or not widgets.edits("owners"):
    if loaded is not None and loaded[0] != picked:
        state.pop(EDITOR, None)  # edits were made on other rows
    state[LOADED] = loaded = (picked, shown.reset_index(drop=True))
shown = loaded[1]

unfit = int(shown["problem"].notna().sum())
if unfit:
    ui.message("warning", f"{unfit} owner(s) no longer fit their account: see Problem below.")
table = owners.table(ui.mask(shown))
table.index.name = widgets.editor_name("owners")
st.data_editor(
    table,
    key=EDITOR,
    hide_index=True,
    height=min(len(table), 15) * 35 + 40,
    disabled=[c for c in table.columns if c != "owner"],
    column_config={
        "account": cc.TextColumn("Account", width=180),
        "building": cc.TextColumn("Building", width=200),
        "owner": cc.SelectboxColumn(
            "Owner",
            options=owners.choices(directory, user),
            width=160,
            help="New issues here go to this DQ Hub user; empty: none (the account's owner)",
        ),  # fmt: skip
        "set_by": cc.TextColumn("Set by", width=110),
        "set_at": cc.DatetimeColumn("Set at (UTC)", format="YYYY-MM-DD HH:mm", width=130),
        "problem": cc.TextColumn("Problem", width=220),
    },
)
if st.button("Save owners", type="primary", key="owners_save"):
    edits = owners.edits(shown, widgets.edits("owners"))
    report = rules.save(db, user, edits, directory)
    widgets.finish("owners", owners.messages(report))

st.subheader("Import owners from a CSV")
st.caption(
    "Columns `account_id`, `building_id` (empty: the account's owner) and `owner` (a DQ Hub "
    "user name; empty: remove the default). Bad rows are listed by line and skipped; the good "
    "ones are saved together. The download below is in the same format."
)
upload = st.file_uploader("Owners CSV", type="csv", key="owners_upload")
if st.button("Import", disabled=upload is None, key="owners_import"):
    try:
        report = rules.import_csv(db, upload.getvalue(), upload.name, user, directory)
    except rules.OwnersError as exc:
        ui.message("error", exc)
    else:
        widgets.finish("owners", owners.messages(report), clear=("owners_upload",))
widgets.download_csv(
    "Download owners CSV",
    lambda clicker, mask: rules.export_csv(db, clicker, mask),
    "dq_owners.csv",
    icon=":material/download:",
    key="owners_download",
)
