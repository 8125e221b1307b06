"""Project sync: DRAFT overwritten, a person's or a non-DRAFT project untouched, void/un-void."""

from datetime import datetime

import pandas as pd

from core.overshoot import detect, sync

BUILDINGS = pd.DataFrame(
    {
        "building_id": ["A", "B"],
        "account_id": ["acct1", "acct1"],
        "building_name": ["Alpha", "Beta"],
        "timezone": ["UTC", "UTC"],
    }
)
T1, T2, T3 = datetime(2026, 4, 1), datetime(2026, 5, 1), datetime(2026, 6, 1)


def _faults(month, cost_by_building):
    rows = []
    for b, cost in cost_by_building.items():
        row = dict.fromkeys(detect.FAULT_COLUMNS)
        row.update(
            building_id=b,
            month=month,
            overshoot_days=3,
            top_hits=1,
            worst_day=f"{month}-03",
            worst_excess_kw=cost / 15,
            est_monthly_cost=cost,
            reason="days+top",
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=detect.FAULT_COLUMNS)


def _sync(db, month, costs, now):
    with db.transaction() as tx:
        return sync.sync_projects(tx, _faults(month, costs), BUILDINGS, month, "run", now)


def _projects(db):
    return db.fetch_df("SELECT * FROM projects ORDER BY building_id").set_index("building_id")


def test_draft_overwritten_with_fresh_evidence(fresh_db):
    assert _sync(fresh_db, "2026-03", {"A": 300.0}, T1)["created"] == 1
    assert _sync(fresh_db, "2026-04", {"A": 600.0}, T2)["updated"] == 1
    p = _projects(fresh_db).loc["A"]
    assert p["month"] == "2026-04" and p["est_monthly_cost"] == 600.0
    assert p["source_fault_id"] == sync.fault_id("A", "2026-04")
    assert p["updated_at"] == pd.Timestamp(T2) and p["updated_by"] == "system"
    assert p["title"] == "Morning overshoot: Alpha" and "2026-04" in p["summary"]
    assert len(fresh_db.fetch_df("SELECT * FROM projects")) == 1


def test_in_progress_and_person_edited_untouched_byte_for_byte(fresh_db):
    _sync(fresh_db, "2026-03", {"A": 300.0, "B": 200.0}, T1)
    fresh_db.execute(
        "UPDATE projects SET status = 'IN_PROGRESS', updated_by = 'bse1' WHERE building_id = 'A'"
    )
    fresh_db.execute(
        "UPDATE projects SET title = 'my title', updated_by = 'bse2' WHERE building_id = 'B'"
    )
    before = _projects(fresh_db)
    counts = _sync(fresh_db, "2026-04", {"A": 900.0, "B": 800.0}, T2)
    assert counts["kept"] == 2
    pd.testing.assert_frame_equal(_projects(fresh_db), before)
    # ... nor voided when their fault disappears
    _sync(fresh_db, "2026-05", {}, T3)
    pd.testing.assert_frame_equal(_projects(fresh_db), before)


def test_void_on_disappearance_and_unvoid_on_return(fresh_db):
    _sync(fresh_db, "2026-03", {"A": 300.0, "B": 200.0}, T1)
    counts = _sync(fresh_db, "2026-04", {"A": 300.0}, T2)
    assert counts["voided"] == 1
    p = _projects(fresh_db)
    assert bool(p.loc["B", "void"]) and not bool(p.loc["A", "void"])
    assert p.loc["B", "month"] == "2026-03"  # the evidence that held is kept
    counts = _sync(fresh_db, "2026-05", {"A": 300.0, "B": 250.0}, T3)
    p = _projects(fresh_db)
    assert not bool(p.loc["B", "void"]) and p.loc["B", "month"] == "2026-05"
    assert p.loc["B", "est_monthly_cost"] == 250.0


def test_unscanned_building_is_not_voided(fresh_db):
    _sync(fresh_db, "2026-03", {"A": 300.0, "B": 200.0}, T1)
    with fresh_db.transaction() as tx:
        sync.sync_projects(tx, _faults("2026-04", {}), BUILDINGS.iloc[:1], "2026-04", "r", T2)
    p = _projects(fresh_db)
    assert bool(p.loc["A", "void"]) and not bool(p.loc["B", "void"])


def test_backfill_does_not_rewind_a_newer_draft(fresh_db):
    _sync(fresh_db, "2026-04", {"A": 300.0}, T1)
    assert _sync(fresh_db, "2026-03", {"A": 999.0}, T2)["newer"] == 1
    assert _projects(fresh_db).loc["A", "month"] == "2026-04"


