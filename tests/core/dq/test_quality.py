"""Detection quality on a fleet generated with another seed than the demo's.

A regression guard: the demo and the detectors were written together. The honest figures are
the LEAD and NAB benchmarks and the field-conditions suite (tests/fieldcases).
"""

import pandas as pd
import pytest

from core.db import connect, open_warehouse
from core.detectors import REGISTRY

TOLERANCE = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def scored_with_calendar(demo_fleet, tmp_path_factory):
    """The fleet scored with its closure listed in DQ_HOLIDAYS, as a real holiday would be."""
    from core.dq import job
    from core.ingest import import_frames

    url = f"duckdb:///{tmp_path_factory.mktemp('quality')}/demo.duckdb"
    db = open_warehouse(url)
    import_frames(db, meters=demo_fleet.meters, readings=demo_fleet.readings)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DQ_HOLIDAYS", demo_fleet.holidays)
        job.run(db, demo_fleet.last_day)
    return url, demo_fleet.last_day


def _issues(url, day):
    db = connect(url)
    return db.fetch_df(
        "SELECT meter_id, detector, source, start_ts, end_ts, status FROM dq_issues "
        "WHERE kind = 'meter' AND status = 'open' AND end_ts > ? AND start_ts < ?",
        (pd.Timestamp(day), pd.Timestamp(day) + pd.Timedelta(days=1)),
    )


def _overlaps(a, b, keys):
    pairs = a.reset_index().merge(b.reset_index(), on=keys, suffixes=("_a", "_b"))
    hit = (pairs.start_ts_a < pairs.end_ts_b + TOLERANCE) & (
        pairs.end_ts_a > pairs.start_ts_b - TOLERANCE
    )
    return pairs[hit]


@pytest.fixture(scope="module")
def quality(scored_with_calendar, demo_fleet):
    url, day = scored_with_calendar
    issues = _issues(url, day)
    injected = demo_fleet.injected
    found = _overlaps(injected, issues, ["meter_id", "detector", "source"])
    recall = (
        injected.assign(hit=injected.index.isin(found.index_a)).groupby("detector")["hit"].mean()
    )
    true_issues = _overlaps(issues, injected, ["meter_id"]).index_a.unique()
    precision = len(true_issues) / max(len(issues), 1)
    issues = issues.assign(true=issues.index.isin(true_issues))
    per_detector = issues.groupby("detector")["true"].agg(["sum", "count"])
    print(
        f"\nrecall per detector:\n{recall.round(3).to_string()}\nprecision {precision:.3f} "
        f"({len(true_issues)}/{len(issues)} open issues on the scored day)\n"
        f"precision per detector (true, found):\n{per_detector.to_string()}"
    )
    return issues, recall, precision


def test_every_detector_is_injected(demo_fleet):
    missing = sorted(set(REGISTRY) - set(demo_fleet.injected.detector))
    assert not missing, (
        f"the demo fleet plants no problem for {missing}: add an entry to _POOLS and a branch "
        "to _inject in core/demo/_faults.py, so the demo and this quality test cover it"
    )
    assert set(demo_fleet.injected.detector) == set(REGISTRY)


@pytest.mark.parametrize("detector", sorted(REGISTRY))
def test_recall_per_detector(quality, detector):
    _, recall, _ = quality
    assert recall[detector] >= 0.9, recall.to_dict()


def test_overall_precision(quality):
    issues, _, precision = quality
    assert len(issues) > 0
    assert precision >= 0.9


@pytest.mark.parametrize("detector", sorted(REGISTRY))
def test_precision_per_detector(quality, detector):
    issues, _, _ = quality
    mine = issues[issues["detector"] == detector]
    assert len(mine) > 0
    assert mine["true"].mean() >= 0.95, mine[~mine["true"]].to_string()


def test_no_issue_on_ineligible_meters(scored_demo, demo_fleet):
    url, _, _ = scored_demo
    db = connect(url)
    ineligible = sorted(demo_fleet.ineligible_meter_ids)
    assert ineligible
    marks = ", ".join("?" for _ in ineligible)
    assert (
        db.fetch_value(f"SELECT count(*) FROM dq_issues WHERE meter_id IN ({marks})", ineligible)
        == 0
    )
    assert (
        db.fetch_value(
            f"SELECT count(*) FROM dq_meter_days WHERE meter_id IN ({marks})", ineligible
        )
        == 0
    )
