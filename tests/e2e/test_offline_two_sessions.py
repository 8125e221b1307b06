"""In a real browser: another session reorders the Offline devices list while you type an owner
into a row; saving changes exactly that meter's issue."""

from core import triage
from core.auth import User
from core.db import connect
from core.views import offline
from tests.e2e.conftest import login

ADMIN = User("admin", "Admin", "admin", None)
OLLY = User("olly", "Olly", "staff", None)
OWNER_COLUMN = 8  # Select, Meter, Feed, Building, Account, Offline since, Hours off, Status, Owner
ROW_HEIGHT = 35  # header and body rows of st.data_editor


def _wait_idle(page) -> None:
    page.wait_for_timeout(1000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )


def test_a_colleagues_reorder_never_moves_your_typed_owner(app_server, browser, tmp_path):
    base, url = app_server
    db = connect(url)
    listed = offline.offline_devices(db, ADMIN).now
    assert len(listed) >= 4 and (listed["status"] == "open").all()
    # One row was contacted earlier (so the Note column already holds text: the grid's shape
    # stays the same when the colleague marks another row below).
    triage.set_status(db, OLLY, listed["issue_id"].iloc[-1], "acknowledged", "contacted")
    before = offline.offline_devices(db, ADMIN).now
    target = before.iloc[1]

    page = browser.new_page(viewport={"width": 1900, "height": 1000})
    login(page, base, "admin")
    page.get_by_role("link", name="Offline devices").click()
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=30_000)
    _wait_idle(page)

    # The colleague marks the first row contacted: it moves below the open ones.
    triage.set_status(db, OLLY, before["issue_id"].iloc[0], "acknowledged", "contacted")
    assert offline.offline_devices(db, ADMIN).now["issue_id"].iloc[1] != target["issue_id"]

    # Type an owner into the second row: select its Meter cell (read-only, so the click edits
    # nothing), walk right to Owner, open its editor with Enter, type, commit with Enter.
    box = grid.bounding_box()
    x, y = box["x"] + 120, box["y"] + ROW_HEIGHT * 2.5
    page.mouse.move(x - 5, y)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.up()
    page.wait_for_timeout(300)
    for _ in range(OWNER_COLUMN - 1):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    cell = page.locator("#portal textarea, #portal input").first
    cell.wait_for(timeout=10_000)
    cell.fill("ada")
    page.keyboard.press("Enter")
    _wait_idle(page)
    page.get_by_role("button", name="Save owner / next step (1)").click()
    page.get_by_text("Saved 1 meter(s)").wait_for(timeout=30_000)
    _wait_idle(page)
    page.screenshot(path=str(tmp_path / "offline.png"), full_page=True)
    owners = connect(url).fetch_all("SELECT issue_id FROM dq_issues WHERE owner = 'ada'")
    assert owners == [(target["issue_id"],)]
