"""The sign-in gate: who is signed in on this rerun, the sign-in screens and the session cookie.

Home.py calls :func:`load_setup`, then :func:`current_user`; with no user it serves
:func:`sign_in` under every page URL, so a deep link opens its page right after signing in.
The decisions live in ``core.auth`` (testable without Streamlit); this module only reads what
the browser sent and draws.

The ``users`` mode's cookie is written by a small script the authenticated rerun draws in the
sidebar (``st.html``), not by a component that a rerun can cut short: the old sign-in lost its
cookie whenever the rerun right after signing in beat the cookie component.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

import streamlit as st

from core import auth, config
from core.auth import login, people, sessions
from core.auth.setup import AuthSetup
from core.auth.user import PAGE_ROLES, AuthError, User
from core.db.base import Database
from core.errors import DQHubError
from core.markup import md

log = logging.getLogger(__name__)

SID_KEY = "dq_session"  # this browser session's DQ Hub session id
NOTICE_KEY = "dq_auth_notice"  # why the user was signed out, shown above the sign-in form
COOKIE_KEY = "dq_cookie"  # the session cookie this browser should hold: (token, expires) or None
RESOLVE_KEY = "dq_resolve_user"  # re-resolves the user outside a rerun (downloads)
PERSON_KEY = "dq_person_noted"  # oidc/proxy: this session's sign-in is in dq_people
NEXT_COOKIE = "dqhub_next"  # oidc: the page asked for before the identity provider's round trip
_NEXT_DONE = "dq_next_done"
_CLEAR_NEXT = "dq_clear_next"


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets file at all is a valid setup
        return {}


def load_setup(db: Database) -> AuthSetup:
    """The checked sign-in setup (``core.auth.setup``), with Streamlit's secrets for oidc."""
    return auth.setup(db, config.get("DQ_WAREHOUSE"), secrets=_secrets())


def mask_salt(setup: AuthSetup) -> str:
    """The screen-share pseudonym key: derived from the cookie key, never the key itself."""
    return hmac.new(setup.cookie_key.encode(), b"screen-share", hashlib.sha256).hexdigest()


def _peer() -> str | None:
    """The address the connection came from (None where there is none, as under AppTest).

    ``st.context.ip_address`` answers None for loopback, but a sign-in proxy in the same pod or
    host connects from 127.0.0.1: read the connection's own address.
    """
    try:
        from streamlit.runtime.context import _get_client_context

        peer = getattr(_get_client_context(), "remote_ip", None)
    except ImportError:  # a Streamlit without it: fall back to the public, loopback-blind one
        peer = st.context.ip_address
    return peer if isinstance(peer, str) else None


def _cookie(name: str) -> str | None:
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) else None


def _headers() -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in st.context.headers.items()}
    except (AttributeError, TypeError):
        return {}


# --- who is signed in ------------------------------------------------------------------------


def current_user(setup: AuthSetup, db: Database) -> User | None:
    """The user signed in on this rerun, or None; a refused identity stops with a message."""
    if setup.mode == "users":
        user = _users_user(setup, db)
    elif setup.mode == "oidc":
        user = _oidc_user(setup, db)
    else:
        user = _proxy_user(setup)
    if user is not None:
        st.session_state[RESOLVE_KEY] = _resolver(setup, db)
        _note_person(setup, db, user)
    return user


def _note_person(setup: AuthSetup, db: Database, user: User) -> None:
    """Record (oidc and proxy modes) the role and accounts of a sign-in, once per session.

    They are who issues can be assigned to in those modes (:mod:`core.auth.people`). A failed
    write is logged, never a reason to refuse the sign-in.
    """
    noted = (user.username, user.role, user.accounts)
    if setup.mode == "users" or st.session_state.get(PERSON_KEY) == noted:
        return
    try:
        people.note_sign_in(db, user)
    except DQHubError:
        log.exception("could not record the sign-in of %s in dq_people", user.username)
    st.session_state[PERSON_KEY] = noted


