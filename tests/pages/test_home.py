"""The sign-in gate and navigation, as a user meets them (users mode; oidc and proxy in e2e/)."""

from pathlib import Path

import pytest

from core import auth
from core.ui import gate
from tests.pages.pagetest import home as app
from tests.pages.pagetest import plain, signed_in
from tests.pages.pagetest import sign_in as login

ROOT = Path(__file__).resolve().parents[2]
TITLES = {
    "issues": "Issues",
    "offline": "Offline devices",
    "overview": "DQ overview",
    "explorer": "Meter explorer",
    "bills": "Utility bills",
    "sandbox": "Model sandbox",
    "projects": "Projects",
    "owners": "Owners",
    "admin": "Admin",
}
EVERYONE = {"DQ overview", "Meter explorer", "Model sandbox"}
TRIAGE = {"Issues", "Offline devices", "Utility bills"}
KEY = "k" * 40


def test_login_form_first(demo_warehouse_file, monkeypatch):
    at = app(demo_warehouse_file[0], monkeypatch).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "password `demo`" in at.info[0].value


@pytest.mark.parametrize(("username", "password"), [("staff", "wrong"), ("nobody", "demo")])
def test_wrong_password_or_unknown_user_is_refused(
    demo_warehouse_file, monkeypatch, username, password
):
    at = login(app(demo_warehouse_file[0], monkeypatch), username, password)
    assert not at.exception
    assert plain(at.error[0].value) == "Username or password is incorrect."
    assert not signed_in(at)


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("admin", EVERYONE | TRIAGE | {"Projects", "Owners", "Admin"}),
        ("ds", EVERYONE | TRIAGE | {"Projects", "Owners"}),
        ("staff", EVERYONE | TRIAGE),
        ("bse", EVERYONE | {"Projects"}),
    ],
)
def test_good_login_shows_only_the_role_pages(demo_warehouse_file, monkeypatch, role, pages):
    at = login(app(demo_warehouse_file[0], monkeypatch), role, "demo")
    assert not at.exception
    assert signed_in(at)
    user = at.session_state["dq_user"]
    assert (user.username, user.role) == (role, role)
    assert {TITLES[p] for p in auth.PAGE_ROLES if user.can_open(p)} == pages
    assert f"({role})" in at.sidebar.caption[0].value


def test_demo_staff_is_scoped_to_two_accounts(demo_warehouse_file, monkeypatch):
    at = login(app(demo_warehouse_file[0], monkeypatch), "staff", "demo")
    assert at.session_state["dq_user"].accounts is not None
    assert len(at.session_state["dq_user"].accounts) == auth.DEMO_STAFF_ACCOUNTS


def test_production_warehouse_without_users_stops_with_a_message(db_path, monkeypatch):
    at = app(db_path, monkeypatch).run()
    assert not at.exception
    assert "No users configured" in at.error[0].value
    assert not at.text_input


def test_production_warehouse_with_a_short_cookie_key_stops(db_path, monkeypatch):
    auth.add_user("alice", "pw", "admin", "all")
    monkeypatch.setenv("DQ_COOKIE_KEY", "short")
    at = app(db_path, monkeypatch).run()
    assert "at least 32 characters" in at.error[0].value
    assert not at.text_input


def test_production_warehouse_configured_user_logs_in(db_path, monkeypatch):
    auth.add_user("alice", "correct horse", "staff", ["acc-01"])
    monkeypatch.setenv("DQ_COOKIE_KEY", KEY)
    at = login(app(db_path, monkeypatch), "alice", "correct horse")
    assert not at.exception
    assert at.session_state["dq_user"].accounts == frozenset({"acc-01"})
    # demo users do not exist outside the demo warehouse
    other = login(app(db_path, monkeypatch), "admin", "demo")
    assert "incorrect" in other.error[0].value


def test_every_page_file_is_in_the_page_table_and_the_table_drives_home():
    from core.pages import PAGES

    on_disk = {f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py")}
    unlisted = on_disk - {p.file for p in PAGES}
    assert not unlisted, (
        f"{sorted(unlisted)} not in the page table: add a Page(...) line to PAGES in "
        "core/pages.py (README, 'Add a page')"
    )
    assert on_disk and on_disk == {p.file for p in PAGES}
    assert "PAGES" in (ROOT / "Home.py").read_text()
    # A folder named pages/ would make Streamlit serve its files directly, past the login gate.
    assert not (ROOT / "pages").exists()


def test_a_removed_user_is_signed_out_on_the_next_run(db_path, monkeypatch):
    auth.add_user("alice", "pw", "staff", ["acc-01"])
    auth.add_user("root", "pw", "admin", "all")
    monkeypatch.setenv("DQ_COOKIE_KEY", KEY)
    at = login(app(db_path, monkeypatch), "alice", "pw")
    assert at.session_state["dq_user"].username == "alice"
    auth.remove_user("alice")
    at.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "no longer exists" in at.info[0].value


def test_signing_out_shows_the_form_and_ends_the_session(db_path, monkeypatch):
    auth.add_user("alice", "pw", "staff", ["acc-01"])
    monkeypatch.setenv("DQ_COOKIE_KEY", KEY)
    at = login(app(db_path, monkeypatch), "alice", "pw")
    sid = at.session_state[gate.SID_KEY]
    at.sidebar.button(key="logout").click().run()
    assert not at.exception and not signed_in(at)
    assert "You signed out" in at.info[0].value
    assert at.session_state[gate.COOKIE_KEY] is None  # the page drops the browser's cookie
    from core.auth import sessions
    from core.db import connect

    assert not sessions.check(connect(db_path), sid).ok


def test_the_signed_in_page_draws_the_session_cookie(db_path, monkeypatch):
    auth.add_user("alice", "pw", "staff", ["acc-01"])
    monkeypatch.setenv("DQ_COOKIE_KEY", KEY)
    at = login(app(db_path, monkeypatch), "alice", "pw")
    token, _ = at.session_state[gate.COOKIE_KEY]
    scripts = [str(e.proto) for e in at.sidebar if "dqhub_session" in str(getattr(e, "proto", ""))]
    assert scripts and token in scripts[0]
    from core.auth import sessions

    assert sessions.read_token(token, KEY) == (at.session_state[gate.SID_KEY], "alice")
