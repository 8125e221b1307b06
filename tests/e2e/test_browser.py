"""End to end in a real browser: sign in, triage an issue on the Issues page, follow a deep link."""

from core.auth import User
from core.db import connect
from core.views import issues
from tests.e2e.conftest import login

STATUS_COLUMN_X = 36 + 70 + 120 + 145 + 150 + 130 + 60 + 125 + 130 + 50  # middle of "Status"
ROW_HEIGHT = 35  # header and body rows of st.data_editor


def _wait_idle(page) -> None:
    page.wait_for_timeout(1000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )


def _first_row(url: str, username: str) -> dict:
    db = connect(url)
    staff = User(username, username, "staff", frozenset({"acc-01", "acc-02"}))
    df, _ = issues.list_issues(db, staff, issues.Filters(statuses=issues.DEFAULT_STATUSES))
    return df.iloc[0].to_dict()


def test_staff_changes_a_status_in_the_browser(app_server, browser, tmp_path):
    base, url = app_server
    first = _first_row(url, "staff")
    page = browser.new_page(viewport={"width": 1700, "height": 1000})
    login(page, base, "staff")
    page.get_by_role("link", name="Issues").click()  # in-app navigation keeps the session
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # the canvas draws after the element appears
    box = grid.bounding_box()
    # The grid is a canvas: hover the first row's Status cell, click it, Enter opens its editor.
    x, y = box["x"] + STATUS_COLUMN_X, box["y"] + ROW_HEIGHT * 1.5
    page.mouse.move(x - 5, y)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.up()
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    page.locator("#portal input").first.fill("acknowledged")
    page.keyboard.press("Enter")
    _wait_idle(page)  # the edit reaches the server in a rerun before Save may be pressed
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Saved 1 change(s).").wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "issues.png"), full_page=True)

    db = connect(url)
    row = db.fetch_all(
        "SELECT status, status_by FROM dq_issues WHERE issue_id = ?", (first["issue_id"],)
    )
    assert row == [("acknowledged", "staff")]
    events = db.fetch_all(
        "SELECT changed_by, from_status, to_status FROM issue_events WHERE issue_id = ?",
        (first["issue_id"],),
    )
    assert events == [("staff", "open", "acknowledged")]
    assert (tmp_path / "issues.png").stat().st_size > 10_000


def test_deep_link_survives_signing_in(app_server, browser):
    base, url = app_server
    first = _first_row(url, "staff")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{base}/explorer?issue={first['issue_id']}")
    page.get_by_role("textbox", name="Username").fill("staff")
    page.get_by_role("textbox", name="Password").fill("demo")
    page.get_by_role("button", name="Login").click()
    page.get_by_role("heading", name="Meter explorer").wait_for(timeout=30_000)
    page.get_by_role("heading", name=first["meter_id"]).wait_for(timeout=30_000)
    assert f"issue={first['issue_id']}" in page.url