def _signed_out(reason: str | None) -> None:
    for key in (SID_KEY, RESOLVE_KEY):
        st.session_state.pop(key, None)
    st.session_state[COOKIE_KEY] = None  # drop the browser's cookie on the next draw
    if reason:
        st.session_state[NOTICE_KEY] = reason


def _users_user(setup: AuthSetup, db: Database) -> User | None:
    sid = st.session_state.get(SID_KEY)
    if sid is None:
        held = sessions.read_token(_cookie(sessions.COOKIE), setup.cookie_key)
        if held is None:
            return None
        sid = held[0]
    try:
        user = login.resume(db, setup, sid)
    except AuthError as exc:
        _signed_out(str(exc))
        return None
    st.session_state[SID_KEY] = sid
    return user


def _oidc_claims() -> dict | None:
    if not st.user.is_logged_in:
        return None
    return {k: v for k, v in st.user.to_dict().items() if k != "tokens"}


def _oidc_user(setup: AuthSetup, db: Database) -> User | None:
    claims = _oidc_claims()
    if claims is None:
        return None
    try:
        user, sid = login.oidc_user(db, setup, claims)
    except AuthError as exc:
        st.title("DQ Hub")
        st.warning(md(exc), icon=":material/lock:")
        if st.button("Sign out", key="oidc_refused_sign_out"):
            st.logout()
        st.stop()
    st.session_state[SID_KEY] = sid
    return user


def _proxy_user(setup: AuthSetup) -> User:
    try:
        return login.proxy_user(
            setup, _peer(), _headers(),
            config.get("DQ_AUTH_PROXY_HEADER"), config.get("DQ_AUTH_PROXY_GROUPS_HEADER"),
        )  # fmt: skip
    except AuthError as exc:
        st.title("DQ Hub")
        st.error(md(exc), icon=":material/lock:")
        st.stop()


def _resolver(setup: AuthSetup, db: Database) -> Callable[[], User]:
    """The user as they are when called (later, in another thread): session and grants reread."""
    sid = st.session_state.get(SID_KEY)
    claims = _oidc_claims() if setup.mode == "oidc" else None
    headers = _headers() if setup.mode == "proxy" else {}
    peer = _peer()
    secrets = _secrets()

    def resolve() -> User:
        fresh = auth.setup(db, config.get("DQ_WAREHOUSE"), secrets=secrets)
        if fresh.mode == "users" and sid:
            return login.resume(db, fresh, sid)
        if fresh.mode == "oidc" and claims:
            return login.oidc_user(db, fresh, claims)[0]
        if fresh.mode == "proxy":
            return login.proxy_user(
                fresh, peer, headers, config.get("DQ_AUTH_PROXY_HEADER"),
                config.get("DQ_AUTH_PROXY_GROUPS_HEADER"),
            )  # fmt: skip
        raise AuthError("Sign in again.")

    return resolve


def click_time_user() -> Callable[[], User]:
    """A function giving the signed-in user as they are when a download is clicked.

    Deferred download callables run outside the script run; building the file for the user as
    they were when the page was drawn would serve a signed-out or demoted user.
    """
    resolve = st.session_state.get(RESOLVE_KEY)
    if resolve is None:

        def signed_out() -> User:
            raise AuthError("Sign in again.")

        return signed_out
    return resolve


# --- signing in and out ----------------------------------------------------------------------


def sign_in(setup: AuthSetup, db: Database, page_key: str) -> None:
    """The sign-in screen of ``setup.mode``, served at the URL of page ``page_key``."""
    st.title("DQ Hub")
    if notice := st.session_state.pop(NOTICE_KEY, None):
        st.info(md(notice), icon=":material/logout:")
    if setup.mode == "users":
        _password_form(setup, db)
    elif setup.mode == "oidc":
        _remember_next(page_key)
        st.caption("DQ Hub uses your company account.")
        if st.button("Sign in with your company account", type="primary", key="oidc_sign_in"):
            st.login()
    _draw_cookie()


