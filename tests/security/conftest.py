"""Fixtures of the security tests: the hostile demo warehouse (see hostile.py)."""

import pytest

from tests.security import hostile


@pytest.fixture(scope="session")
def hostile_file(scored_demo, tmp_path_factory):
    """The scored demo warehouse with bill findings, projects and hostile names (built once)."""
    return hostile.build(scored_demo[0], tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def hostile_url(hostile_file, tmp_path, monkeypatch):
    """A private copy of the hostile warehouse, set as DQ_WAREHOUSE."""
    url = hostile.copy(hostile_file, tmp_path)
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    return url
