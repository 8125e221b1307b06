"""DQ Hub: the login gate, then navigation to the pages the user's role may open."""

import streamlit as st
import streamlit_authenticator as stauth

from core import auth, config, ui
from core.errors import DQHubError

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

try:
    login = auth.login_config(ui.warehouse())
except DQHubError as exc:
    st.error(f"DQ Hub cannot start: {exc}")
    st.stop()

authenticator = stauth.Authenticate(
    login.credentials(),
    cookie_name="dqhub_login",
    cookie_key=login.cookie_key,
    cookie_expiry_days=login.cookie_expiry_days,
    auto_hash=False,
    login_sleep_time=config.get("DQ_LOGIN_SLEEP_SECONDS"),
)


def sign_in() -> None:
    """The login form, served at every page's URL until the user is signed in."""
    st.title("DQ Hub")
    authenticator.login(location="main", key="login")
    if st.session_state.get("authentication_status"):
        st.rerun()  # again, now with the real pages at the same URL (query string kept)
    if st.session_state.get("authentication_status") is False:
        st.error("Username or password is incorrect.")
    if login.demo:
        st.info("Demo warehouse: sign in as admin, ds, staff or bse with password `demo`.")


if st.session_state.get("authentication_status") and (
    st.session_state.get("username") not in login.users  # removed since signing in
):
    authenticator.logout(location="unrendered")
    st.session_state.pop(ui.USER_KEY, None)

if not st.session_state.get("authentication_status"):
    # Register the sign-in form under every page's URL so a deep link such as
    # /explorer?issue=... survives signing in instead of falling back to the default page.
    gate = [st.Page(sign_in, title="Sign in", url_path=key) for key in PAGES]
    st.navigation(gate, position="hidden").run()
    st.stop()

user = login.user(st.session_state["username"])
st.session_state[ui.USER_KEY] = user
st.session_state[ui.SALT_KEY] = login.cookie_key

with st.sidebar:
    st.caption(f"Signed in as **{user.name}** ({user.role})")
    if note := ui.cache_note():
        st.caption(note)
    st.toggle(
        "Screen-share mode",
        key=ui.MASK_KEY,
        help="Replace account, building and meter "
        "names with stable pseudonyms on every page and in downloads.",
    )
    authenticator.logout(
        "Sign out",
        location="sidebar",
        key="logout",
        callback=lambda _: st.session_state.pop(ui.USER_KEY, None),
    )

allowed = [
    st.Page(path, title=title, icon=icon, url_path=key)
    for key, (path, title, icon) in PAGES.items()
    if user.can_open(key)
]
st.navigation(allowed).run()
