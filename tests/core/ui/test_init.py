"""core.ui itself (``core/ui/__init__.py``) under Streamlit's AppTest: the projects database."""

import pytest
from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from core import ui

    db = ui.warehouse()
    pdb = ui.projects_db(db)
    seen = st.session_state.setdefault("seen", [])
    seen.append(id(pdb))
    st.write(f"warehouse {pdb is db} projects {pdb.fetch_value('SELECT count(*) FROM projects')}")


def test_without_a_projects_url_projects_live_in_the_warehouse(db_path, monkeypatch):
    monkeypatch.setenv("DQ_WAREHOUSE", db_path)
    monkeypatch.setenv("DQ_PROJECTS_DB_URL", "")
    at = AppTest.from_function(_script).run()
    assert not at.exception
    assert at.markdown[0].value == "warehouse True projects 0"


@pytest.mark.integration
def test_a_projects_url_is_its_own_database_migrated_once(db_path, pg_url, monkeypatch):
    monkeypatch.setenv("DQ_WAREHOUSE", db_path)
    monkeypatch.setenv("DQ_PROJECTS_DB_URL", pg_url)
    at = AppTest.from_function(_script, default_timeout=30).run().run()
    assert not at.exception
    assert at.markdown[0].value == "warehouse False projects 0"
    first, again = at.session_state["seen"]
    assert first == again  # one connection per process and pair of URLs


def test_a_projects_url_that_is_not_postgresql_is_refused(db_path, monkeypatch):
    monkeypatch.setenv("DQ_WAREHOUSE", db_path)
    monkeypatch.setenv("DQ_PROJECTS_DB_URL", "mysql://u:p@h/db")
    at = AppTest.from_function(_script).run()
    assert "DQ_PROJECTS_DB_URL" in at.exception[0].value and ":p@" not in at.exception[0].value
