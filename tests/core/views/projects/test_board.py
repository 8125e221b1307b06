"""Projects for building engineers: scoped list, audited status moves, evidence and charts."""

import json

import numpy as np
import pandas as pd
import pytest

from core.auth import User
from core.overshoot import job, store, sync
from core.views.projects import board as projects
from core.views.projects import charts as project_charts
from core.views.projects import evidence as project_evidence

MONTH = "2026-03"
SPIKES = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]  # Mon-Thu
ADMIN = User("ada", "Ada", "admin", None)
BSE_A = User("bea", "Bea", "bse", frozenset({"acc-a"}))
BSE_ALL = User("ben", "Ben", "bse", None)
STAFF = User("sam", "Sam", "staff", None)
# building -> (account, time zone, plateau kW, 06:00 spike kW, spike days): A, B and D fault
# with est. costs 750, 1200 and 300 $/month (excess x $15/kW); Q never overshoots.
BUILDINGS = {
    "A": ("acc-a", "America/New_York", 100.0, 150.0, SPIKES),
    "B": ("acc-b", "UTC", 200.0, 280.0, SPIKES),
    "D": ("acc-a", "UTC", 100.0, 120.0, SPIKES[:3]),
    "Q": ("acc-a", "UTC", 100.0, 100.0, []),
}
NAMES = {
    "A": "Alpha Tower",
    "B": "Beta Plaza",
    "D": "Delta Depot",
    "Q": "Quiet House",
    "acc-a": "Acme Corp",
    "acc-b": "Beta Corp",
}


def readings(meter_id: str, tz: str, base: float, spike: float, days: list[str]) -> pd.DataFrame:
    """15-minute kWh in local time: 20% of ``base`` at night, ``base`` 06:00-16:00, ``spike``
    06:00-07:00 on ``days``; stored as naive UTC like any import."""
    local = pd.date_range("2026-02-27", "2026-04-03", freq="15min", tz=tz, inclusive="left")
    hour = local.hour
    kw = np.where((hour >= 6) & (hour < 16), base, 0.2 * base)
    on = local.tz_localize(None).normalize().isin(pd.to_datetime(days)) & (hour == 6)
    kw = np.where(on, spike, kw)
    ts = local.tz_convert("UTC").tz_localize(None)
    return pd.DataFrame({"meter_id": meter_id, "ts": ts, "value": kw / 4, "source": "platform"})


def build(db, buildings=BUILDINGS):
    """Meters and readings of ``buildings`` (one 15-minute electricity meter each)."""
    meters = pd.DataFrame(
        [
            {
                "meter_id": f"m{b}",
                "building_id": b,
                "account_id": acc,
                "kind": "electricity",
                "unit": "kWh",
                "building_name": NAMES[b],
                "account_name": NAMES[acc],
                "timezone": tz,
                "dq_enabled": True,
                "account_active": True,
                "building_archived": False,
                "interval_minutes": 15,
            }
            for b, (acc, tz, *_) in buildings.items()
        ]
    )
    db.insert_df("meters", meters)
    db.insert_df(
        "readings",
        pd.concat(
            [
                readings(f"m{b}", tz, base, spike, days)
                for b, (_, tz, base, spike, days) in buildings.items()
            ],
            ignore_index=True,
        ),
    )
    return db


@pytest.fixture
def wh(fresh_db):
    """The fixture fleet with the March overshoot job run: its warehouse (projects inside)."""
    build(fresh_db)
    job.run(fresh_db, MONTH)
    return fresh_db


def pid(building: str) -> str:
    return sync.project_id(building)


def _list(db, user, **filters):
    return projects.list_projects(db, db, user, projects.Filters(**filters))


def _events(db, building):
    return db.fetch_all(
        "SELECT changed_by, from_status, to_status, note FROM project_events "
        "WHERE project_id = ? ORDER BY changed_at",
        (pid(building),),
    )


# --- list and scope ---------------------------------------------------------------------------


def test_list_sorted_by_cost_with_evidence_counts_and_names(wh):
    df = _list(wh, ADMIN)
    assert list(df["building_id"]) == ["B", "A", "D"]
    assert list(df["est_monthly_cost"]) == [1200.0, 750.0, 300.0]
    a = df.set_index("building_id").loc["A"]
    assert (a["building_name"], a["account_name"], a["status"]) == (
        "Alpha Tower",
        "Acme Corp",
        "DRAFT",
    )
    assert (a["overshoot_days"], a["top_hits"], a["worst_excess_kw"]) == (4, 4, 50.0)
    assert a["worst_day"] == pd.Timestamp("2026-03-02") and a["month"] == MONTH
    table = projects.table(df)
    assert list(table.index) == [pid("B"), pid("A"), pid("D")]
    assert "project" not in table.columns  # one project type: no column for it


