"""The one Streamlit-aware core module: the signed-in user, the databases and screen-share mode.

Pages call these instead of reading ``st.session_state`` themselves, so every page handles an
expired session and masking the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from core import config, markup, masking
from core.auth import User
from core.db import Database
from core.db.cache import CachedWarehouse, app_database

md = markup.md  # text from data or URLs inside a Markdown string: shown as itself, never markup
USER_KEY = "dq_user"
MASK_KEY = "dq_mask"
SALT_KEY = "dq_mask_salt"


@st.cache_resource(show_spinner="Copying the warehouse into the local cache...")
def _warehouse(url: str, cache_path: str) -> Database:
    return app_database(url, cache_path)


def warehouse() -> Database:
    """The warehouse of ``DQ_WAREHOUSE`` (migrated once per process and URL).

    A remote warehouse is read through its local cache (``DQ_CACHE_PATH``), refreshed in the
    background when older than ``DQ_CACHE_REFRESH_SECONDS``.
    """
    db = _warehouse(config.get("DQ_WAREHOUSE"), config.get("DQ_CACHE_PATH"))
    if isinstance(db, CachedWarehouse):
        db.refresh_if_old()
    return db


@st.cache_resource(show_spinner=False)
def _projects_db(_db: Database, warehouse_url: str, url: str) -> Database:
    from core.overshoot import store

    return store.projects_db(_db, url)


def projects_db(db: Database) -> Database:
    """Where faults and projects live: ``DQ_PROJECTS_DB_URL``, or ``db`` (the warehouse).

    Migrated once per process and pair of URLs. Raises ``ConfigError`` for a URL that is not
    PostgreSQL and ``WarehouseError`` for a database that cannot be reached.
    """
    return _projects_db(db, db.url, config.get("DQ_PROJECTS_DB_URL"))


def cache_note() -> str | None:
    """How fresh the cached data is ("Data as of ..."), or None when pages read live data."""
    db = warehouse()
    if not isinstance(db, CachedWarehouse):
        return None
    at = db.refreshed_at()
    if at is None:
        return "Data: no cached copy yet"
    age = (datetime.now(UTC).replace(tzinfo=None) - at).total_seconds() / 60
    return f"Data as of {at:%Y-%m-%d %H:%M} UTC ({age:.0f} min ago; cached copy)"


def current_user(page: str | None = None) -> User:
    """The signed-in user; stops the page with a message when signed out or not allowed."""
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, User):
        st.warning("Your session has ended. Sign in again on the home page.")
        try:
            st.page_link("Home.py", label="Sign in", icon=":material/login:")
        except st.errors.StreamlitAPIException:
            pass  # Home.py is the entrypoint, not an st.Page: no link outside its navigation
        st.stop()
    if page is not None and not user.can_open(page):
        st.error(f"Your role ({user.role}) cannot open this page.")
        st.stop()
    return user


_SHARING: set[str] = set()  # users whose screen-share mode is on, as this process last saw


def masking_on() -> bool:
    """Whether screen-share mode is on for this session."""
    return bool(st.session_state.get(MASK_KEY, False))


def restore_screen_share() -> None:
    """Start a new session in screen-share mode when its user has it on in another one.

    A new tab, a reload or a deep link (an Issues row's "Explore" opens one) is a new
    Streamlit session, which would start unmasked in the middle of a screen share. Call this
    in Home.py on every run, after the signed-in user is set and before drawing the
    "Screen-share mode" toggle (key ``MASK_KEY``): it notes whether the user is sharing, and
    a new session of a sharing user starts with the toggle on. Turning it off anywhere ends it
    for the next new sessions. Remembered per server process (a restart forgets it).
    """
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, User):
        return
    if MASK_KEY in st.session_state:  # the toggle's value, already updated for this run
        (_SHARING.add if st.session_state[MASK_KEY] else _SHARING.discard)(user.username)
    elif user.username in _SHARING:
        st.session_state[MASK_KEY] = True


def mask(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with names replaced by pseudonyms in screen-share mode (tables and downloads)."""
    if not masking_on():
        return df
    return masking.mask_frame(df, st.session_state.get(SALT_KEY, ""))


def masker() -> Callable[[pd.DataFrame], pd.DataFrame]:
    """``mask`` bound to this session's mode now, for code run outside the script run.

    A download button's deferred ``data`` callable runs in another thread, where the session
    (and so screen-share mode) cannot be read; capture it while the page renders.
    """
    if not masking_on():
        return lambda df: df
    salt = st.session_state.get(SALT_KEY, "")
    return lambda df: masking.mask_frame(df, salt)


def label(kind: str, value: object) -> str:
    """One id or name as shown: itself, or its pseudonym in screen-share mode."""
    if not masking_on():
        return "" if value is None else str(value)
    return masking.pseudonym(kind, value, st.session_state.get(SALT_KEY, ""))


def mode_key(key: str) -> str:
    """A widget key per screen-share mode, the current choice carried over.

    The browser keeps a picked option's label while a widget keeps its key, so a filter that
    showed a real account name would go on showing it after screen-share mode is switched on.
    """
    masked = masking_on()
    own, other = key + "_masked" * masked, key + "_masked" * (not masked)
    if other in st.session_state and own not in st.session_state:
        st.session_state[own] = st.session_state[other]
    return own


def _salt() -> str:
    return st.session_state.get(SALT_KEY, "")


def mask_text(text: object) -> str:
    """``text`` with its account, building, meter and bill names as pseudonyms when sharing.

    Unchanged outside screen-share mode. For messages and free-text cells that may name them.
    """
    if not masking_on() or text is None:
        return "" if text is None else str(text)
    return masking.mask_text(text, masking.known_terms(warehouse(), [text]), _salt())


def mask_texts(values: pd.Series) -> pd.Series:
    """:func:`mask_text` over a column of free text, with one lookup for all of it."""
    if not masking_on() or values.empty:
        return values
    terms = masking.known_terms(warehouse(), values.dropna().unique())
    return values.map(
        lambda v: v if v is None or pd.isna(v) else masking.mask_text(v, terms, _salt())
    )


def message(level: str, text: object, icon: str | None = None, where: object = None) -> None:
    """Show ``text`` with ``st.<level>`` (info, success, warning, error, toast) as plain text.

    For text that may come from data, an exception or the URL: never read as Markdown, and
    names masked in screen-share mode. ``where``: a column or container (default: the page).
    """
    getattr(where or st, level)(md(mask_text(text)), icon=icon)


def click_time_user() -> Callable[[], User]:
    """The signed-in user as they are when a download is clicked (``core.ui.gate``)."""
    from core.ui import gate

    return gate.click_time_user()
