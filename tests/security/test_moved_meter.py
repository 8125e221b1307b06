"""Issue 11 item 6: no names of other accounts, also after a meter moves to another account.

On the hostile demo warehouse (scored, with bill findings and projects), a re-import moves a
meter of ``acc-01`` (with issues, bill findings and scores under ``acc-01``) to ``acc-03``,
and every meter of a building with a project from ``acc-01`` to ``acc-03``. A user granted
``acc-01`` and ``acc-02`` then sees none of those rows, names or ids on any list, cannot open
the issue by its link and cannot triage it; an admin sees the old rows without the new owner's
names. And the import itself refuses a bill filed under another account than its meter's.
"""

import pandas as pd
import pytest

from core import triage
from core.auth import User
from core.db import open_warehouse
from core.ingest import import_files, import_frames
from core.sandbox import data
from core.views import explorer, issues, offline, overview
from core.views.bills import issues as bill_issues
from core.views.projects import board as projects
from core.views.projects import evidence as project_evidence

STAFF = User("sam", "Sam", "staff", frozenset({"acc-01", "acc-02"}))
BSE = User("bea", "Bea", "bse", frozenset({"acc-01", "acc-02"}))
ADMIN = User("ada", "Ada", "admin", None)
ALL = ("open", "acknowledged", "resolved", "ignored", "not_an_issue")


@pytest.fixture
def moved(hostile_url):
    """(db, moved meter id, its meter issue ids, moved building id, acc-03's names and ids)."""
    db = open_warehouse(hostile_url)
    meter = db.fetch_value(
        "SELECT i.meter_id FROM dq_issues i JOIN dq_issues b ON b.meter_id = i.meter_id "
        "AND b.kind = 'bill' WHERE i.kind = 'meter' AND i.account_id = 'acc-01' "
        "AND i.detector = 'offline' ORDER BY 1 LIMIT 1"
    )
    assert meter is not None
    ids = [
        r[0] for r in db.fetch_all("SELECT issue_id FROM dq_issues WHERE meter_id = ?", (meter,))
    ]
    building = db.fetch_value("SELECT building_id FROM projects WHERE account_id = 'acc-01'")
    new = db.fetch_df("SELECT * FROM meters WHERE account_id = 'acc-03' LIMIT 1").iloc[0]
    rows = db.fetch_df(
        "SELECT * FROM meters WHERE meter_id = ? OR building_id = ?", (meter, building)
    )
    rows["account_id"], rows["account_name"] = "acc-03", new["account_name"]
    to_new = rows["meter_id"] == meter
    rows.loc[to_new, "building_id"] = new["building_id"]
    rows.loc[to_new, "building_name"] = new["building_name"]
    report = import_frames(db, meters=rows)  # the ordinary way a meter changes hands
    assert report.ok
    secrets = {new["account_name"], "acc-03", new["building_id"], new["building_name"]}
    return db, meter, ids, building, secrets


def _text(df: pd.DataFrame) -> str:
    return df.astype(str).to_csv()


def test_lists_drop_the_moved_meter_and_show_no_new_owner_names(moved):
    db, meter, ids, building, secrets = moved
    found, _ = issues.list_issues(db, STAFF, issues.Filters(statuses=ALL), 1, 10_000)
    bills, _ = bill_issues.list_bill_issues(db, STAFF, bill_issues.Filters(statuses=ALL), 1, 10_000)
    now = offline.offline_devices(db, STAFF)
    scores = [overview.scores(db, STAFF, by) for by in ("account", "building")]
    for frame in (found, bills, now.now, now.dormant, *scores):
        assert meter not in set(frame.get("meter_id", [])) and not set(ids) & set(
            frame.get("issue_id", [])
        )
        assert [s for s in secrets if s in _text(frame)] == []
    assert len(found) and len(bills)  # the rest of acc-01 and acc-02 is still there
    csv = issues.export_csv(db, STAFF, issues.Filters(statuses=ALL)).decode()
    assert meter not in csv and [s for s in secrets if s in csv] == []


