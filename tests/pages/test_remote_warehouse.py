"""Pages on a remote warehouse (the local PostgreSQL server) read the local cache and write through."""

import pytest

from core.auth import User
from core.db import connect, open_warehouse
from tests.pages.pagetest import app, edit, rendered

ADMIN = User("ada", "Ada", "admin", None)
SKIP = {"readings", "schema_migrations"}


@pytest.fixture
def remote(demo_warehouse_file, pg_url, tmp_path, monkeypatch):
    """The scored demo's result tables copied into PostgreSQL; the cache in the test folder."""
    demo = connect(demo_warehouse_file[0])
    pg = open_warehouse(pg_url)
    tables = [
        r[0]
        for r in demo.fetch_all(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        )
    ]
    for table in sorted(set(tables) - SKIP):
        pg.insert_df(table, demo.fetch_df(f"SELECT * FROM {table}"))
    monkeypatch.setenv("DQ_CACHE_PATH", str(tmp_path / "cache.duckdb"))
    return pg


def test_issues_page_reads_the_cache_and_saves_to_the_warehouse(remote, pg_url, monkeypatch):
    at = app("issues", pg_url, monkeypatch, ADMIN)
    edit(at, "issues_editor", {0: {"status": "acknowledged", "note": "on it"}})
    at.run()
    assert not at.exception
    issue_id = at.dataframe[0].value.index[0]

    # Reads come from the copy: a change made in the warehouse after it was taken is not shown.
    remote.execute("UPDATE dq_issues SET severity = 'low' WHERE issue_id = ?", (issue_id,))
    at.run()
    assert at.dataframe[0].value.loc[issue_id, "severity"] != "low"

    remote.execute("UPDATE dq_issues SET severity = 'high' WHERE issue_id = ?", (issue_id,))
    at.button(key="issues_save").click().run()
    assert not at.exception
    assert remote.fetch_all(
        "SELECT status, status_by, status_note FROM dq_issues WHERE issue_id = ?", (issue_id,)
    ) == [("acknowledged", "ada", "on it")]
    assert (
        remote.fetch_value("SELECT count(*) FROM issue_events WHERE issue_id = ?", (issue_id,)) == 1
    )
    assert at.dataframe[0].value.loc[issue_id, "status"] == "acknowledged"  # the copy, updated
    text, _ = rendered(at)
    assert "Saved 1 change" in text