def test_bse_of_account_a_sees_nothing_of_b(wh):
    df = _list(wh, BSE_A)
    assert list(df["building_id"]) == ["A", "D"]
    opts = projects.filter_options(wh, wh, BSE_A)
    assert opts["accounts"] == {"acc-a": "Acme Corp"}
    assert set(opts["buildings"]) == {"A", "D"} and opts["projects"] == 2
    assert "Beta" not in repr(opts)
    assert _list(wh, BSE_A, accounts=["acc-b"]).empty  # asking for B does not widen the scope
    with pytest.raises(projects.ProjectError, match=f"Project {pid('B')} does not exist"):
        project_evidence.evidence(wh, wh, BSE_A, pid("B"))
    with pytest.raises(projects.ProjectError, match="does not exist"):
        projects.history(wh, BSE_A, pid("B"))


def test_filters(wh):
    assert list(_list(wh, ADMIN, buildings=["A", "B"])["building_id"]) == ["B", "A"]
    assert list(_list(wh, ADMIN, accounts=["acc-a"])["building_id"]) == ["A", "D"]
    assert list(_list(wh, ADMIN, min_cost=700)["building_id"]) == ["B", "A"]
    assert _list(wh, ADMIN, months=["2026-02"]).empty
    assert len(_list(wh, ADMIN, months=[MONTH])) == 3
    projects.set_status(wh, BSE_ALL, pid("A"), "IN_PROGRESS")
    assert list(_list(wh, ADMIN, statuses=["IN_PROGRESS"])["building_id"]) == ["A"]
    assert list(_list(wh, ADMIN, statuses=projects.DEFAULT_STATUSES)["building_id"]) == [
        "B",
        "A",
        "D",
    ]
    with pytest.raises(projects.ProjectError, match="Unknown statuses open"):
        projects.Filters(statuses=["open"])
    with pytest.raises(projects.ProjectError, match="Minimum cost"):
        projects.Filters(min_cost=-1)


def test_void_projects_hidden_unless_asked(wh):
    job.run(wh, "2026-04")  # no overshoot in April: the system drafts go void
    assert _list(wh, ADMIN).empty
    df = _list(wh, ADMIN, include_void=True)
    assert list(df["building_id"]) == ["B", "A", "D"] and df["void"].all()
    assert projects.filter_options(wh, wh, ADMIN)["void"] == 3
    assert list(projects.table(df)["status"]) == ["Draft (void)"] * 3
    with pytest.raises(projects.ProjectError, match="is void"):
        projects.set_status(wh, ADMIN, pid("A"), "IN_PROGRESS")


# --- status changes ---------------------------------------------------------------------------


def test_bse_cannot_change_a_project_of_another_account_same_message_as_missing(wh):
    with pytest.raises(projects.ProjectError) as other:
        projects.set_status(wh, BSE_A, pid("B"), "IN_PROGRESS", "mine")
    with pytest.raises(projects.ProjectError) as missing:
        projects.set_status(wh, BSE_A, "nope", "IN_PROGRESS", "mine")
    assert str(other.value).replace(pid("B"), "X") == str(missing.value).replace("nope", "X")
    assert wh.fetch_value("SELECT status FROM projects WHERE building_id = 'B'") == "DRAFT"
    assert _events(wh, "B") == [("system", None, "DRAFT", _events(wh, "B")[0][3])]


@pytest.mark.parametrize("user", [STAFF, User("dee", "Dee", "ds", None)])
def test_only_admin_and_bse_change_status(wh, user):
    with pytest.raises(projects.ProjectError, match=f"role '{user.role}' cannot change"):
        projects.set_status(wh, user, pid("A"), "IN_PROGRESS")
    projects.set_status(wh, ADMIN, pid("A"), "IN_PROGRESS")  # admin may


def test_move_writes_the_project_and_one_audit_event(wh):
    at = projects.set_status(
        wh, BSE_A, pid("A"), "IN_PROGRESS", "  staggering AHU starts  ", expected_status="DRAFT"
    )
    row = wh.fetch_all(
        "SELECT status, updated_by, updated_at FROM projects WHERE project_id = ?", (pid("A"),)
    )
    assert row == [("IN_PROGRESS", "bea", at)]
    assert _events(wh, "A")[1:] == [("bea", "DRAFT", "IN_PROGRESS", "staggering AHU starts")]
    assert wh.fetch_value("SELECT changed_at FROM project_events WHERE changed_by = 'bea'") == at
    history = projects.history(wh, BSE_A, pid("A"))
    assert list(history["to_status"]) == ["IN_PROGRESS", "DRAFT"]  # newest first