def test_the_old_accounts_user_cannot_open_or_triage_it(moved):
    db, meter, ids, _, _ = moved
    for issue_id in ids:
        with pytest.raises(explorer.NotFoundError) as err:
            explorer.issue_target(db, STAFF, issue_id)
        assert meter not in str(err.value)
        with pytest.raises(triage.TriageError, match="does not exist"):
            triage.set_status(db, STAFF, issue_id, "acknowledged", "mine now?")
    assert (
        db.fetch_value(
            f"SELECT count(*) FROM issue_events WHERE issue_id IN ({', '.join('?' * len(ids))})",
            ids,
        )
        == 0
    )
    detector = db.fetch_value("SELECT detector FROM dq_issues WHERE issue_id = ?", (ids[0],))
    hit = data.latest_issue(db, STAFF, detector)
    assert hit is None or hit[0] != meter
    other = db.fetch_value(
        "SELECT min(i.issue_id) FROM dq_issues i JOIN meters m "
        "ON m.meter_id = i.meter_id WHERE i.account_id = 'acc-01' "
        "AND m.account_id = 'acc-01' AND i.kind = 'meter' AND i.status = 'open'"
    )
    triage.set_status(db, STAFF, other, "acknowledged", "still ours")  # the rest: as before


def test_admin_sees_the_old_rows_without_the_new_owners_names(moved):
    db, meter, ids, _, secrets = moved
    found, _ = issues.list_issues(db, ADMIN, issues.Filters(statuses=ALL), 1, 100_000)
    rows = found[found["meter_id"] == meter]
    assert set(rows["issue_id"]) >= {i for i in ids if i in set(found["issue_id"])}
    assert len(rows) and set(rows["account_id"]) == {"acc-01"}
    assert [s for s in secrets if s in _text(rows)] == []  # no acc-03 name on acc-01's row


def test_a_project_whose_building_moved_is_gone_for_the_old_account(moved):
    db, _, _, building, secrets = moved
    pid = db.fetch_value("SELECT project_id FROM projects WHERE building_id = ?", (building,))
    listed = projects.list_projects(db, db, BSE, projects.Filters())
    assert building not in set(listed["building_id"]) and len(listed)
    assert [s for s in secrets if s in _text(listed)] == []
    options = projects.filter_options(db, db, BSE)
    assert building not in options["buildings"]
    with pytest.raises(projects.ProjectError, match="does not exist"):
        project_evidence.evidence(db, db, BSE, pid)
    assert building in set(projects.list_projects(db, db, ADMIN, projects.Filters())["building_id"])


def test_import_refuses_a_bill_of_another_account_than_its_meter(tmp_path, fresh_db):
    meters = tmp_path / "meters.csv"
    meters.write_text("meter_id,building_id,account_id,kind,unit\nm1,b1,acc-a,electricity,kWh\n")
    bills = tmp_path / "bills.csv"
    bills.write_text(
        "bill_id,account_id,building_id,meter_id,commodity,period_start,period_end,usage,"
        "usage_unit,cost\n"
        "B1,acc-a,b1,m1,electricity,2026-01-01,2026-01-31,100,kWh,20\n"
        "B2,acc-b,b9,m1,electricity,2026-02-01,2026-02-28,100,kWh,20\n"
        "B3,acc-b,b9,,electricity,2026-02-01,2026-02-28,100,kWh,20\n"
    )
    report = import_files(fresh_db, meters=meters, bills=bills)
    [bad] = report.bad_rows.to_dict("records")
    assert (bad["file"], bad["line"], bad["bill_id"], bad["meter_id"]) == (
        str(bills),
        3,
        "B2",
        "m1",
    )
    assert "acc-b" in bad["reason"] and "acc-a" in bad["reason"] and "line 3" in bad["reason"]
    assert bad["column"] == "account_id"
    stored = fresh_db.fetch_all("SELECT bill_id, account_id FROM bills ORDER BY 1")
    assert stored == [("B1", "acc-a"), ("B3", "acc-b")]  # the good rows landed
    # The meter's account in the same call's meters file counts, not the stored one.
    moved = tmp_path / "moved.csv"
    moved.write_text("meter_id,building_id,account_id,kind,unit\nm1,b9,acc-b,electricity,kWh\n")
    report = import_files(fresh_db, meters=moved, bills=bills)
    assert [r["bill_id"] for r in report.bad_rows.to_dict("records")] == ["B1"]
