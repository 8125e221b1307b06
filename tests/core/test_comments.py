"""core.comments on DuckDB and PostgreSQL: threads newest last, scope, roles, length, the cache."""

import datetime as dt

import pytest

from core import comments
from core.auth import User
from core.db.cache import CachedWarehouse
from core.pages import ACTIONS, ROLES

START = dt.datetime(2026, 3, 1)
ADMIN = User("ada", "Ada", "admin", None)
STAFF_A = User("sam", "Sam", "staff", frozenset({"acc-a"}))
STAFF_B = User("bob", "Bob", "staff", frozenset({"acc-b"}))
BSE_A = User("bea", "Bea", "bse", frozenset({"acc-a"}))


def seed(db) -> None:
    """Meters m1 (acc-a) and m2 (acc-b), each with one open issue: i-a and i-b."""
    for meter, account in (("m1", "acc-a"), ("m2", "acc-b")):
        db.execute(
            "INSERT INTO meters (meter_id, building_id, account_id, kind, unit, timezone, "
            "dq_enabled, account_active, building_archived, interval_minutes) "
            "VALUES (?, ?, ?, 'electricity', 'kWh', 'UTC', TRUE, TRUE, FALSE, 15)",
            (meter, f"b-{account}", account),
        )
        db.execute(
            "INSERT INTO dq_issues (issue_id, kind, detector, account_id, building_id, meter_id, "
            "severity, start_ts, end_ts, first_seen_run, last_seen_run, status, status_by, "
            "status_at) VALUES (?, 'meter', 'flatline', ?, ?, ?, 'high', ?, ?, 'r', 'r', 'open', "
            "'system', ?)",
            (f"i-{account[-1]}", account, f"b-{account}", meter, START, START, START),
        )


@pytest.fixture
def db(any_db):
    seed(any_db)
    return any_db


def _stored(db):
    return db.fetch_all(
        "SELECT thread_kind, thread_id, account_id, author, body FROM dq_comments "
        "ORDER BY created_at"
    )


def test_add_and_list_newest_last_with_author_and_time(db):
    first = comments.add(db, STAFF_A, "i-a", "  Checked on site: the CT clamp is loose.\n")
    second = comments.add(db, ADMIN, "i-a", "Technician booked for Tuesday")
    comments.add(db, ADMIN, "i-b", "another thread")
    shown = comments.thread(db, STAFF_A, "i-a")
    assert list(shown.columns) == comments.COLUMNS
    assert list(shown["comment_id"]) == [first, second]  # newest last
    assert list(shown["author"]) == ["sam", "ada"]  # the signed-in users
    assert list(shown["body"]) == [
        "Checked on site: the CT clamp is loose.",  # stripped
        "Technician booked for Tuesday",
    ]
    assert shown["created_at"].is_monotonic_increasing
    assert shown["created_at"].iloc[1] <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert _stored(db)[0] == ("issue", "i-a", "acc-a", "sam", shown["body"][0])
    assert comments.counts(db, ADMIN, ["i-a", "i-b", "i-none"]) == {"i-a": 2, "i-b": 1}


def test_a_clock_behind_the_thread_still_adds_newest_last(db, monkeypatch):
    comments.add(db, ADMIN, "i-a", "first")
    behind = dt.datetime(2020, 1, 1)  # another app process whose clock is years behind
    monkeypatch.setattr(comments, "utcnow", lambda: behind)
    comments.add(db, ADMIN, "i-a", "second")
    comments.add(db, ADMIN, "i-a", "third")
    assert list(comments.thread(db, ADMIN, "i-a")["body"]) == ["first", "second", "third"]


def test_an_issue_of_another_account_is_refused_as_missing(db):
    """A crafted issue id from another account: no comment, no read, no hint that it exists."""
    with pytest.raises(comments.CommentError, match=r"^Issue i-b does not exist$"):
        comments.add(db, STAFF_A, "i-b", "sneaky")
    with pytest.raises(comments.CommentError, match=r"^Issue i-nope does not exist$"):
        comments.add(db, STAFF_A, "i-nope", "sneaky")
    comments.add(db, STAFF_B, "i-b", "mine")
    with pytest.raises(comments.CommentError, match=r"^Issue i-b does not exist$"):
        comments.thread(db, STAFF_A, "i-b")
    assert comments.counts(db, STAFF_A, ["i-b"]) == {}
    assert _stored(db) == [("issue", "i-b", "acc-b", "bob", "mine")]


def test_an_issue_whose_meter_moved_away_is_refused(db):
    """The old account's users lose the issue with its meter (as triage and the lists do)."""
    db.execute("UPDATE meters SET account_id = 'acc-b' WHERE meter_id = 'm1'")
    with pytest.raises(comments.CommentError, match="Issue i-a does not exist"):
        comments.add(db, STAFF_A, "i-a", "still mine?")
    with pytest.raises(comments.CommentError, match="Issue i-a does not exist"):
        comments.thread(db, STAFF_A, "i-a")


