"""The audit trail (core.audit, `jobs export audit`): status changes and comments, by time."""

import datetime as dt
import io
import json

import pandas as pd
import pytest

from core import audit, comments, triage
from core.auth import User
from core.export import export
from tests.core.test_comments import ADMIN, STAFF_A, STAFF_B, seed

FORMULA = '=HYPERLINK("https://evil.example","Sign in")'


@pytest.fixture
def db(any_db):
    seed(any_db)
    triage.set_status(any_db, STAFF_A, "i-a", "acknowledged", note="looking")
    comments.add(any_db, STAFF_A, "i-a", "CT clamp loose")
    comments.add(any_db, STAFF_B, "i-b", FORMULA)
    triage.set_status(any_db, ADMIN, "i-a", "resolved", note="fixed")
    return any_db


def test_status_changes_and_comments_in_time_order(db):
    out = audit.trail(db)
    assert list(out.columns) == audit.COLUMNS
    assert out["at"].is_monotonic_increasing
    rows = out[["by", "event", "thread_kind", "thread_id", "account_id", "from_status",
                "to_status", "text"]].astype(object).where(out.notna(), None)  # fmt: skip
    assert rows.values.tolist() == [
        ["sam", "status", "issue", "i-a", "acc-a", "open", "acknowledged", "looking"],
        ["sam", "comment", "issue", "i-a", "acc-a", None, None, "CT clamp loose"],
        ["bob", "comment", "issue", "i-b", "acc-b", None, None, FORMULA],
        ["ada", "status", "issue", "i-a", "acc-a", "acknowledged", "resolved", "fixed"],
    ]
    said = out[out["event"] == "comment"]
    assert said["comment_id"].notna().all()
    assert set(said["comment_id"]) == set(db.fetch_df("SELECT comment_id FROM dq_comments")[
        "comment_id"])  # fmt: skip


def test_a_user_sees_only_their_accounts(db):
    assert set(audit.trail(db, user=STAFF_A)["thread_id"]) == {"i-a"}
    assert audit.trail(db, user=STAFF_B)["text"].tolist() == [FORMULA]
    nobody = User("nob", "Nob", "staff", frozenset())
    empty = audit.trail(db, user=nobody)
    assert empty.empty and list(empty.columns) == audit.COLUMNS


def test_a_day_keeps_that_days_events(db):
    today = dt.datetime.now(dt.UTC).date()
    assert len(audit.trail(db, today)) == 4
    assert audit.trail(db, today - dt.timedelta(days=1)).empty


def test_export_audit_csv_is_formula_safe_and_json_complete(db):
    text = export(db, "audit", "csv")
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns) == audit.COLUMNS
    assert "'" + FORMULA in frame["text"].tolist()  # the comment, neutralised
    assert "CT clamp loose" in frame["text"].tolist()
    records = json.loads(export(db, "audit", "json"))
    assert [r["event"] for r in records] == ["status", "comment", "comment", "status"]
    assert records[2]["text"] == FORMULA  # JSON keeps the text as written


def test_cli_prints_the_audit_trail(db, any_url, monkeypatch, capsys):
    from jobs.cli import main

    monkeypatch.setenv("DQ_WAREHOUSE", any_url)
    assert main(["export", "audit", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {(r["event"], r["by"]) for r in records} == {
        ("status", "sam"), ("comment", "sam"), ("comment", "bob"), ("status", "ada"),
    }  # fmt: skip
