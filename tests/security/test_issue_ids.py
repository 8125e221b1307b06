"""Issue 11 item 6: issue ids in links are not guessable from meter and time (keyed hash).

Ids are an HMAC under a random per-warehouse key (``dq_meta`` ``issue_id_key``, created by
migration 0005). The upgrade re-keys the issues an older version stored (and their audit
events), so a rerun finds the same issues: no duplicates, people's statuses and notes kept.
"""

import hashlib

import pandas as pd
import pytest

from core import issue_ids, triage
from core.auth import User
from core.bills import job as bills_job
from core.db import open_warehouse
from core.dq import job as dq_job
from core.dq import store

STAFF = User("staff", "Demo staff", "staff", None)


def unkeyed_issue_id(meter_id, detector, source, start_ts) -> str:
    """What an id was before: anyone could compute it from a meter id and a time."""
    text = f"{meter_id}|{detector}|{source}|{pd.Timestamp(start_ts).isoformat()}"
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def unkeyed_bill_issue_id(check, bill_id, meter_id) -> str:
    unit = bill_id if isinstance(bill_id, str) and bill_id else meter_id
    return hashlib.sha1(f"bill|{check}|{unit}".encode()).hexdigest()[:20]


def _unkeyed(rows: pd.DataFrame) -> list[str]:
    return [
        unkeyed_bill_issue_id(r.detector, r.bill_id, r.meter_id)
        if r.kind == "bill"
        else unkeyed_issue_id(r.meter_id, r.detector, r.source, r.start_ts)
        for r in rows.itertuples(index=False)
    ]


def _issues(db) -> pd.DataFrame:
    rows = db.fetch_df(
        "SELECT issue_id, kind, detector, meter_id, bill_id, source, start_ts, "
        "status, status_by, status_note FROM dq_issues ORDER BY issue_id"
    )
    rows["bill_id"] = rows["bill_id"].astype(object).where(rows["bill_id"].notna(), None)
    return rows


@pytest.fixture
def wh(demo_warehouse_file):
    """The scored demo warehouse with bill findings too: (url, db, day)."""
    url, day = demo_warehouse_file
    db = open_warehouse(url)
    db.execute("UPDATE bills SET usage = 0 WHERE bill_id LIKE '%-202601'")
    bills_job.run(db, day, progress=False)
    return url, db, day


def test_ids_cannot_be_computed_from_meter_and_time(wh, fresh_db):
    _, db, _ = wh
    rows = _issues(db)
    assert set(rows["kind"]) == {"meter", "bill"}
    guessed = set(_unkeyed(rows))
    assert not guessed & set(rows["issue_id"])
    key, other = issue_ids.read_key(db), issue_ids.read_key(fresh_db)
    assert key != other and len(key) >= 64  # 256 random bits per warehouse, hex
    t = pd.Timestamp("2026-03-10")
    assert store.issue_id("m-1", "offline", "platform", t, key) != store.issue_id(
        "m-1", "offline", "platform", t, other
    )
    assert store.issue_id("m-1", "offline", "platform", t, key) == store.issue_id(
        "m-1", "offline", "platform", t, key
    )  # stable: same inputs, same id
    assert store.bill_issue_id("zero_usage", "B1", "m-1", key) != store.bill_issue_id(
        "zero_usage", "B1", "m-1", other
    )


def _version(name: str) -> int:
    from core.db import migrations

    return next(m.version for m in migrations.discover() if m.name == name)


def _downgrade(db) -> dict[str, str]:
    """Put the warehouse back in the state the unkeyed version left: old ids, no key, v4.

    Returns ``{old id: keyed id}``.
    """
    rows = _issues(db)
    mapping = pd.DataFrame({"old_id": _unkeyed(rows), "new_id": rows["issue_id"]})
    with db.transaction() as tx:
        tx.execute("CREATE TABLE ids_back (old_id VARCHAR, new_id VARCHAR)")
        tx.insert_df("ids_back", mapping)
        for table in ("dq_issues", "issue_events"):
            tx.execute(
                f"UPDATE {table} SET issue_id = b.old_id FROM ids_back b "
                f"WHERE {table}.issue_id = b.new_id"
            )
        tx.execute("DROP TABLE ids_back")
        tx.execute("DELETE FROM dq_meta WHERE meta_key = ?", (issue_ids.META_KEY,))
        tx.execute(
            "DELETE FROM schema_migrations WHERE version = ?", (_version("keyed_issue_ids"),)
        )
    return dict(zip(mapping["old_id"], mapping["new_id"], strict=True))


def test_upgrade_rekeys_stored_issues_and_a_rerun_keeps_peoples_work(wh):
    url, db, day = wh
    _downgrade(db)
    old = _issues(db)
    assert list(old["issue_id"]) == sorted(_unkeyed(old))  # as the old version stored them
    meter_issue = old[old["kind"] == "meter"].iloc[0]["issue_id"]
    bill_issue = old[old["kind"] == "bill"].iloc[0]["issue_id"]
    triage.set_status(db, STAFF, meter_issue, "acknowledged", "called the site")
    triage.set_status(db, STAFF, bill_issue, "ignored", "known estimate")
    events_before = db.fetch_value("SELECT count(*) FROM issue_events")

    db = open_warehouse(url)  # the upgrade: the keyed_issue_ids migration
    key = issue_ids.read_key(db)
    new = _issues(db)
    assert len(new) == len(old)
    expected = [
        store.bill_issue_id(r.detector, r.bill_id, r.meter_id, key)
        if r.kind == "bill"
        else store.issue_id(r.meter_id, r.detector, r.source, r.start_ts, key)
        for r in new.itertuples(index=False)
    ]
    assert list(new["issue_id"]) == expected  # every row under its keyed id
    assert not set(new["issue_id"]) & set(old["issue_id"])
    assert db.fetch_value("SELECT count(*) FROM issue_events") == events_before
    assert (
        db.fetch_value(
            "SELECT count(*) FROM issue_events e WHERE NOT EXISTS "
            "(SELECT 1 FROM dq_issues i WHERE i.issue_id = e.issue_id)"
        )
        == 0
    )

    dq_job.run(db, day, progress=False)  # the first runs after the upgrade
    bills_job.run(db, day, progress=False)
    after = _issues(db)
    assert len(after) == len(new)  # the same issues: nothing duplicated
    assert set(after["issue_id"]) == set(new["issue_id"])
    mine = after[after["status_by"] == "staff"].set_index("kind")
    assert mine.loc["meter", ["status", "status_note"]].tolist() == [
        "acknowledged",
        "called the site",
    ]
    assert mine.loc["bill", ["status", "status_note"]].tolist() == ["ignored", "known estimate"]
    for issue_id in mine["issue_id"]:
        assert db.fetch_all(
            "SELECT changed_by FROM issue_events WHERE issue_id = ?", (issue_id,)
        ) == [("staff",)]