def test_comments_of_another_account_stay_there(db):
    """An issue re-filed under another account keeps the old account's comments to itself."""
    comments.add(db, STAFF_A, "i-a", "about the old customer")
    db.execute("UPDATE meters SET account_id = 'acc-b' WHERE meter_id = 'm1'")
    db.execute("UPDATE dq_issues SET account_id = 'acc-b' WHERE issue_id = 'i-a'")
    assert comments.thread(db, STAFF_B, "i-a").empty
    assert comments.counts(db, STAFF_B, ["i-a"]) == {}
    assert list(comments.thread(db, ADMIN, "i-a")["body"]) == ["about the old customer"]


def test_a_body_over_the_limit_or_empty_is_refused_naming_the_issue(db):
    comments.add(db, STAFF_A, "i-a", "x" * comments.MAX_CHARS)  # exactly the limit fits
    with pytest.raises(
        comments.CommentError,
        match=r"^Issue i-a: the comment is 2,001 characters long; the limit is 2,000\.",
    ):
        comments.add(db, STAFF_A, "i-a", "x" * 2001)
    for empty in ("", "   \n\t", None, "\x00"):
        with pytest.raises(comments.CommentError, match="Issue i-a: write a comment first"):
            comments.add(db, STAFF_A, "i-a", empty)
    assert len(_stored(db)) == 1


def test_nul_characters_are_dropped_not_a_database_error(db):
    comments.add(db, STAFF_A, "i-a", "before\x00after")
    assert comments.thread(db, STAFF_A, "i-a")["body"].tolist() == ["beforeafter"]


def test_every_role_may_comment_bse_included(db):
    assert ACTIONS["comment"] == ROLES
    comments.add(db, BSE_A, "i-a", "replaced the CT on 3 March")
    assert _stored(db) == [("issue", "i-a", "acc-a", "bea", "replaced the CT on 3 March")]


def test_a_role_without_the_action_is_refused(db, monkeypatch):
    monkeypatch.setitem(ACTIONS, "comment", ("admin",))
    with pytest.raises(comments.CommentError, match="role 'staff' cannot comment"):
        comments.add(db, STAFF_A, "i-a", "hello")
    assert _stored(db) == []


def test_an_unknown_thread_kind_is_refused(db):
    with pytest.raises(comments.CommentError, match="Unknown thread kind 'project'"):
        comments.add(db, ADMIN, "i-a", "hello", thread_kind="project")


def test_markup_is_stored_as_written(db):
    body = '**[Sign in](https://evil.example)** =HYPERLINK("x") <script>alert(1)</script>'
    comments.add(db, ADMIN, "i-a", body)
    assert comments.thread(db, ADMIN, "i-a")["body"].tolist() == [body]


def test_labels_name_severity_detector_meter_start_and_count():
    import pandas as pd

    issues = pd.DataFrame(
        {
            "issue_id": ["i-a", "i-b"],
            "severity": ["high", "low"],
            "detector": ["flatline", "offline"],
            "meter_id": ["Meter X", "m2"],
            "start_ts": [START, pd.NaT],
        }
    )
    assert comments.labels(issues, {"i-a": 1}) == {
        "i-a": "high · flatline · Meter X · 2026-03-01 00:00 UTC · 1 comment",
        "i-b": "low · offline · m2 · no start · 0 comments",
    }
    assert comments.labels(issues.drop(columns="meter_id"), {"i-b": 3})["i-b"] == (
        "low · offline · no start · 3 comments"
    )


def test_through_the_app_cache_the_warehouse_is_written_first(pg_url, tmp_path):
    """A remote warehouse read through its cache: the comment lands remotely, then in the copy.

    The scope check reads the warehouse itself: an issue the stale copy lacks can be commented.
    """
    from core.db import open_warehouse

    remote = open_warehouse(pg_url)
    seed(remote)
    cached = CachedWarehouse(remote, tmp_path / "cache.duckdb")
    remote.execute(
        "INSERT INTO dq_issues (issue_id, kind, detector, account_id, meter_id, severity, "
        "first_seen_run, last_seen_run, status, status_by, status_at) VALUES "
        "('i-new', 'meter', 'offline', 'acc-a', 'm1', 'high', 'r', 'r', 'open', 'system', ?)",
        (START,),
    )
    comments.add(cached, STAFF_A, "i-a", "via the cache")
    comments.add(cached, STAFF_A, "i-new", "on an issue the copy has not seen")
    assert remote.fetch_value("SELECT count(*) FROM dq_comments") == 2
    assert comments.thread(cached, STAFF_A, "i-a")["body"].tolist() == ["via the cache"]
    assert cached.cache.fetch_value("SELECT count(*) FROM dq_comments") == 2
    with pytest.raises(comments.CommentError, match="Issue i-b does not exist"):
        comments.add(cached, STAFF_A, "i-b", "sneaky")
    assert remote.fetch_value("SELECT count(*) FROM dq_comments") == 2
