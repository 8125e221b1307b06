"""Shared AppTest helpers for page tests: open a page as a user, and collect what it renders."""

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "app_pages"
HOME = str(ROOT / "Home.py")
TEXT_KINDS = ("title", "subheader", "markdown", "caption", "info", "success", "error", "warning")


def app(page: str, url: str, monkeypatch, user=None, query=None, **state) -> AppTest:
    """``app_pages/<page>.py`` on warehouse ``url``, signed in as ``user`` (None: signed out),
    opened with the URL's ``query`` parameters."""
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=60)
    if user is not None:
        at.session_state["dq_user"] = user
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    return at


# A backslash escape (one backslash, or two as a proto's text form writes it) before ASCII
# punctuation, and the zero-width space core.markup puts after ":" and "@" (raw or as octal).
_ESCAPES = re.compile(r"\\{1,2}(?=[!-/:-@\[-`{-~])|\u200b|\\342\\200\\213")


def plain(text: str) -> str:
    """Markdown written by ``core.markup.md`` as the reader sees it (escapes removed)."""
    return _ESCAPES.sub("", text)


def rendered(at: AppTest) -> tuple[str, set[str]]:
    """All prose, metric, button and expander labels (as read); every table cell, header, index."""
    text = [plain(e.value) for kind in TEXT_KINDS for e in getattr(at, kind)]
    text += [f"{m.label} {m.value}" for m in at.metric]
    text += [b.label for b in at.button] + [e.label for e in at.expander]
    cells = set()
    for df in at.dataframe:
        frame = df.value
        cells |= {str(v) for v in frame.to_numpy().ravel()} | set(map(str, frame.columns))
        cells |= set(map(str, frame.index))
    return " ".join(text), cells


def edit(at: AppTest, key: str, edited_rows: dict) -> None:
    """Set a data editor's pending edits (AppTest cannot type into the grid)."""
    at.session_state[key] = {"edited_rows": edited_rows, "added_rows": [], "deleted_rows": []}


def sent(at: AppTest) -> str:
    """Everything sent to the browser: every element's proto (labels, options, cells, charts)."""
    out = [str(el.proto) for block in (at.main, at.sidebar) for el in block if hasattr(el, "proto")]
    out += [df.value.to_csv() for df in at.dataframe]
    text = "\n".join(out)
    return text + "\n" + plain(text)  # Markdown-escaped names count as shown


def home(url: str, monkeypatch) -> AppTest:
    """Home.py (the sign-in gate and navigation) on warehouse ``url``."""
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    return AppTest.from_file(HOME, default_timeout=60)


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    """Run ``at``, fill the sign-in form and submit it (when the app offers one)."""
    at.run()
    if not any(t.key == "login_username" for t in at.text_input):
        return at
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()
    return at.run()


def signed_in(at: AppTest) -> bool:
    """Whether the run shows the app (a user in session state), not the sign-in form."""
    return "dq_user" in at.session_state and not any(
        t.key == "login_username" for t in at.text_input
    )
