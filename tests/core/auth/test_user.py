import pytest

from core import auth
from core.auth.user import grant


def test_scope_predicates():
    assert auth.User("a", "A", "admin", None).scope() == ("TRUE", [])
    assert auth.User("s", "S", "staff", frozenset()).scope() == ("FALSE", [])
    sql, params = auth.User("s", "S", "staff", frozenset({"b", "a"})).scope("i.account_id")
    assert (sql, params) == ("i.account_id IN (?, ?)", ["a", "b"])


def test_roles_open_their_pages_only():
    bse = auth.User("b", "B", "bse", None)
    assert bse.can_open("overview") and not bse.can_open("issues") and not bse.can_triage
    assert auth.User("s", "S", "staff", None).can_open("issues")
    assert not auth.User("s", "S", "staff", None).can_open("no-such-page")


@pytest.mark.parametrize("name", ["system", "SYSTEM", "System"])
def test_the_jobs_name_is_reserved(name):
    with pytest.raises(auth.AuthError, match="reserved"):
        auth.check_username(name)


@pytest.mark.parametrize("name", ["", "-x", "a b", "a\nb", "x" * 129, "<b>", "a;b"])
def test_odd_user_names_are_refused(name):
    with pytest.raises(auth.AuthError, match="not allowed"):
        auth.check_username(name)


@pytest.mark.parametrize("name", ["alice", "alice.smith@example.com", "a_b-c+d", "x" * 128])
def test_ordinary_names_and_emails_pass(name):
    assert auth.check_username(name) == name


def test_grant():
    assert grant("all") is None
    assert grant(["b", "a"]) == frozenset({"a", "b"})