def test_the_whole_lifecycle_with_reopening(wh):
    steps = [
        ("IN_PROGRESS", None),
        ("COMPLETED", None),
        ("IN_PROGRESS", "peak came back"),
        ("WONT_DO", "tenant owns the AHU"),
        ("IN_PROGRESS", "tenant agreed"),
    ]
    for to, note in steps:
        projects.set_status(wh, BSE_ALL, pid("A"), to, note)
    moves = [(f, t) for _, f, t, _ in _events(wh, "A")[1:]]
    assert moves == [
        ("DRAFT", "IN_PROGRESS"),
        ("IN_PROGRESS", "COMPLETED"),
        ("COMPLETED", "IN_PROGRESS"),
        ("IN_PROGRESS", "WONT_DO"),
        ("WONT_DO", "IN_PROGRESS"),
    ]


@pytest.mark.parametrize(
    ("path", "to", "note", "why"),
    [
        (
            [],
            "COMPLETED",
            "done",
            "cannot go from DRAFT to COMPLETED; allowed: IN_PROGRESS, WONT_DO",
        ),
        ([], "DRAFT", "again", "cannot go from DRAFT to DRAFT"),
        (["IN_PROGRESS"], "DRAFT", "back", "cannot go from IN_PROGRESS to DRAFT"),
        (["IN_PROGRESS", "COMPLETED"], "WONT_DO", "no", "cannot go from COMPLETED to WONT_DO"),
        ([], "WONT_DO", "   ", "say why in a note"),
        (["IN_PROGRESS", "COMPLETED"], "IN_PROGRESS", None, "say why in a note"),
        ([], "open", "x", "Unknown status 'open'"),
        ([], "IN_PROGRESS", "x" * 2001, "at most 2000"),
    ],
)
def test_refused_moves_change_nothing(wh, path, to, note, why):
    for step in path:
        projects.set_status(wh, BSE_ALL, pid("A"), step)
    before = wh.fetch_df("SELECT * FROM projects ORDER BY project_id")
    events = _events(wh, "A")
    with pytest.raises(projects.ProjectError, match=why):
        projects.set_status(wh, BSE_ALL, pid("A"), to, note)
    pd.testing.assert_frame_equal(wh.fetch_df("SELECT * FROM projects ORDER BY project_id"), before)
    assert _events(wh, "A") == events


def test_stale_edit_is_refused(wh):
    projects.set_status(wh, ADMIN, pid("A"), "IN_PROGRESS", "on it")  # while Bea's page is open
    with pytest.raises(
        projects.ProjectError, match="changed to IN_PROGRESS by ada .* after you loaded it"
    ):
        projects.set_status(wh, BSE_A, pid("A"), "WONT_DO", "not worth it", expected_status="DRAFT")
    assert wh.fetch_all(
        "SELECT status, updated_by FROM projects WHERE project_id = ?", (pid("A"),)
    ) == [("IN_PROGRESS", "ada")]
    assert [e[0] for e in _events(wh, "A")] == ["system", "ada"]


def test_a_persons_change_survives_a_rerun_of_the_job(wh):
    projects.set_status(wh, BSE_ALL, pid("A"), "IN_PROGRESS", "on it")
    projects.set_status(wh, BSE_ALL, pid("D"), "WONT_DO", "too small")
    before = wh.fetch_df("SELECT * FROM projects WHERE building_id IN ('A', 'D') ORDER BY 1")
    events = wh.fetch_df("SELECT * FROM project_events ORDER BY project_id, changed_at")
    # New evidence for every building: the job refreshes the system draft (B) only.
    wh.execute("UPDATE readings SET value = value * 2")
    summary = job.run(wh, MONTH)
    assert summary.projects["kept"] == 2 and summary.projects["updated"] == 1
    after = wh.fetch_df("SELECT * FROM projects WHERE building_id IN ('A', 'D') ORDER BY 1")
    pd.testing.assert_frame_equal(after, before)
    assert wh.fetch_value("SELECT est_monthly_cost FROM projects WHERE building_id = 'B'") == 2400
    pd.testing.assert_frame_equal(
        wh.fetch_df("SELECT * FROM project_events ORDER BY project_id, changed_at"), events
    )
    # ... and a later month without overshoots voids only the untouched draft.
    job.run(wh, "2026-04")
    void = dict(wh.fetch_all("SELECT building_id, void FROM projects"))
    assert void == {"A": False, "B": True, "D": False}


# --- evidence, figures and charts -----------------------------------------------------------


