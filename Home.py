"""DQ Hub: the sign-in gate, then navigation to the pages the user's role may open."""

import streamlit as st

from core import ui
from core.errors import DQHubError
from core.markup import md
from core.pages import PAGES
from core.ui import gate

st.set_page_config(page_title="DQ Hub", page_icon=":material/fact_check:", layout="wide")
st.set_option("client.showErrorDetails", "none")  # tracebacks go to the server log only

try:
    db = ui.warehouse()
    setup = gate.load_setup(db)
except DQHubError as exc:
    st.error(f"DQ Hub cannot start: {md(exc)}")
    st.stop()
if setup.demo:
    st.set_option("client.showErrorDetails", "full")  # synthetic data: show developers why

user = gate.current_user(setup, db)
if user is None:
    # The sign-in screen under every page's URL, so a deep link such as /explorer?issue=...
    # survives signing in instead of falling back to the default page.
    gate_pages = [
        st.Page(lambda key=p.key: gate.sign_in(setup, db, key), title="Sign in", url_path=p.key)
        for p in PAGES
    ]
    st.navigation(gate_pages, position="hidden").run()
    st.stop()

st.session_state[ui.USER_KEY] = user
st.session_state[ui.SALT_KEY] = gate.mask_salt(setup)
ui.restore_screen_share()  # a new tab of a user who is sharing their screen starts masked

with st.sidebar:
    st.caption(f"Signed in as {md(user.name)} ({user.role})")
    if setup.demo:
        st.warning(
            "Demo mode: synthetic data and demo logins. Never for real data.",
            icon=":material/science:",
        )
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
        if everywhere.button(
            "Sign out everywhere",
            key="logout_everywhere",
            help="End your sessions in every browser",
        ):
            gate.sign_out(setup, db, user, everywhere=True)
    gate.draw_session_cookie()

allowed = {
    p.key: st.Page(p.file, title=p.title, icon=p.icon, url_path=p.key)
    for p in PAGES
    if user.can_open(p.key)
}
nav = st.navigation(list(allowed.values()))
if target := gate.next_page(user):
    st.switch_page(allowed[target[0]], query_params=target[1])
nav.run()
