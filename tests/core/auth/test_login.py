"""Signing in and knowing who is signed in, in each mode, without Streamlit."""

import ipaddress

import pytest

from core import auth
from core.auth import login, sessions
from core.auth.setup import AuthSetup
from core.auth.user import AuthError

MAPPING = (
    "rules:\n  - user: boss@example.com\n    role: admin\n    accounts: all\n"
    "  - group: northwind\n    role: staff\n    accounts: [acc-01]\n"
)


@pytest.fixture
def users_setup(monkeypatch):
    auth.add_user("alice", "pw", "staff", ["acc-01"])
    monkeypatch.setenv("DQ_COOKIE_KEY", "k" * 40)
    return lambda db: auth.setup(db, "duckdb:///x.duckdb")


@pytest.fixture
def sso_setup(tmp_path, monkeypatch):
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING)
    monkeypatch.setenv("DQ_AUTH_MAPPING_FILE", str(path))
    monkeypatch.setenv("DQ_COOKIE_KEY", "k" * 40)
    monkeypatch.setenv("DQ_AUTH_MODE", "proxy")
    monkeypatch.setenv("DQ_AUTH_PROXY_HEADER", "X-Forwarded-Email")
    monkeypatch.setenv("DQ_TRUSTED_PROXIES", "10.1.0.0/16")
    return lambda db: auth.setup(db, "duckdb:///x.duckdb")


def test_sign_in_opens_a_session_that_resumes(fresh_db, users_setup):
    setup = users_setup(fresh_db)
    user, sid = login.sign_in(fresh_db, setup, " alice ", "pw", "10.0.0.1")
    assert (user.username, user.role, user.accounts) == ("alice", "staff", frozenset({"acc-01"}))
    assert login.resume(fresh_db, setup, sid) == user


def test_wrong_password_and_unknown_user_get_the_same_answer(fresh_db, users_setup):
    setup = users_setup(fresh_db)
    answers = set()
    for name, pw in (("alice", "nope"), ("mallory", "pw")):
        with pytest.raises(AuthError) as info:
            login.sign_in(fresh_db, setup, name, pw, None)
        answers.add(str(info.value))
    assert answers == {login.BAD_PASSWORD}


def test_too_many_failures_lock_even_the_right_password(fresh_db, users_setup, monkeypatch):
    monkeypatch.setenv("DQ_LOGIN_MAX_FAILURES", "3")
    setup = users_setup(fresh_db)
    for _ in range(3):
        with pytest.raises(AuthError, match="incorrect"):
            login.sign_in(fresh_db, setup, "alice", "guess", "10.0.0.1")
    with pytest.raises(AuthError, match=r"Too many failed sign-ins .* Try again after \d\d:\d\d"):
        login.sign_in(fresh_db, setup, "alice", "pw", "10.0.0.2")
    # an unknown name locks the same way: the lock says nothing about who exists
    for _ in range(3):
        with pytest.raises(AuthError, match="incorrect"):
            login.sign_in(fresh_db, setup, "ghost", "guess", "10.0.0.3")
    with pytest.raises(AuthError, match="Too many failed sign-ins"):
        login.sign_in(fresh_db, setup, "ghost", "guess", "10.0.0.4")


def test_a_removed_users_session_is_refused_and_ended(fresh_db, users_setup):
    _, sid = login.sign_in(fresh_db, users_setup(fresh_db), "alice", "pw", None)
    auth.remove_user("alice")
    auth.add_user("root", "pw", "admin", "all")
    with pytest.raises(AuthError, match="no longer exists"):
        login.resume(fresh_db, users_setup(fresh_db), sid)
    assert not sessions.check(fresh_db, sid).ok


def test_a_role_change_applies_on_the_next_resume(fresh_db, users_setup):
    setup = users_setup(fresh_db)
    _, sid = login.sign_in(fresh_db, setup, "alice", "pw", None)
    auth.add_user("alice", "pw", "bse", "all")
    assert login.resume(fresh_db, users_setup(fresh_db), sid).role == "bse"


def test_proxy_headers_count_only_from_a_trusted_proxy(fresh_db, sso_setup):
    setup = sso_setup(fresh_db)
    headers = {"X-Forwarded-Email": "boss@example.com", "X-Forwarded-Groups": "northwind"}
    user = login.proxy_user(setup, "10.1.2.3", headers, "X-Forwarded-Email", "X-Forwarded-Groups")
    assert (user.username, user.role) == ("boss@example.com", "admin")
    with pytest.raises(AuthError, match="only through the company's sign-in proxy"):
        login.proxy_user(setup, "192.0.2.1", headers, "X-Forwarded-Email", "X-Forwarded-Groups")
    with pytest.raises(AuthError, match="sent no X-Forwarded-Email header"):
        login.proxy_user(setup, "10.1.2.3", {}, "X-Forwarded-Email", "")
    staff = login.proxy_user(
        setup,
        "10.1.2.3",
        {"X-Forwarded-Email": "kim@example.com", "X-Forwarded-Groups": "sales, northwind"},
        "X-Forwarded-Email",
        "X-Forwarded-Groups",
    )
    assert (staff.role, staff.accounts) == ("staff", frozenset({"acc-01"}))
    with pytest.raises(AuthError, match="kim@example.com has no DQ Hub role"):
        login.proxy_user(
            setup,
            "10.1.2.3",
            {"X-Forwarded-Email": "kim@example.com"},
            "X-Forwarded-Email",
            "X-Forwarded-Groups",
        )


def test_oidc_claims_map_to_a_user_with_a_session(fresh_db, sso_setup, monkeypatch):
    setup = sso_setup(fresh_db)
    claims = {
        "iss": "https://idp",
        "sub": "u1",
        "iat": 100,
        "email": "kim@example.com",
        "name": "Kim",
        "groups": ["northwind"],
    }
    user, sid = login.oidc_user(fresh_db, setup, claims)
    assert (user.username, user.name, user.role) == ("kim@example.com", "Kim", "staff")
    assert login.oidc_user(fresh_db, setup, claims)[1] == sid  # the same sign-in, one session
    sessions.end_user(fresh_db, "kim@example.com", "signed out everywhere by kim@example.com")
    with pytest.raises(AuthError, match="signed out everywhere"):
        login.oidc_user(fresh_db, setup, claims)
    again = login.oidc_user(fresh_db, setup, {**claims, "iat": 200})  # a new sign-in works
    assert again[1] != sid
    with pytest.raises(AuthError, match="sent no 'email' claim"):
        login.oidc_user(fresh_db, setup, {"sub": "u2", "iat": 1})


def test_client_address_trusts_forwarded_for_only_from_proxies():
    direct = AuthSetup("users", False, "k" * 40)
    assert login.client_address("192.0.2.1", {"X-Forwarded-For": "1.2.3.4"}, direct) == "192.0.2.1"
    behind = AuthSetup("users", False, "k" * 40, proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    fwd = {"X-Forwarded-For": "6.6.6.6, 198.51.100.9, 10.0.0.5"}
    assert login.client_address("10.0.0.1", fwd, behind) == "198.51.100.9"
    assert login.client_address("10.0.0.1", {}, behind) == "10.0.0.1"
    assert login.client_address(None, {}, behind) is None
