"""core.ui.comments under Streamlit's AppTest: pick an issue, read its thread, post, refusals."""

from streamlit.testing.v1 import AppTest

from core import comments
from core.auth import User
from core.db import open_warehouse
from tests.core.test_comments import ADMIN, STAFF_A, seed
from tests.pages.pagetest import plain

BSE_A = User("bea", "Bea", "bse", frozenset({"acc-a"}))


def _warehouse(url):
    db = open_warehouse(url)
    seed(db)
    return db


def _script(url, user, default):
    from core.db import open_warehouse
    from core.ui import comments

    db = open_warehouse(url)
    shown = db.fetch_df(
        "SELECT issue_id, severity, detector, meter_id, start_ts FROM dq_issues ORDER BY issue_id"
    )
    comments.panel("t", db, user, shown, default)


def _app(url, user=ADMIN, default=None):
    return AppTest.from_function(_script, args=(url, user, default), default_timeout=30)


def _picker(at):
    return next(box for box in at.selectbox if box.label == "Issue")


def _thread(at):
    """(byline, body) of each comment shown, as read."""
    captions = [plain(c.value) for c in at.caption if " UTC" in c.value]
    bodies = [plain(m.value) for m in at.markdown]
    return list(zip(captions, bodies, strict=True))


def test_shows_the_picked_thread_newest_last_and_posts_a_comment(db_path):
    db = _warehouse(db_path)
    comments.add(db, ADMIN, "i-a", "first")
    comments.add(db, STAFF_A, "i-a", "second")
    at = _app(db_path).run()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Comments"]
    box = _picker(at)
    assert box.value == "i-a" and box.options == [
        "high · flatline · m1 · 2026-03-01 00:00 UTC · 2 comments",
        "high · flatline · m2 · 2026-03-01 00:00 UTC · 0 comments",
    ]
    shown = _thread(at)
    assert [body for _, body in shown] == ["first", "second"]
    assert shown[0][0].startswith("ada · ") and shown[1][0].startswith("sam · ")

    at.text_area[0].input("third, from the panel")
    at.button(key="t_comment_post").click().run()
    assert not at.exception
    assert any("Comment posted." in plain(s.value) for s in at.success)
    assert [body for _, body in _thread(at)][-1] == "third, from the panel"
    assert at.text_area[0].value == ""  # a blank box for the next one
    assert _picker(at).value == "i-a"  # still on the same issue, its count updated
    assert _picker(at).options[0].endswith("3 comments")


def test_another_issue_and_a_link_pick_the_thread(db_path):
    db = _warehouse(db_path)
    comments.add(db, ADMIN, "i-b", "on b")
    at = _app(db_path, default="i-b").run()
    assert _picker(at).value == "i-b" and [b for _, b in _thread(at)] == ["on b"]
    _picker(at).set_value("i-a").run()
    assert not at.exception and _thread(at) == []
    assert any("No comments yet." in c.value for c in at.caption)


def test_a_refusal_is_a_message_and_the_text_stays_to_fix(db_path, monkeypatch):
    from core.errors import DQHubError

    db = _warehouse(db_path)
    at = _app(db_path, STAFF_A).run()
    at.text_area[0].input("  ")
    at.button(key="t_comment_post").click().run()
    assert not at.exception
    assert "Issue i-a: write a comment first (it is empty)" in plain(at.error[0].value)

    def down(*args, **kwargs):
        raise DQHubError("Cannot connect to the database of DQ_WAREHOUSE")

    add = comments.add
    monkeypatch.setattr(comments, "add", down)
    at.text_area[0].input("my findings")
    at.button(key="t_comment_post").click().run()
    assert "Cannot connect" in plain(at.error[0].value)
    assert at.text_area[0].value == "my findings"  # kept, to post again
    monkeypatch.setattr(comments, "add", add)  # the warehouse is back
    at.button(key="t_comment_post").click().run()
    assert any("Comment posted." in plain(s.value) for s in at.success)
    assert db.fetch_all("SELECT author, body FROM dq_comments") == [("sam", "my findings")]


def test_a_thread_whose_issue_left_the_users_accounts_shows_an_error(db_path):
    db = _warehouse(db_path)
    at = _app(db_path, STAFF_A).run()
    db.execute("UPDATE meters SET account_id = 'acc-b' WHERE meter_id = 'm1'")  # meanwhile
    at.text_area[0].input("my findings")
    at.button(key="t_comment_post").click().run()
    assert not at.exception
    assert "Issue i-a does not exist" in plain(at.error[0].value)
    assert not at.text_area and db.fetch_value("SELECT count(*) FROM dq_comments") == 0


def test_a_building_engineer_may_comment(db_path):
    db = _warehouse(db_path)
    at = _app(db_path, BSE_A).run()
    assert _picker(at).value == "i-a"
    at.text_area[0].input("replaced the CT on 3 March")
    at.button(key="t_comment_post").click().run()
    assert not at.exception
    assert db.fetch_all("SELECT author, body FROM dq_comments") == [
        ("bea", "replaced the CT on 3 March")
    ]


def test_an_issue_outside_the_users_accounts_shows_an_error_not_a_thread(db_path):
    db = _warehouse(db_path)
    comments.add(db, ADMIN, "i-b", "secret")
    at = _app(db_path, STAFF_A, default="i-b").run()  # a crafted list holding i-b
    _picker(at).set_value("i-b").run()
    assert not at.exception
    assert "Issue i-b does not exist" in plain(at.error[0].value)
    assert "secret" not in " ".join(m.value for m in at.markdown)
    assert not at.text_area  # no box on a thread the user cannot see


def test_a_role_without_the_action_reads_only(db_path, monkeypatch):
    from core.pages import ACTIONS

    db = _warehouse(db_path)
    comments.add(db, ADMIN, "i-a", "read me")
    monkeypatch.setitem(ACTIONS, "comment", ("admin",))
    at = _app(db_path, STAFF_A).run()
    assert [b for _, b in _thread(at)] == ["read me"]
    assert not at.text_area and not at.button
