"""Demo mode is on only for an embedded, demo-seeded warehouse with no users file."""

import bcrypt
import pytest

from core import auth
from core.auth import demo
from core.db import open_warehouse

METERS = (
    "INSERT INTO meters VALUES ('m1','b1','acc-1','electricity','kWh',NULL,NULL,'UTC',true,true,"
    "false,15),('m2','b2','acc-2','electricity','kWh',NULL,NULL,'UTC',true,true,false,15),"
    "('m3','b3','acc-3','electricity','kWh',NULL,NULL,'UTC',true,true,false,15)"
)


@pytest.fixture
def seeded(db_path):
    db = open_warehouse(db_path)
    db.execute(METERS)
    demo.mark_demo(db, 42)
    return db, db_path


def test_a_seeded_embedded_warehouse_without_users_file_is_demo(seeded):
    db, url = seeded
    assert demo.demo_mode(db, url)
    users = demo.demo_users(db)
    assert set(users) == {"admin", "ds", "staff", "bse"}
    assert users["staff"]["accounts"] == ["acc-1", "acc-2"]
    assert bcrypt.checkpw(b"demo", users["bse"]["password"].encode())


def test_a_users_file_turns_demo_logins_off(seeded):
    db, url = seeded
    auth.add_user("alice", "pw", "admin", "all")
    assert not demo.demo_mode(db, url)


def test_another_sign_in_mode_turns_demo_logins_off(seeded, monkeypatch):
    db, url = seeded
    monkeypatch.setenv("DQ_AUTH_MODE", "oidc")
    assert not demo.demo_mode(db, url)


def test_a_remote_url_is_never_demo_even_with_a_demo_row(seeded):
    db, _ = seeded  # the same rows, reached as if through a PostgreSQL URL (the app's cache)
    assert not demo.demo_mode(db, "postgresql://u@127.0.0.1:5432/dq")
    assert not demo.demo_mode(db, "redshift://u@host:5439/dq")


def test_ending_demo_mode_is_for_good(seeded):
    db, url = seeded
    assert demo.end_demo(db, "import of meters.csv")
    assert not demo.demo_mode(db, url)
    assert "import of meters.csv" in demo.ended(db)
    assert not demo.end_demo(db, "again")  # already ended: nothing written twice
    demo.mark_demo(db, 42)  # a later mark (old code path) does not bring it back
    assert not demo.demo_mode(db, url)


def test_refusals_name_the_reason(seeded, fresh_db):
    db, _ = seeded
    with pytest.raises(
        demo.DemoRefusedError, match="embedded DuckDB warehouse; DQ_WAREHOUSE is postgresql"
    ):
        demo.refuse_remote("postgresql://user:secret@db.internal:5432/dq")
    try:
        demo.refuse_remote("postgresql://user:secret@db.internal:5432/dq")
    except demo.DemoRefusedError as exc:
        assert "secret" not in str(exc) and "db.internal" not in str(exc)
    with pytest.raises(demo.DemoRefusedError, match="already has 3 meters rows"):
        demo.refuse_used(db)
    demo.end_demo(db, "users add alice")
    with pytest.raises(demo.DemoRefusedError, match="demo mode ended on this warehouse"):
        demo.refuse_used(db)
    demo.refuse_used(fresh_db)  # empty: fine


def test_the_demo_cookie_key_lives_in_the_process_only(seeded):
    db, _ = seeded
    key = demo.demo_cookie_key()
    assert len(key) >= auth.MIN_COOKIE_KEY and key == demo.demo_cookie_key()
    stored = db.fetch_all("SELECT meta_key, meta_value FROM dq_meta")
    assert all(key not in str(v) for _, v in stored)
