"""Issue 11.3 in a real browser: a sign-in lasts across reloads, tabs and deep links, and ends.

Run against the users mode on a production-shaped embedded warehouse (a users file and a cookie
key, no demo), and the demo for the deep link before signing in.
"""

import pytest

from core import auth
from core.db import connect
from tests.e2e.conftest import login, new_context, wait_idle

KEY = "k" * 40
# Records any "Page not found" Streamlit shows, from the first paint on.
WATCH_NOT_FOUND = """
window.__notFound = [];
new MutationObserver(() => {
  const t = document.body ? document.body.innerText : "";
  if (t.includes("Page not found")) window.__notFound.push(t.slice(0, 200));
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@pytest.fixture
def users_app(db_path, serve, tmp_path):
    """The app on a warehouse with a users file (alice: staff, root: admin): (base, url)."""
    auth.add_user("alice", "correct horse", "staff", ["acc-01"])
    auth.add_user("root", "battery staple", "admin", "all")
    env = {"DQ_USERS_FILE": str(tmp_path / "users.yaml"), "DQ_COOKIE_KEY": KEY}
    return serve(db_path, **env), db_path


def _cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "dqhub_session"), None)


def _has_cookie(context, page, other_than: str | None = None) -> bool:
    """Wait (5 s at most) until the browser holds a session cookie (a new one)."""
    for _ in range(50):
        if _cookie(context) not in (None, other_than):
            return True
        page.wait_for_timeout(100)
    return False


def _signed_in(page) -> bool:
    page.wait_for_timeout(500)
    page.locator('[data-testid="stApp"]').wait_for(timeout=30_000)
    page.wait_for_function(
        "() => document.body.innerText.includes('Signed in as') || "
        "document.body.innerText.includes('Username')",
        timeout=30_000,
    )
    return "Signed in as" in page.inner_text("body")


def test_a_sign_in_survives_reloads_new_tabs_and_deep_links(users_app, browser):
    base, _ = users_app
    context = new_context(browser)
    context.add_init_script(WATCH_NOT_FOUND)
    page = context.new_page()
    login(page, base, "alice", "correct horse")
    assert _has_cookie(context, page)
    page.reload()
    assert _signed_in(page)
    tab = context.new_page()
    tab.goto(f"{base}/overview")
    assert _signed_in(tab)
    tab.get_by_role("heading", name="DQ overview").wait_for(timeout=30_000)
    deep = context.new_page()
    deep.goto(f"{base}/explorer?meter=m-1")
    assert _signed_in(deep)
    deep.get_by_role("heading", name="Meter explorer").wait_for(timeout=30_000)
    assert "/explorer?meter=m-1" in deep.url
    for p in (page, tab, deep):
        assert p.evaluate("window.__notFound") == []


def test_a_signed_out_deep_link_shows_the_form_not_page_not_found(app_server, browser):
    base, _ = app_server
    context = new_context(browser)
    context.add_init_script(WATCH_NOT_FOUND)
    page = context.new_page()
    page.goto(f"{base}/explorer?meter=m-0001")
    page.get_by_role("textbox", name="Username").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert page.evaluate("window.__notFound") == []


def test_signing_out_ends_the_session_on_the_server(users_app, browser):
    base, _ = users_app
    context = new_context(browser)
    page = context.new_page()
    login(page, base, "alice", "correct horse")
    assert _has_cookie(context, page)
    stolen = [c for c in context.cookies() if c["name"] == "dqhub_session"]
    wait_idle(page)
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_text("You signed out.").wait_for(timeout=30_000)
    page.reload()
    assert not _signed_in(page)
    thief = new_context(browser)  # someone who copied the cookie before the sign-out
    thief.add_cookies(stolen)
    other = thief.new_page()
    other.goto(base)
    assert not _signed_in(other)


def test_sign_out_everywhere_and_a_removed_user(users_app, browser):
    base, url = users_app
    phone, laptop = new_context(browser), new_context(browser)
    p1, p2 = phone.new_page(), laptop.new_page()
    login(p1, base, "alice", "correct horse")
    login(p2, base, "alice", "correct horse")
    assert _has_cookie(phone, p1) and _has_cookie(laptop, p2)
    wait_idle(p1)
    p1.get_by_role("button", name="Sign out everywhere").click()
    p1.get_by_text("You signed out everywhere.").wait_for(timeout=30_000)
    p2.get_by_role("link", name="DQ overview").click()  # the laptop's next click
    p2.get_by_text("signed out everywhere by alice").wait_for(timeout=30_000)
    # a removed user's leftover cookie shows the form, not a traceback
    old = _cookie(phone)
    login(p1, base, "alice", "correct horse")
    assert _has_cookie(phone, p1, other_than=old)
    auth.remove_user("alice")
    p1.reload()
    assert not _signed_in(p1)
    assert "Traceback" not in p1.inner_text("body")
    rows = connect(url).fetch_all(
        "SELECT ended_reason FROM auth_sessions WHERE username = 'alice' ORDER BY created_at"
    )
    assert [r[0] for r in rows] == ["signed out everywhere by alice"] * 2 + ["the user was removed"]