def _password_form(setup: AuthSetup, db: Database) -> None:
    if setup.demo:
        st.info("Demo warehouse: sign in as admin, ds, staff or bse with password `demo`.")
    with st.form("login"):
        username = st.text_input("Username", key="login_username", max_chars=128)
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Login", type="primary")
    if not submitted:
        return
    client = login.client_address(_peer(), _headers(), setup)
    try:
        user, sid = login.sign_in(db, setup, username, password, client)
    except AuthError as exc:
        st.error(md(exc), icon=":material/block:")
        return
    st.session_state[SID_KEY] = sid
    st.session_state[COOKIE_KEY] = sessions.token(sid, user.username, setup.cookie_key)
    st.rerun()  # again, now with the real pages at the same URL (query string kept)


def sign_out(setup: AuthSetup, db: Database, user: User, everywhere: bool = False) -> None:
    """End this session (or every session of ``user``) on the server, then show the sign-in."""
    sid = st.session_state.get(SID_KEY)
    if everywhere:
        reason = f"signed out everywhere by {user.username}"
        sessions.end_user(login.live(db), user.username, reason)
    elif sid:
        sessions.end(login.live(db), sid, "signed out")
    _signed_out("You signed out everywhere." if everywhere else "You signed out.")
    if setup.mode == "oidc":
        # The browser is sent to the provider's sign-out; a rerun here would start a new script
        # run, which clears the unsent redirect message from the queue to the browser.
        st.logout()
        st.stop()
    st.rerun()


def _draw_cookie() -> None:
    """Make the browser hold exactly the session cookie this session wants (or none)."""
    if COOKIE_KEY not in st.session_state:
        return
    wanted = st.session_state[COOKIE_KEY]
    if wanted is None:
        gone = f"{sessions.COOKIE}=; Path=/; Max-Age=0; SameSite=Lax"
        script = f"document.cookie = {json.dumps(gone)};"
    else:
        token, expires = wanted
        when = _http_date(expires)
        value = f"{sessions.COOKIE}={token}; Path=/; Expires={when}; SameSite=Lax"
        script = (
            f"document.cookie = {json.dumps(value)} + "
            "(location.protocol === 'https:' ? '; Secure' : '');"
        )
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def _http_date(naive_utc: datetime) -> str:
    return naive_utc.strftime("%a, %d %b %Y %H:%M:%S GMT")


# --- after an identity provider's round trip -------------------------------------------------


def _remember_next(page_key: str) -> None:
    """oidc: keep the asked-for page and query in a short cookie across the provider's redirect."""
    query = urlencode(list(st.query_params.to_dict().items()))
    value = json.dumps(f"{NEXT_COOKIE}={page_key}?{query}; Path=/; Max-Age=600; SameSite=Lax")
    st.html(f"<script>document.cookie = {value};</script>", unsafe_allow_javascript=True)


def next_page(user: User) -> tuple[str, dict[str, str]] | None:
    """The page (and query) asked for before an oidc sign-in, once, if the user may open it."""
    if st.session_state.get(_NEXT_DONE):
        return None
    st.session_state[_NEXT_DONE] = True
    raw = _cookie(NEXT_COOKIE) or ""
    key, _, query = raw.partition("?")
    if not raw:
        return None
    st.session_state[_CLEAR_NEXT] = True  # the sidebar drops the cookie from now on
    if key not in PAGE_ROLES or not user.can_open(key):
        return None
    return key, dict(parse_qsl(query)[:20])


def draw_session_cookie() -> None:
    """Signed-in reruns draw the cookie scripts too (in the sidebar), until the tab is reloaded.

    Drawn on every rerun rather than once: a rerun cut short by the next click would otherwise
    lose the one draw (the cookie never written, or a used deep link followed again).
    """
    _draw_cookie()
    if st.session_state.get(_CLEAR_NEXT):
        gone = json.dumps(f"{NEXT_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax")
        st.html(f"<script>document.cookie = {gone};</script>", unsafe_allow_javascript=True)
