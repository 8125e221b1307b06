"""The ``db`` fixture of the bills view tests: a fresh warehouse with the seeded findings."""

import pytest

from tests.core.views.bills.billdata import seed


@pytest.fixture
def db(fresh_db):
    return seed(fresh_db)
