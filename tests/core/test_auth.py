import bcrypt
import pytest

from core import auth
from core.errors import ConfigError


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


def test_add_list_remove_users_with_bcrypt_hashes(tmp_path):
    path = auth.add_user("alice", "pw1", "staff", ["acc-2", "acc-1"])
    users = auth.read_users()
    assert users["alice"]["accounts"] == ["acc-1", "acc-2"]
    assert bcrypt.checkpw(b"pw1", users["alice"]["password"].encode())
    assert "pw1" not in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    auth.add_user("root", "pw2", "admin", "all")
    assert auth.read_users()["root"]["accounts"] == "all"
    auth.remove_user("alice")
    assert set(auth.read_users()) == {"root"}
    with pytest.raises(auth.AuthError, match="No user 'alice'"):
        auth.remove_user("alice")


def test_bad_users_file_names_the_problem(tmp_path, monkeypatch):
    bad = tmp_path / "users.yaml"
    monkeypatch.setenv("DQ_USERS_FILE", str(bad))
    bad.write_text("users:\n  eve:\n    password: x\n    role: god\n    accounts: all\n")
    with pytest.raises(auth.AuthError, match="user 'eve' has role 'god'; expected admin"):
        auth.read_users()
    bad.write_text("users:\n  eve:\n    role: staff\n")
    with pytest.raises(auth.AuthError, match="user 'eve' lacks password, accounts"):
        auth.read_users()
    with pytest.raises(auth.AuthError, match="Unknown role"):
        auth.add_user("x", "pw", "root", "all")


def test_demo_users_exist_only_on_the_demo_warehouse(fresh_db):
    fresh_db.execute(
        "INSERT INTO meters VALUES ('m1','b1','acc-1','electricity','kWh',NULL,NULL,'UTC',true,true,false,15),"
        "('m2','b2','acc-2','electricity','kWh',NULL,NULL,'UTC',true,true,false,15),"
        "('m3','b3','acc-3','electricity','kWh',NULL,NULL,'UTC',true,true,false,15)"
    )
    with pytest.raises(ConfigError, match="No users configured"):
        auth.login_config(fresh_db)
    auth.mark_demo(fresh_db, 42)
    login = auth.login_config(fresh_db)
    assert login.demo and set(login.users) == {"admin", "ds", "staff", "bse"}
    assert login.user("staff").accounts == frozenset({"acc-1", "acc-2"})
    assert login.user("admin").accounts is None
    assert bcrypt.checkpw(b"demo", login.users["bse"]["password"].encode())
    assert len(login.cookie_key) >= auth.MIN_COOKIE_KEY
    assert auth.login_config(fresh_db).cookie_key == login.cookie_key  # stable across restarts
    creds = login.credentials()["usernames"]["staff"]
    assert creds["roles"] == ["staff"] and creds["password"].startswith("$2")


def test_production_needs_a_strong_cookie_key(fresh_db, monkeypatch):
    auth.add_user("alice", "pw", "admin", "all")
    with pytest.raises(ConfigError, match="DQ_COOKIE_KEY must be at least 32"):
        auth.login_config(fresh_db)
    monkeypatch.setenv("DQ_COOKIE_KEY", "x" * 32)
    assert set(auth.login_config(fresh_db).users) == {"alice"}