def test_rerun_idempotent(fresh_db):
    _sync(fresh_db, "2026-03", {"A": 300.0, "B": 200.0}, T1)
    _sync(fresh_db, "2026-04", {"A": 300.0}, T2)
    before = _projects(fresh_db)
    events = fresh_db.fetch_df("SELECT * FROM project_events ORDER BY project_id")
    counts = _sync(fresh_db, "2026-04", {"A": 300.0}, T3)
    assert counts["unchanged"] == 2 and counts["updated"] == counts["voided"] == 0
    pd.testing.assert_frame_equal(_projects(fresh_db), before)
    pd.testing.assert_frame_equal(
        fresh_db.fetch_df("SELECT * FROM project_events ORDER BY project_id"), events
    )


def test_one_sync_creates_updates_keeps_voids_and_skips_at_once(fresh_db):
    five = pd.DataFrame(
        {
            "building_id": list("ABCDE"),
            "account_id": "acct1",
            "building_name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"],
            "timezone": "UTC",
        }
    )

    def sync_five(month, costs, now):
        with fresh_db.transaction() as tx:
            return sync.sync_projects(tx, _faults(month, costs), five, month, "run", now)

    sync_five("2026-03", {"A": 300.0, "B": 200.0, "C": 100.0, "D": 50.0}, T1)
    fresh_db.execute(
        "UPDATE projects SET status = 'WONT_DO', updated_by = 'bse1' WHERE building_id = 'B'"
    )
    before = _projects(fresh_db)
    counts = sync_five("2026-04", {"A": 600.0, "B": 900.0, "D": 50.0, "E": 10.0}, T2)
    assert counts == {"created": 1, "updated": 2, "unchanged": 0, "voided": 1, "kept": 1,
                      "newer": 0}  # fmt: skip  # D: same cost, new month -> updated
    after = _projects(fresh_db)
    assert len(after) == 5 and after.index.tolist() == list("ABCDE")
    pd.testing.assert_frame_equal(after.loc[["B"]], before.loc[["B"]])  # byte for byte
    assert after.loc["A", "est_monthly_cost"] == 600.0 and after.loc["A", "month"] == "2026-04"
    assert bool(after.loc["C", "void"]) and after.loc["C", "month"] == "2026-03"
    assert after.loc["C", "est_monthly_cost"] == 100.0
    assert after.loc["E", "status"] == "DRAFT" and after.loc["E", "updated_at"] == pd.Timestamp(T2)
    events = fresh_db.fetch_df("SELECT * FROM project_events ORDER BY changed_at, project_id")
    assert events["project_id"].tolist()[-1] == sync.project_id("E")
    assert events["note"].tolist() == ["created by run run"] * 5
    assert events["from_status"].isna().all() and set(events["to_status"]) == {"DRAFT"}


def test_many_projects_are_written_in_batches(fresh_db):
    ids = [f"b{i:04d}" for i in range(1201)]  # three IN lists of at most 500 ids
    many = pd.DataFrame({"building_id": ids, "account_id": "acct", "building_name": ids,
                         "timezone": "UTC"})  # fmt: skip
    costs = {b: float(i) for i, b in enumerate(ids)}
    with fresh_db.transaction() as tx:
        counts = sync.sync_projects(tx, _faults("2026-03", costs), many, "2026-03", "r", T1)
    assert counts["created"] == 1201
    with fresh_db.transaction() as tx:
        counts = sync.sync_projects(
            tx, _faults("2026-04", {b: c + 1 for b, c in costs.items()}), many, "2026-04", "r", T2
        )
    assert counts["updated"] == 1201
    p = _projects(fresh_db)
    assert len(p) == 1201 and (p["month"] == "2026-04").all()
    assert p.loc["b1200", "est_monthly_cost"] == 1201.0
    assert fresh_db.fetch_value("SELECT count(*) FROM project_events") == 1201


def test_summary_counts_mornings_in_plain_words():
    fault = {
        "month": "2026-03",
        "overshoot_days": 1,
        "top_hits": 1,
        "worst_day": "2026-03-02",
        "worst_excess_kw": 12.0,
        "est_monthly_cost": 180.0,
    }
    _, one = sync._text(fault, "B")
    _, three = sync._text({**fault, "overshoot_days": 3}, "B")
    assert "1 weekday morning overshot" in one and "3 weekday mornings overshot" in three
