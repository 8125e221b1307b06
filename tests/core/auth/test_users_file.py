import bcrypt
import pytest

from core import auth
from core.auth import users_file


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


def test_set_password_replaces_the_hash_only():
    auth.add_user("alice", "old", "staff", ["acc-1"])
    auth.set_password("alice", "new")
    entry = auth.read_users()["alice"]
    assert bcrypt.checkpw(b"new", entry["password"].encode())
    assert not bcrypt.checkpw(b"old", entry["password"].encode())
    assert (entry["role"], entry["accounts"]) == ("staff", ["acc-1"])
    with pytest.raises(auth.AuthError, match="No user 'bob'"):
        auth.set_password("bob", "x")
    with pytest.raises(auth.AuthError, match="non-empty"):
        auth.set_password("alice", "")


def test_a_user_named_system_cannot_be_created():
    with pytest.raises(auth.AuthError, match="reserved"):
        auth.add_user("system", "pw", "admin", "all")
    assert auth.read_users() == {}


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


def test_unknown_and_known_names_cost_the_same_bcrypt_check(monkeypatch):
    auth.add_user("alice", "pw", "staff", ["acc-1"])
    users = auth.read_users()
    calls = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda pw, h: calls.append(h) or real(pw, h))
    assert users_file.verify(users, "alice", "pw")
    assert not users_file.verify(users, "alice", "wrong")
    assert not users_file.verify(users, "mallory", "pw")
    assert len(calls) == 3  # one full bcrypt check each, the unknown name included
    rounds = {h[4:6] for h in calls}  # "$2b$12$...": the same cost for the decoy
    assert len(rounds) == 1
