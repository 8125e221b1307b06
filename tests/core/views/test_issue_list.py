"""The paged query both issue lists run (core.views.issue_list.page_of)."""

from datetime import datetime, timedelta

import pandas as pd
import pytest

from core.auth import User
from core.views.issue_list import FilterError, Where, page_of

ADMIN = User("root", "Root", "admin", None)
JOINED = "SELECT p.* FROM {page} p"


@pytest.fixture
def listed(fresh_db):
    t0 = datetime(2026, 1, 1)
    n = 23
    fresh_db.insert_df("dq_issues", pd.DataFrame({
        "issue_id": [f"i{k:02d}" for k in range(n)], "kind": "meter", "detector": "offline",
        "account_id": "acc-1", "meter_id": "m1",
        "severity": [("high", "medium", "low")[k % 3] for k in range(n)],
        "start_ts": [t0 + timedelta(hours=(k * 7) % 11) for k in range(n)],
        "first_seen_run": "r", "last_seen_run": "r", "status": "open", "status_by": "system",
        "status_at": t0,
    }))  # fmt: skip
    return fresh_db


def _page(db, page, size):
    with db.transaction() as tx:
        df, total = page_of(tx, Where(ADMIN, "meter").sql(), "i.*", JOINED, page, size)
    return list(df["issue_id"]), total


def test_pages_cut_from_either_end_cover_the_list_once_in_order(listed):
    everything, total = _page(listed, 1, 100)
    assert total == 23 and len(everything) == 23
    rank = {"high": 0, "medium": 1, "low": 2}
    rows = listed.fetch_df("SELECT issue_id, severity, start_ts FROM dq_issues")
    rows["r"] = rows["severity"].map(rank)
    assert everything == list(rows.sort_values(["r", "start_ts", "issue_id"])["issue_id"])
    for size in (1, 4, 5, 10):  # back-half pages come from the reversed order
        pages = [_page(listed, p, size)[0] for p in range(1, -(-23 // size) + 1)]
        assert [i for page in pages for i in page] == everything, size


def test_a_page_past_the_end_is_empty_and_still_counts(listed):
    assert _page(listed, 9, 10) == ([], 23)


def test_a_page_below_one_is_refused(listed):
    with pytest.raises(FilterError, match="Page 0 of size 10"):
        _page(listed, 0, 10)
