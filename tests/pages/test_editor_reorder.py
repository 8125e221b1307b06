"""Two sessions on one warehouse: a colleague's change reorders the Issues or Utility bills list
while you edit it; your save still changes exactly the row you edited.

The editors report edits by row position, so each page keeps the rows the edits were typed into
(and indexes the grid by issue id). Session B closes the first row, which leaves the default
open + acknowledged list, so a fresh load would put another issue at the position A edited.
"""

import pytest

from core.auth import User
from core.db import open_warehouse
from tests.core.views.bills.billdata import seed
from tests.pages.pagetest import app, edit

ADA = User("ada", "Ada", "admin", None)
OLLY = User("olly", "Olly", "admin", None)
PAGES = {  # page: (editor key, save button key)
    "issues": ("issues_editor", "issues_save"),
    "bills": ("bills_editor", "bills_save"),
}


@pytest.fixture(params=list(PAGES))
def page(request, demo_warehouse_file, tmp_path):
    """(page, warehouse url): the scored demo for Issues, the hand-made bills for Bills."""
    if request.param == "issues":
        return "issues", demo_warehouse_file[0]
    url = f"duckdb:///{tmp_path}/bills.duckdb"
    seed(open_warehouse(url))
    return "bills", url


def _session(name, url, monkeypatch, user, edits=None):
    at = app(name, url, monkeypatch, user)
    if edits is not None:
        edit(at, PAGES[name][0], edits)
    return at


def _by(db, user):
    return db.fetch_all(
        "SELECT issue_id, status, status_note FROM dq_issues WHERE status_by = ? ORDER BY 1",
        (user.username,),
    )


def test_a_colleagues_change_never_moves_your_edit_to_another_issue(page, monkeypatch):
    name, url = page
    editor, save = PAGES[name]
    db = open_warehouse(url)
    a = _session(name, url, monkeypatch, ADA).run()  # session A loads the list
    assert not a.exception
    shown = list(a.dataframe[0].value.index)
    assert len(shown) >= 3
    first, target = shown[0], shown[1]
    b = _session(name, url, monkeypatch, OLLY, {0: {"status": "ignored"}}).run()
    b.button(key=save).click().run()  # session B closes the first row: the list shifts up
    assert not b.exception
    assert _by(db, OLLY) == [(first, "ignored", None)]
    fresh = _session(name, url, monkeypatch, ADA).run()
    assert list(fresh.dataframe[0].value.index)[0] == target  # a fresh load would have moved it
    # A edits the row it sees second (the edit reruns A's page), then saves.
    edit(a, editor, {1: {"status": "acknowledged", "note": "calling the site"}})
    a.run()
    assert not a.exception
    a.button(key=save).click().run()
    assert not a.exception
    assert _by(db, ADA) == [(target, "acknowledged", "calling the site")]
    assert any("Saved 1 change" in s.value for s in a.success)