def test_evidence_in_local_time(wh):
    ev = project_evidence.evidence(wh, wh, BSE_A, pid("A"))
    assert ev.timezone == "America/New_York"
    assert ev.fault["overshoot_days"] == 4 and ev.fault["counted_days"] == 22
    assert ev.fault["top_threshold_kw"] == pytest.approx(142.5)  # 85th pct of 18x100, 4x150
    assert ev.fault["overshoot_dates"] == ",".join(SPIKES)
    assert len(ev.days) == 31 and ev.days["day"].min() == pd.Timestamp("2026-03-01")
    assert list(ev.days.loc[ev.days["overshoot"], "day"].dt.strftime("%Y-%m-%d")) == SPIKES
    p = ev.profiles
    assert set(p["day"].dt.strftime("%Y-%m")) == {MONTH}
    assert p["hour"].between(0, 24, inclusive="left").all()
    # The spike sits at 06:00-07:00 local on each overshoot day, DST (March 8) or not.
    peaks = p[p["overshoot"]].loc[lambda d: d.groupby("day")["kw"].idxmax()]
    assert list(peaks["hour"]) == [6.0] * 4 and list(peaks["kw"]) == [150.0] * 4
    assert len(p[p["day"] == "2026-03-08"]) == 92  # the 23-hour day
    assert len(p[p["day"] == "2026-03-09"]) == 96
    assert p.loc[p["counted"], "kw"].max() == 150.0 and not p["kw"].isna().any()


def test_figures_for_the_page(wh):
    figures = project_evidence.figures(project_evidence.evidence(wh, wh, ADMIN, pid("A")))
    got = {f["label"]: f["value"] for f in figures}
    assert got == {
        "Est. cost / month": "$750",
        "Worst morning excess": "+50.0 kW",
        "Overshoot mornings": "4 of 22",
        "Top 15% hits": "4",
        "Startup on Mon 02 Mar": "06:00",
    }
    assert figures[-1]["delta"] == "as usual" and figures[-1]["delta_arrow"] == "off"
    assert project_evidence.clock(395) == "06:35" and project_evidence.clock(None) == "—"


def test_evidence_without_its_fault_row(wh):
    wh.execute("DELETE FROM afdd_faults WHERE building_id = 'A'")
    ev = project_evidence.evidence(wh, wh, ADMIN, pid("A"))
    assert ev.fault is None and len(ev.days) == 31
    assert [f["label"] for f in project_evidence.figures(ev)] == ["Est. cost / month"]
    project_charts.peak_chart(ev.days, None, 0.15).to_dict()
    project_charts.startup_chart(ev.days, None).to_dict()


def test_charts_carry_figures_not_names(wh):
    ev = project_evidence.evidence(wh, wh, ADMIN, pid("A"))
    specs = [
        project_charts.profile_chart(ev.profiles, ev.days, ev.params).to_dict(),
        project_charts.peak_chart(ev.days, ev.fault["top_threshold_kw"], 0.15).to_dict(),
        project_charts.startup_chart(ev.days, ev.fault["usual_startup_minute"]).to_dict(),
    ]
    text = json.dumps(specs)
    assert "Plateau median 100 kW" in text and "Morning window" in text
    assert "top 15% of daily peaks (142 kW)" in text and "usual startup 06:00" in text
    for secret in ("Alpha", "Acme", "acc-a", '"A"', pid("A")):
        assert secret not in text


# --- PostgreSQL projects database -------------------------------------------------------------


@pytest.mark.integration
def test_projects_in_their_own_postgresql_database(fresh_db, pg_url):
    build(fresh_db)
    pdb = store.projects_db(fresh_db, pg_url)
    job.run(fresh_db, MONTH, projects=pdb)
    df = projects.list_projects(pdb, fresh_db, BSE_A, projects.Filters())
    assert list(df["building_id"]) == ["A", "D"] and df.at[0, "building_name"] == "Alpha Tower"
    assert df.at[0, "worst_day"] == pd.Timestamp("2026-03-02")
    at = projects.set_status(pdb, BSE_A, pid("A"), "IN_PROGRESS", "on it", "DRAFT")
    assert pdb.fetch_all(
        "SELECT status, updated_by, updated_at FROM projects WHERE project_id = ?", (pid("A"),)
    ) == [("IN_PROGRESS", "bea", at)]
    with pytest.raises(projects.ProjectError, match="after you loaded it"):
        projects.set_status(pdb, BSE_A, pid("A"), "WONT_DO", "no", "DRAFT")
    with pytest.raises(projects.ProjectError, match="does not exist"):
        projects.set_status(pdb, BSE_A, pid("B"), "IN_PROGRESS")
    assert list(projects.history(pdb, BSE_A, pid("A"))["changed_by"]) == ["bea", "system"]
    ev = project_evidence.evidence(fresh_db, pdb, BSE_A, pid("A"))
    assert ev.fault["overshoot_days"] == 4 and len(ev.days) == 31
    assert fresh_db.fetch_value("SELECT count(*) FROM projects") == 0  # not in the warehouse
