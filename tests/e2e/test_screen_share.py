"""In a real browser: screen-share mode leaks no real name or id, and crafted links stay text.

The scoped demo user ``staff`` (accounts acc-01 and acc-02) signs in, turns on the sidebar's
"Screen-share mode" and walks every page it can open, triggers every download, and follows
deep links (``?issue=`` and ``?meter=``); no real account, building or meter name or id of
any account (read from the warehouse) may appear in the page text, the URL or a downloaded
file. A crafted ``?issue=[Sign in again](https://evil.example)`` must not become a link.
"""

from __future__ import annotations

import pytest

from core.bills import job as bills_job
from core.db import connect, open_warehouse
from core.masking import PSEUDONYM_CHARS
from tests.e2e.conftest import login

PAGES = [
    "Issues",
    "Offline devices",
    "DQ overview",
    "Meter explorer",
    "Utility bills",
    "Model sandbox",
]  # what staff may open (core.auth.PAGE_ROLES)
DOWNLOADS = {
    "Issues": "Download CSV",
    "Offline devices": "Download both lists (CSV)",
    "Utility bills": "Download CSV",
}


@pytest.fixture
def demo_warehouse_file(scored_demo, tmp_path):
    """The scored demo warehouse with bill findings too (the app_server fixture serves it)."""
    url, day, _ = scored_demo
    dst = tmp_path / "shared.duckdb"
    db = open_warehouse(connect(url).copy_to(dst))
    db.execute("UPDATE bills SET usage = 0 WHERE bill_id LIKE '%-202601'")
    bills_job.run(db, day, progress=False)
    return f"duckdb:///{dst}", day


def _real_names(url: str) -> set[str]:
    db = open_warehouse(url)
    rows = db.fetch_all(
        "SELECT DISTINCT account_id, account_name, building_id, building_name, meter_id FROM meters"
    )
    return {str(v) for row in rows for v in row if v} | {
        r[0] for r in db.fetch_all("SELECT bill_id FROM bills")
    }


def _wait_idle(page) -> None:
    page.wait_for_timeout(800)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    page.wait_for_timeout(500)


def _switch(page):
    return page.get_by_role("switch", name="Screen-share mode")


def _share(page) -> None:
    _wait_idle(page)
    _switch(page).wait_for(timeout=60_000)
    page.get_by_text("Screen-share mode").click()
    _wait_idle(page)
    assert _switch(page).is_checked()


def _sign_in_if_asked(page, landed) -> None:
    """After opening a URL: sign in as staff when the form shows, then wait for ``landed``.

    (Whether a new browser is still signed in is the login cookie's business, not this
    test's.)
    """
    form = page.get_by_role("textbox", name="Username")
    form.or_(landed).first.wait_for(timeout=60_000)
    if form.is_visible():
        form.fill("staff")
        page.get_by_role("textbox", name="Password").fill("demo")
        page.get_by_role("button", name="Login").click()
    landed.wait_for(timeout=60_000)


def _download(page, name: str) -> str:
    """Click a download button and return the file it saves (the file is built on click)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    button = page.get_by_role("button", name=name).first
    button.wait_for(timeout=60_000)
    for attempt in range(2):  # a click landing in the middle of a rerun can be lost
        try:
            with page.expect_download(timeout=90_000) as done:
                button.click()
        except PlaywrightTimeout:
            if attempt:
                raise
            _wait_idle(page)
            continue
        with open(done.value.path(), encoding="utf-8") as f:
            return f.read()
    raise AssertionError(f"no download from {name}")


def _leaks(text: str, names: set[str]) -> list[str]:
    return sorted(n for n in names if n in text)


def test_staff_walks_every_page_in_screen_share_mode(app_server, browser, tmp_path):
    base, url = app_server
    names = _real_names(url)
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    login(page, base, "staff")
    _share(page)
    for title in PAGES:
        page.get_by_role("link", name=title).click()
        page.get_by_role(
            "heading", name=title if title != "Utility bills" else "Utility bills", exact=False
        ).first.wait_for(timeout=60_000)
        _wait_idle(page)
        text = page.inner_text("body")
        assert "Account " in text or "Meter " in text or "Building " in text, title
        assert _leaks(text, names) == [], title
        assert _leaks(page.url, names) == [], title
        page.screenshot(path=str(tmp_path / f"{title}.png"), full_page=True)
        if title in DOWNLOADS:
            data = _download(page, DOWNLOADS[title])
            assert len(data.splitlines()) > 1, title
            assert _leaks(data, names) == [], title
            assert any(f"{k} " in data for k in ("Account", "Meter", "Building")), title

    # Deep links, opened in a new browser (signing in on the way): only the keyed issue id is
    # in the URL, and a ?meter= link leaves the URL bar once screen-share mode is on.
    db = open_warehouse(url)
    issue_id, meter = db.fetch_all(
        "SELECT issue_id, meter_id FROM dq_issues WHERE kind = 'meter' AND account_id = 'acc-01' "
        "ORDER BY issue_id LIMIT 1"
    )[0]
    for link in (f"explorer?issue={issue_id}", f"explorer?meter={meter}"):
        fresh = browser.new_context(viewport={"width": 1600, "height": 1000})
        tab = fresh.new_page()
        tab.goto(f"{base}/{link}")
        _sign_in_if_asked(tab, tab.get_by_role("heading", name="Meter explorer"))
        _wait_idle(tab)
        if not _switch(tab).is_checked():
            _share(tab)
        _wait_idle(tab)
        text = tab.inner_text("body")
        assert _leaks(text, names) == [] and _leaks(tab.url, names) == [], link
        heading = tab.get_by_role("heading", level=3).first.inner_text()
        assert heading.startswith("Meter ") and len(heading) == len("Meter ") + PSEUDONYM_CHARS
        assert ("issue=" + issue_id in tab.url) == link.startswith("explorer?issue")
        tab.screenshot(path=str(tmp_path / "deep-link.png"), full_page=True)
        fresh.close()
    context.close()


def test_a_crafted_link_is_shown_as_text(app_server, browser, tmp_path):
    base, _ = app_server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{base}/explorer?issue=[Sign in again](https://evil.example/login)")
    alert = (
        page.locator('[data-testid="stAlertContentError"]').filter(has_text="does not exist").first
    )
    _sign_in_if_asked(page, alert)
    page.screenshot(path=str(tmp_path / "crafted.png"), full_page=True)
    assert "[Sign in again](https://evil.example/login)" in alert.inner_text().replace("\u200b", "")
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert alert.locator("a, strong, em").count() == 0
