"""Issue 11.3: sessions that can be ended, throttled sign-ins, downloads built for the user now.

Through the app (Home.py under AppTest) and the CLI, on a production-shaped warehouse: a users
file and a cookie key. The browser side (reloads, tabs, cookies) is tests/e2e/test_sessions.py.
"""

import io
import time

import bcrypt
import pytest

from core import auth
from core.auth.user import AuthError
from core.ui import gate
from jobs.cli import main
from tests.pages.pagetest import home, plain, sign_in, signed_in

KEY = "k" * 40


@pytest.fixture
def url(db_path, monkeypatch):
    auth.add_user("alice", "correct horse", "staff", ["acc-01"])
    auth.add_user("root", "battery staple", "admin", "all")
    monkeypatch.setenv("DQ_COOKIE_KEY", KEY)
    return db_path


def _alice(url, monkeypatch):
    at = sign_in(home(url, monkeypatch), "alice", "correct horse")
    assert signed_in(at)
    return at


def _notice(at) -> str:
    return " ".join(plain(i.value) for i in at.info)


def test_sign_out_everywhere_ends_the_other_browsers_session(url, monkeypatch):
    laptop, phone = _alice(url, monkeypatch), _alice(url, monkeypatch)
    phone.sidebar.button(key="logout_everywhere").click().run()
    assert not signed_in(phone)
    laptop.run()
    assert not laptop.exception and not signed_in(laptop)
    assert "signed out everywhere by alice" in _notice(laptop)


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["users", "passwd", "alice", "--password-stdin"], "the password was changed"),
        (
            ["users", "add", "alice", "--role", "bse", "--accounts", "all", "--password-stdin"],
            "role, accounts or password changed",
        ),
        (["users", "signout", "alice"], "signed out everywhere by an admin"),
    ],
)
def test_cli_changes_end_open_sessions(url, monkeypatch, capsys, argv, reason):
    at = _alice(url, monkeypatch)
    monkeypatch.setattr("sys.stdin", io.StringIO("a new passphrase\n"))
    assert main(argv) == 0
    assert "ended 1 session(s) of alice" in capsys.readouterr().out
    at.run()
    assert not signed_in(at) and reason in _notice(at)


def test_a_removed_user_sees_the_sign_in_form_not_a_traceback(url, monkeypatch, capsys):
    at = _alice(url, monkeypatch)
    assert main(["users", "remove", "alice"]) == 0
    at.run()
    assert not at.exception and not signed_in(at)
    assert any(t.key == "login_username" for t in at.text_input)


def test_an_idle_tab_signs_out(url, monkeypatch):
    monkeypatch.setenv("DQ_SESSION_IDLE_MINUTES", "0.02")  # 1.2 s
    at = _alice(url, monkeypatch)
    time.sleep(1.5)
    at.run()
    assert not signed_in(at)
    assert "no activity for 0.02 minutes" in _notice(at)


def test_repeated_failures_lock_the_user_name_with_a_clear_message(url, monkeypatch):
    monkeypatch.setenv("DQ_LOGIN_MAX_FAILURES", "3")
    for _ in range(3):
        at = sign_in(home(url, monkeypatch), "alice", "guess")
        assert "incorrect" in plain(at.error[0].value)
    at = sign_in(home(url, monkeypatch), "alice", "correct horse")  # even the right password
    assert not signed_in(at)
    assert "Too many failed sign-ins" in plain(at.error[0].value)
    assert signed_in(sign_in(home(url, monkeypatch), "root", "battery staple"))  # others go on


def test_unknown_user_names_cost_a_bcrypt_check_too(url, monkeypatch):
    calls = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda pw, h: calls.append(1) or real(pw, h))
    sign_in(home(url, monkeypatch), "nobody-here", "guess")
    sign_in(home(url, monkeypatch), "alice", "guess")
    assert len(calls) == 2  # one full check each: the answer time says nothing about who exists


def test_downloads_are_built_for_the_user_as_they_are_at_click_time(url, monkeypatch):
    at = _alice(url, monkeypatch)
    resolve = at.session_state[gate.RESOLVE_KEY]  # what download buttons call when clicked
    assert resolve().accounts == frozenset({"acc-01"})
    auth.add_user("alice", "correct horse", "staff", ["acc-02"])  # granted another account
    assert resolve().accounts == frozenset({"acc-02"})
    auth.remove_user("alice")
    with pytest.raises(AuthError):
        resolve()


def test_every_download_button_builds_for_the_click_time_user():
    from pathlib import Path

    pages = Path(__file__).resolve().parents[2] / "app_pages"
    for page in pages.glob("*.py"):
        text = page.read_text()
        if "download_button" in text:
            assert "click_time_user" in text, f"{page.name}: a download builds for the drawn user"
