"""Server-side sessions on DuckDB and PostgreSQL: ended from anywhere, idle and expiry, tokens."""

from datetime import timedelta

import pytest

from core.auth import sessions
from core.runs import utcnow

KEY = "k" * 40


def test_a_started_session_can_be_used_and_only_its_hash_is_stored(any_db):
    sid = sessions.start(any_db, "alice", "users")
    verdict = sessions.check(any_db, sid)
    assert (verdict.ok, verdict.username) == (True, "alice")
    stored = any_db.fetch_all("SELECT session_id, username, mode FROM auth_sessions")
    assert stored[0][1:] == ("alice", "users")
    assert sid not in stored[0][0] and len(stored[0][0]) == 64


def test_signing_out_ends_that_session_only(any_db):
    a, b = sessions.start(any_db, "alice", "users"), sessions.start(any_db, "alice", "users")
    sessions.end(any_db, a, "signed out")
    assert not sessions.check(any_db, a).ok
    assert "signed out" in sessions.check(any_db, a).reason
    assert sessions.check(any_db, b).ok


def test_end_user_ends_every_session_of_that_user(any_db):
    a, b = sessions.start(any_db, "alice", "users"), sessions.start(any_db, "alice", "oidc")
    bob = sessions.start(any_db, "bob", "users")
    assert sessions.end_user(any_db, "alice", "the password was changed") == 2
    assert not sessions.check(any_db, a).ok and not sessions.check(any_db, b).ok
    assert "the password was changed" in sessions.check(any_db, b).reason
    assert sessions.check(any_db, bob).ok
    assert sessions.end_user(any_db, "alice", "again") == 0


def test_an_idle_session_ends_at_its_next_use(any_db, monkeypatch):
    monkeypatch.setenv("DQ_SESSION_IDLE_MINUTES", "30")
    sid = sessions.start(any_db, "alice", "users")
    now = utcnow()
    assert sessions.check(any_db, sid, now + timedelta(minutes=29)).ok  # marks it used
    assert sessions.check(any_db, sid, now + timedelta(minutes=58)).ok  # 29 min after last use
    late = sessions.check(any_db, sid, now + timedelta(minutes=89))
    assert not late.ok and "no activity for 30 minutes" in late.reason
    assert not sessions.check(any_db, sid, now + timedelta(minutes=90)).ok  # stays ended
    row = any_db.fetch_all("SELECT ended_reason FROM auth_sessions")
    assert row == [("no activity for 30 minutes",)]


def test_no_session_outlives_the_cookie_lifetime(any_db, monkeypatch):
    monkeypatch.setenv("DQ_SESSION_IDLE_MINUTES", "60")
    monkeypatch.setenv("DQ_COOKIE_EXPIRY_DAYS", "1")
    sid = sessions.start(any_db, "alice", "users")
    now = utcnow()
    for minutes in range(50, 24 * 60, 50):  # busy all day
        assert sessions.check(any_db, sid, now + timedelta(minutes=minutes)).ok
    late = sessions.check(any_db, sid, now + timedelta(minutes=24 * 60 + 10))
    assert not late.ok and "longer than 1 day" in late.reason


def test_an_unknown_session_is_refused(any_db):
    assert not sessions.check(any_db, "made-up").ok
    assert not sessions.exists(any_db, "made-up")


def test_tokens_are_signed_and_expire():
    token, expires = sessions.token("sid-1", "alice", KEY)
    assert sessions.read_token(token, KEY) == ("sid-1", "alice")
    assert sessions.read_token(token, "another key of at least thirty-two chars") is None
    assert sessions.read_token(token[:-2] + "xx", KEY) is None
    assert sessions.read_token(None, KEY) is None and sessions.read_token("junk", KEY) is None
    old, _ = sessions.token("sid-1", "alice", KEY, now=utcnow() - timedelta(days=3))
    assert sessions.read_token(old, KEY) is None
    assert expires > utcnow()


def test_oidc_sessions_are_keyed_by_the_sign_in():
    a = sessions.oidc_sid({"iss": "i", "sub": "alice", "iat": 1})
    assert a == sessions.oidc_sid({"sub": "alice", "iss": "i", "iat": 1, "name": "A"})
    assert a != sessions.oidc_sid({"iss": "i", "sub": "alice", "iat": 2})


@pytest.mark.parametrize("setting", ["DQ_SESSION_IDLE_MINUTES", "DQ_COOKIE_EXPIRY_DAYS"])
def test_session_settings_must_be_positive(any_db, monkeypatch, setting):
    from core.errors import ConfigError

    monkeypatch.setenv(setting, "0")
    sid = sessions.start(any_db, "alice", "users")
    with pytest.raises(ConfigError, match=setting):
        sessions.check(any_db, sid)
