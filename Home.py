"""DQ Hub: the sign-in gate, then navigation to the pages the user's role may open."""

import streamlit as st

from core import ui
from core.errors import DQHubError
from core.ui import gate

# Page key (core.auth.PAGE_ROLES) -> (file, title, icon). Every file in app_pages/ is listed
# here (the folder is not called pages/: see docs/decisions.md).
PAGES = {
    "issues": ("app_pages/issues.py", "Issues", ":material/checklist:"),
    "offline": ("app_pages/offline.py", "Offline devices", ":material/power_off:"),
    "overview": ("app_pages/overview.py", "DQ overview", ":material/monitoring:"),
    "explorer": ("app_pages/explorer.py", "Meter explorer", ":material/query_stats:"),
    "bills": ("app_pages/bills.py", "Utility bills", ":material/receipt_long:"),
    "sandbox": ("app_pages/sandbox.py", "Model sandbox", ":material/science:"),
    "projects": ("app_pages/projects.py", "Projects", ":material/engineering:"),
    "admin": ("app_pages/admin.py", "Admin", ":material/admin_panel_settings:"),
}

st.set_page_config(page_title="DQ Hub", page_icon=":material/fact_check:", layout="wide")
st.set_option("client.showErrorDetails", "none")  # tracebacks go to the server log only

try:
    db = ui.warehouse()
    setup = gate.load_setup(db)
except DQHubError as exc:
    st.error(f"DQ Hub cannot start: {gate.plain(exc)}")
    st.stop()
if setup.demo:
    st.set_option("client.showErrorDetails", "full")  # synthetic data: show developers why

user = gate.current_user(setup, db)
if user is None:
    # The sign-in screen under every page's URL, so a deep link such as /explorer?issue=...
    # survives signing in instead of falling back to the default page.
    gate_pages = [
        st.Page(lambda key=key: gate.sign_in(setup, db, key), title="Sign in", url_path=key)
        for key in PAGES
    ]
    st.navigation(gate_pages, position="hidden").run()
    st.stop()

st.session_state[ui.USER_KEY] = user
st.session_state[ui.SALT_KEY] = gate.mask_salt(setup)

with st.sidebar:
    st.caption(f"Signed in as {gate.plain(user.name)} ({user.role})")
    if setup.demo:
        st.warning("Demo mode: synthetic data and demo logins. Never for real data.",
                   icon=":material/science:")
    if note := ui.cache_note():
        st.caption(note)
    st.toggle(
        "Screen-share mode",
        key=ui.MASK_KEY,
        help="Replace account, building and meter "
        "names with stable pseudonyms on every page and in downloads.",
    )
    if setup.sessions:
        out, everywhere = st.columns(2)
        if out.button("Sign out", key="logout"):
            gate.sign_out(setup, db, user)
        if everywhere.button("Sign out everywhere", key="logout_everywhere",
                             help="End your sessions in every browser"):
            gate.sign_out(setup, db, user, everywhere=True)
    gate.draw_session_cookie()

allowed = {
    key: st.Page(path, title=title, icon=icon, url_path=key)
    for key, (path, title, icon) in PAGES.items()
    if user.can_open(key)
}
nav = st.navigation(list(allowed.values()))
if target := gate.next_page(user):
    st.switch_page(allowed[target[0]], query_params=target[1])
nav.run()
