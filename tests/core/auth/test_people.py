"""Who can hold issues: the users file, or in oidc/proxy modes the mapping's people and sign-ins."""

from datetime import datetime, timedelta

import pytest

from core.auth import User, mark_demo, people, write_users

MAPPING = """\
rules:
  - user: Alice@Example.com
    role: ds
    accounts: all
  - user: olga@example.com
    role: bse
    accounts: all
  - group: northwind
    role: staff
    accounts: [acc-01]
"""
NOW = datetime(2026, 3, 10, 12, 0)


@pytest.fixture
def sso(tmp_path, monkeypatch):
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING)
    monkeypatch.setenv("DQ_AUTH_MODE", "oidc")
    monkeypatch.setenv("DQ_AUTH_MAPPING_FILE", str(path))


def test_users_mode_reads_the_users_file(fresh_db):
    write_users({
        "sam": {"password": "x", "role": "staff", "accounts": ["acc-01"]},
        "ada": {"password": "x", "role": "admin", "accounts": "all"},
    })  # fmt: skip
    found = people.directory(fresh_db)
    assert found["sam"] == User("sam", "sam", "staff", frozenset({"acc-01"}))
    assert found["ada"].accounts is None


def test_the_demo_users_are_the_directory_of_a_demo_warehouse(fresh_db, monkeypatch):
    fresh_db.execute(
        "INSERT INTO meters (meter_id, building_id, account_id, kind, unit, timezone, "
        "dq_enabled, account_active, building_archived, interval_minutes) VALUES "
        "('m1', 'b1', 'acc-01', 'electricity', 'kWh', 'UTC', TRUE, TRUE, FALSE, 15)"
    )
    mark_demo(fresh_db, 7)
    monkeypatch.setenv("DQ_WAREHOUSE", "duckdb:///:memory:")
    assert sorted(people.directory(fresh_db)) == ["admin", "bse", "ds", "staff"]


def test_sso_modes_list_the_mappings_people_and_who_signed_in_lately(fresh_db, sso):
    before = set(people.directory(fresh_db, NOW))
    assert before == {"Alice@Example.com", "olga@example.com"}  # a group has no known members
    bob = User("bob@example.com", "Bob", "staff", frozenset({"acc-01"}))
    assert people.note_sign_in(fresh_db, bob, NOW - timedelta(days=89))
    assert people.note_sign_in(fresh_db, User("alice@example.com", "Alice", "ds", None), NOW)
    gone = User("old@example.com", "Old", "staff", frozenset({"acc-01"}))
    people.note_sign_in(fresh_db, gone, NOW - timedelta(days=91))  # DQ_PEOPLE_SEEN_DAYS = 90
    found = people.directory(fresh_db, NOW)
    assert set(found) == {"alice@example.com", "olga@example.com", "bob@example.com"}
    assert found["bob@example.com"] == bob  # the role and accounts of the sign-in


def test_a_sign_in_is_written_when_it_changed_or_once_a_day(fresh_db, sso):
    bob = User("bob@example.com", "Bob", "staff", frozenset({"acc-01"}))
    assert people.note_sign_in(fresh_db, bob, NOW)
    assert not people.note_sign_in(fresh_db, bob, NOW + timedelta(hours=2))
    wider = User("bob@example.com", "Bob", "staff", frozenset({"acc-01", "acc-02"}))
    assert people.note_sign_in(fresh_db, wider, NOW + timedelta(hours=3))
    assert people.note_sign_in(fresh_db, wider, NOW + timedelta(days=2))
    assert fresh_db.fetch_all("SELECT username, accounts FROM dq_people") == [
        ("bob@example.com", '["acc-01", "acc-02"]')
    ]


def test_who_holds_issues_of_an_account_and_whom_a_user_may_pick(fresh_db):
    found = {
        "ada": User("ada", "Ada", "admin", None),
        "sam": User("sam", "Sam", "staff", frozenset({"acc-01"})),
        "bo": User("bo", "Bo", "staff", frozenset({"acc-02"})),
        "bea": User("bea", "Bea", "bse", None),
    }
    assert people.in_scope(found, "acc-01") == ["ada", "sam"]
    assert people.visible_to(found, found["sam"]) == ["ada", "sam"]  # not bo of acc-02
    assert people.visible_to(found, found["ada"]) == ["ada", "bo", "sam"]
    assert people.problem(found, "bo", "acc-01") == "bo is not granted this account"
    assert people.problem(found, "sam", "acc-01") is None
