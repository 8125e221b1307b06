"""The login gate and navigation, as a user meets them."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import auth

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "Home.py")
TITLES = {"issues": "Issues", "offline": "Offline devices", "overview": "DQ overview",
          "explorer": "Meter explorer", "bills": "Utility bills", "sandbox": "Model sandbox",
          "projects": "Projects", "admin": "Admin"}
EVERYONE = {"DQ overview", "Meter explorer", "Model sandbox"}
TRIAGE = {"Issues", "Offline devices", "Utility bills"}


def _app(url, monkeypatch):
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    return AppTest.from_file(HOME, default_timeout=60)


def _login(at, username, password):
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def test_login_form_first(demo_warehouse_file, monkeypatch):
    at = _app(demo_warehouse_file[0], monkeypatch).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "password `demo`" in at.info[0].value


@pytest.mark.parametrize(("username", "password"), [("staff", "wrong"), ("nobody", "demo")])
def test_wrong_password_or_unknown_user_is_refused(demo_warehouse_file, monkeypatch, username, password):
    at = _login(_app(demo_warehouse_file[0], monkeypatch), username, password)
    assert not at.exception
    assert "incorrect" in at.error[0].value
    assert at.session_state["authentication_status"] is not True
    assert "dq_user" not in at.session_state


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("admin", EVERYONE | TRIAGE | {"Projects", "Admin"}),
        ("staff", EVERYONE | TRIAGE),
        ("bse", EVERYONE | {"Projects"}),
    ],
)
def test_good_login_shows_only_the_role_pages(demo_warehouse_file, monkeypatch, role, pages):
    at = _login(_app(demo_warehouse_file[0], monkeypatch), role, "demo")
    assert not at.exception
    user = at.session_state["dq_user"]
    assert (user.username, user.role) == (role, role)
    assert {TITLES[p] for p in auth.PAGE_ROLES if user.can_open(p)} == pages
    assert f"({role})" in at.sidebar.caption[0].value


def test_demo_staff_is_scoped_to_two_accounts(demo_warehouse_file, monkeypatch):
    at = _login(_app(demo_warehouse_file[0], monkeypatch), "staff", "demo")
    assert at.session_state["dq_user"].accounts is not None
    assert len(at.session_state["dq_user"].accounts) == auth.DEMO_STAFF_ACCOUNTS


def test_production_warehouse_without_users_stops_with_a_message(db_path, monkeypatch):
    at = _app(db_path, monkeypatch).run()
    assert not at.exception
    assert "No users configured" in at.error[0].value
    assert not at.text_input


def test_production_warehouse_with_a_short_cookie_key_stops(db_path, monkeypatch):
    auth.add_user("alice", "pw", "admin", "all")
    monkeypatch.setenv("DQ_COOKIE_KEY", "short")
    at = _app(db_path, monkeypatch).run()
    assert "at least 32 characters" in at.error[0].value
    assert not at.text_input


def test_production_warehouse_configured_user_logs_in(db_path, monkeypatch):
    auth.add_user("alice", "correct horse", "staff", ["acc-01"])
    monkeypatch.setenv("DQ_COOKIE_KEY", "k" * 40)
    at = _login(_app(db_path, monkeypatch), "alice", "correct horse")
    assert not at.exception
    assert at.session_state["dq_user"].accounts == frozenset({"acc-01"})
    # demo users do not exist outside the demo warehouse
    other = _login(_app(db_path, monkeypatch), "admin", "demo")
    assert "incorrect" in other.error[0].value


def test_every_page_file_is_registered_in_home():
    home = (ROOT / "Home.py").read_text()
    registered = set(re.findall(r'"(app_pages/[a-z_]+\.py)"', home))
    on_disk = {f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py")}
    assert on_disk and on_disk == registered
    for key in auth.PAGE_ROLES:
        assert f'"{key}": ("app_pages/' in home
    # A folder named pages/ would make Streamlit serve its files directly, past the login gate.
    assert not (ROOT / "pages").exists()


def test_a_removed_user_is_signed_out_on_the_next_run(db_path, monkeypatch):
    auth.add_user("alice", "pw", "staff", ["acc-01"])
    auth.add_user("root", "pw", "admin", "all")
    monkeypatch.setenv("DQ_COOKIE_KEY", "k" * 40)
    at = _login(_app(db_path, monkeypatch), "alice", "pw")
    assert at.session_state["dq_user"].username == "alice"
    auth.remove_user("alice")
    at.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.session_state["authentication_status"]
