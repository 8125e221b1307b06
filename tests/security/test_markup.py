"""Issue 11 item 4: names from data and query parameters are shown as text, never as Markdown.

Every page is rendered (AppTest) on the hostile warehouse, where every account is named
``**[Sign in again](https://evil.example/...)**`` and every building holds a Markdown link;
crafted links put the same into ``?issue=``, ``?meter=``, ``?model=``. No string the browser
reads as Markdown (text elements, widget/metric/expander/button labels, help) may hold an
unescaped link, the payload's bold, or a bare URL GFM would link.
"""

import re
from datetime import datetime

import pytest

from core import runs
from core.auth import User
from core.db import open_warehouse
from core.markup import md
from tests.pages.pagetest import app, plain
from tests.security.hostile import ACCOUNT, BUILDING, LINK, NOTES, UNIT, hazards, markdown_of

ADMIN = User("ada", "Ada", "admin", None)
BSE = User("bea", "Bea", "bse", None)


def _hazards(at) -> list[tuple[str, list[str]]]:
    return [(text, found) for text in markdown_of(at) if (found := hazards(text))]


@pytest.mark.parametrize(
    "text",
    [
        LINK,
        ACCOUNT.format(id="acc-01"),
        BUILDING.format(id="b1"),
        UNIT,
        *NOTES,
        "https://evil.example/login",
        "www.evil.example",
        "mail me: ceo@evil.example",
        ":red[alarm] :material/lock: $x^2$ <script>alert(1)</script> &#91;x&#93;(y)",
        "line one\n\n    indented code\n# heading\n1. item\n> quote\n| a | b |",
    ],
)
def test_md_makes_any_text_literal(text):
    shown = md(text)
    assert not hazards(shown)
    for attack in ("[Sign", "](http", "**[", ":red[", "$x", "<script", "&#91;"):
        assert not re.search(r"(?<!\\)" + re.escape(attack), shown)  # markup escaped
    assert not shown.startswith(("#", "1.", ">", " ")) and "\n\n" not in shown
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert plain(shown).split("  \n") == lines  # the reader sees the text itself


def test_md_of_none_and_numbers():
    assert md(None) == "" and md(3.5) == "3\\.5"


PAGES = [  # (page, user, query): every page, scrolled to where names are written as text
    ("issues", ADMIN, {}),
    ("offline", ADMIN, {}),
    ("overview", ADMIN, {}),
    ("explorer", ADMIN, {}),
    ("bills", ADMIN, {}),
    ("sandbox", ADMIN, {"model": "flatline"}),
    ("sandbox", ADMIN, {"model": "usage_outlier"}),
    ("sandbox", ADMIN, {"model": "overshoot"}),
    ("projects", BSE, {}),
    ("admin", ADMIN, {}),
    ("owners", ADMIN, {}),
]


@pytest.mark.parametrize(
    ("page", "user", "query"), PAGES, ids=[f"{p}-{q.get('model', '')}" for p, _, q in PAGES]
)
def test_no_page_renders_hostile_names_as_markdown(hostile_url, monkeypatch, page, user, query):
    at = app(page, hostile_url, monkeypatch, user, query=query).run()
    assert not at.exception
    assert _hazards(at) == []


def test_names_still_show_as_their_text(hostile_url, monkeypatch):
    db = open_warehouse(hostile_url)
    issue_id, account, building = db.fetch_all(
        "SELECT issue_id, account_id, building_id FROM dq_issues WHERE kind = 'meter' "
        "ORDER BY issue_id LIMIT 1"
    )[0]
    at = app("explorer", hostile_url, monkeypatch, ADMIN, query={"issue": issue_id}).run()
    caption = " ".join(c.value for c in at.caption)
    assert md(ACCOUNT.format(id=account)) in caption  # escaped, and there
    assert md(BUILDING.format(id=building)) in caption
    at = app("bills", hostile_url, monkeypatch, ADMIN).run()
    assert any(md(UNIT) in m.value for m in at.markdown)  # the bill's unit in its figures
    at = app("projects", hostile_url, monkeypatch, BSE).run()
    assert "[Open](https://evil.example)" in plain(at.subheader[0].value)
    assert not hazards(at.subheader[0].value)


CRAFTED = [
    ("explorer", {"issue": LINK}),
    ("explorer", {"issue": "https://evil.example/login"}),
    ("explorer", {"meter": f"**{LINK}**"}),
    ("sandbox", {"model": LINK, "meter": LINK, "day": LINK, "building": LINK, "month": LINK}),
    ("sandbox", {"model": "flatline", "meter": LINK, "day": "2026-03-01"}),
]


@pytest.mark.parametrize(("page", "query"), CRAFTED)
def test_crafted_links_show_as_text(hostile_url, monkeypatch, page, query):
    at = app(page, hostile_url, monkeypatch, ADMIN, query=query).run()
    assert not at.exception
    assert _hazards(at) == []
    if "issue" in query or "meter" in query and page == "explorer":
        [error] = at.error
        assert plain(error.value).endswith("does not exist")
        assert md(next(iter(query.values()))) in error.value  # shown, as text


def test_failed_run_text_and_admin_reasons_are_text(hostile_url, monkeypatch):
    db = open_warehouse(hostile_url)
    run = runs.Run("dq", {"date": "2026-03-11"})
    runs.start(db, run)
    db.execute(
        "UPDATE dq_runs SET status = 'failed', finished_at = ?, error = ? WHERE run_id = ?",
        (datetime(2026, 3, 12), f"boom {LINK}", run.run_id),
    )
    at = app("overview", hostile_url, monkeypatch, ADMIN).run()
    assert not at.exception and "boom" in plain(at.error[0].value)
    assert _hazards(at) == []
    at = app("admin", hostile_url, monkeypatch, ADMIN).run()
    assert not at.exception and _hazards(at) == []


COMMENT = (
    f"**{LINK}** :red[alarm] :material/lock: $x^2$ <script>alert(1)</script>\n"
    "    indented\n# heading\nhttps://evil.example/login mail ceo@evil.example"
)


def test_a_comment_body_is_shown_as_text_never_markdown(hostile_url, monkeypatch):
    from core import comments

    db = open_warehouse(hostile_url)
    at = app("issues", hostile_url, monkeypatch, ADMIN).run()
    issue_id = next(b for b in at.selectbox if b.label == "Issue").value
    comments.add(db, ADMIN, issue_id, COMMENT)
    for page, query in (("issues", {}), ("explorer", {"issue": issue_id})):
        at = app(page, hostile_url, monkeypatch, ADMIN, query=query).run()
        assert not at.exception
        assert _hazards(at) == []
        shown = [m.value for m in at.markdown if "alarm" in plain(m.value)]
        assert shown == [md(COMMENT)]  # the body, escaped: every line as written
        assert plain(shown[0]).split("  \n") == [line.strip() for line in COMMENT.splitlines()]
