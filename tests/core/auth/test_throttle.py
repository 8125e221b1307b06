"""Failed sign-ins lock a user name, or a client address, for a while."""

from datetime import timedelta

from core.auth import throttle
from core.runs import utcnow


def test_a_user_name_locks_after_its_limit(any_db, monkeypatch):
    monkeypatch.setenv("DQ_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("DQ_LOGIN_LOCKOUT_MINUTES", "15")
    now = utcnow()
    for i in range(2):
        throttle.record_failure(any_db, "Alice", "10.0.0.1", now + timedelta(seconds=i))
        assert throttle.locked_until(any_db, "alice", "10.0.0.9", now) is None
    throttle.record_failure(any_db, "alice ", "10.0.0.2", now + timedelta(seconds=2))
    until = throttle.locked_until(any_db, "ALICE", "10.0.0.9", now + timedelta(seconds=3))
    assert until == now + timedelta(seconds=2, minutes=15)
    assert throttle.locked_until(any_db, "bob", "10.0.0.9", now) is None  # others go on
    later = now + timedelta(minutes=16)
    assert throttle.locked_until(any_db, "alice", "10.0.0.9", later) is None


def test_a_client_locks_after_its_own_limit_across_user_names(any_db, monkeypatch):
    monkeypatch.setenv("DQ_LOGIN_MAX_FAILURES_PER_CLIENT", "4")
    now = utcnow()
    for i, name in enumerate(["a", "b", "c", "d"]):
        throttle.record_failure(any_db, name, "192.0.2.7", now + timedelta(seconds=i))
    assert throttle.locked_until(any_db, "someone-else", "192.0.2.7", now) is not None
    assert throttle.locked_until(any_db, "someone-else", "192.0.2.8", now) is None
    assert throttle.locked_until(any_db, "someone-else", None, now) is None


def test_a_good_sign_in_clears_the_user_names_count(any_db, monkeypatch):
    monkeypatch.setenv("DQ_LOGIN_MAX_FAILURES", "2")
    throttle.record_failure(any_db, "alice", None)
    throttle.clear_user(any_db, "alice")
    throttle.record_failure(any_db, "alice", None)
    assert throttle.locked_until(any_db, "alice", None) is None


def test_old_failures_are_forgotten(any_db, monkeypatch):
    monkeypatch.setenv("DQ_LOGIN_LOCKOUT_MINUTES", "10")
    old = utcnow() - timedelta(hours=2)
    throttle.record_failure(any_db, "alice", "10.0.0.1", old)
    throttle.record_failure(any_db, "bob", "10.0.0.1")
    kept = any_db.fetch_all("SELECT DISTINCT subject FROM auth_failures ORDER BY 1")
    assert kept == [("10.0.0.1",), ("bob",)]
