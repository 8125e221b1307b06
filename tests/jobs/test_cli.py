"""The CLI as a user runs it: files in, a scored day, issues out."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jobs.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _write_fleet(tmp_path, demo_fleet):
    meters = tmp_path / "meters.csv"
    readings = tmp_path / "readings.parquet"
    bills = tmp_path / "bills.csv"
    demo_fleet.meters.to_csv(meters, index=False)
    demo_fleet.readings.to_parquet(readings, index=False)
    demo_fleet.bills.to_csv(bills, index=False)
    return meters, readings, bills


def test_import_run_export_round_trip(tmp_path, demo_fleet, capsys):
    meters, readings, bills = _write_fleet(tmp_path, demo_fleet)
    assert (
        main(
            ["import", "--meters", str(meters), "--readings", str(readings), "--bills", str(bills)]
        )
        == 0
    )
    day = str(demo_fleet.last_day)
    assert main(["run", "dq", "--date", "latest", "-q"]) == 0
    out = capsys.readouterr().out
    assert f"dq {day}: run" in out and " ok: " in out
    assert main(["export", "issues", "--format", "json", "--date", day]) == 0
    issues = json.loads(capsys.readouterr().out)
    assert issues and {"issue_id", "detector", "status", "magnitude", "details"} <= set(issues[0])
    assert all(i["start_ts"][:10] <= day <= i["end_ts"][:10] for i in issues)
    assert main(["export", "issues", "--format", "csv"]) == 0
    csv = capsys.readouterr().out
    assert csv.splitlines()[0].startswith("issue_id,kind,detector,")
    assert len(csv.splitlines()) - 1 >= len(issues)


def test_backfill_runs_each_day(tmp_path, demo_fleet, capsys):
    meters, readings, _ = _write_fleet(tmp_path, demo_fleet)
    main(["import", "--meters", str(meters), "--readings", str(readings)])
    capsys.readouterr()
    last = pd.Timestamp(demo_fleet.last_day)
    first = (last - pd.Timedelta(days=1)).date()
    code = main(["backfill", "--from", str(first), "--to", str(last.date()), "-q"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"dq {first}: run" in out and f"dq {last.date()}: run" in out


def test_errors_are_one_line_and_exit_2(tmp_path, capsys):
    assert main(["import", "--meters", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "missing.csv" in err
    assert main(["run", "dq", "--date", "latest"]) == 2
    assert "no readings yet" in capsys.readouterr().err
    assert main(["backfill", "--from", "2026-01-02", "--to", "2026-01-01"]) == 2


def test_module_entry_point_and_help():
    out = subprocess.run(
        [sys.executable, "-m", "jobs", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0
    for command in ("migrate", "import", "demo", "run", "backfill", "export", "settings"):
        assert command in out.stdout


def test_migrate_reports_version(capsys):
    from core.db.migrations import discover

    assert main(["migrate"]) == 0
    assert f"schema version {discover()[-1].version}" in capsys.readouterr().out


def test_users_add_list_remove(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    assert (
        main(
            [
                "users",
                "add",
                "alice",
                "--role",
                "staff",
                "--accounts",
                "acc-01,acc-02",
                "--password-stdin",
            ]
        )
        == 0
    )
    assert main(["users", "list"]) == 0
    assert "alice\tstaff\tacc-01,acc-02" in capsys.readouterr().out
    assert main(["users", "add", "bob", "--accounts", "all"]) == 2
    assert "--role is required" in capsys.readouterr().err
    assert main(["users", "remove", "alice"]) == 0
    assert main(["users", "remove", "alice"]) == 2


# ---- run bills / export bills --------------------------------------------------------------


def _bill_warehouse(monkeypatch):
    """Meters and bills in the test's DQ_WAREHOUSE, and a one-check fake registry."""
    from dataclasses import dataclass
    from types import SimpleNamespace

    from core.bills import job
    from core.db import open_warehouse

    db = open_warehouse()
    db.insert_df(
        "meters",
        pd.DataFrame(
            {
                "meter_id": ["m1"],
                "building_id": ["b1"],
                "account_id": ["a1"],
                "kind": ["electricity"],
                "unit": ["kWh"],
                "timezone": ["UTC"],
                "dq_enabled": [True],
                "account_active": [True],
                "building_archived": [False],
                "interval_minutes": [15],
            }
        ),
    )
    db.insert_df(
        "bills",
        pd.DataFrame(
            {
                "bill_id": ["B1", "B2"],
                "account_id": "a1",
                "building_id": "b1",
                "meter_id": "m1",
                "commodity": "electricity",
                "period_start": pd.to_datetime(["2026-01-01", "2026-02-01"]).date,
                "period_end": pd.to_datetime(["2026-01-31", "2026-02-28"]).date,
                "usage": [0.0, 310.0],
                "usage_unit": "kWh",
                "cost": [12.0, 40.0],
                "demand_kw": None,
                "estimated": False,
            }
        ),
    )

    def normalise(raw, meters):
        bills = raw.assign(days=(raw.period_end - raw.period_start).dt.days + 1)
        return (
            bills,
            pd.DataFrame(columns=["bill_id", "reason"]),
            pd.DataFrame(columns=["bill_id", "note"]),
        )

    def zero_usage(ctx, params):
        b = ctx.bills[ctx.bills.usage == 0]
        return pd.DataFrame(
            {
                "bill_id": b.bill_id,
                "meter_id": b.meter_id,
                "severity": "high",
                "magnitude": 0.0,
                "details": [{"usage_per_day": 0.0}] * len(b),
            }
        )

    @dataclass(frozen=True)
    class Params:
        """None."""

    registry = {"zero_usage": SimpleNamespace(NAME="zero_usage", Params=Params, check=zero_usage)}
    monkeypatch.setattr(job, "_normalise", normalise)
    monkeypatch.setattr(job, "_default_registry", lambda: registry)
    return db


def test_run_bills_then_export_bills(monkeypatch, capsys):
    _bill_warehouse(monkeypatch)  # bills and meters, no readings
    assert main(["run", "bills", "--date", "2026-03-10", "-q"]) == 3
    out = capsys.readouterr().out
    assert (
        out.startswith("bills 2026-03-10: run ")
        and " partial: 2 bills, 1 issues, 0 bills skipped" in out
    )
    # not silent: with no readings the bill-vs-interval check cannot judge anything
    assert "failed readings: the warehouse has no readings" in out
    assert main(["export", "bills", "--format", "json"]) == 0
    issues = json.loads(capsys.readouterr().out)
    assert len(issues) == 1
    issue = issues[0]
    assert (issue["kind"], issue["detector"], issue["bill_id"], issue["meter_id"]) == (
        "bill",
        "zero_usage",
        "B1",
        "m1",
    )
    assert issue["start_ts"].startswith("2026-01-01") and issue["end_ts"].startswith("2026-02-01")
    assert json.loads(issue["details"])["period"] == "2026-01-01/2026-01-31"
    assert main(["export", "bills", "--format", "csv", "--date", "2026-02-15"]) == 0
    assert capsys.readouterr().out.strip() == ",".join(
        [
            "issue_id",
            "kind",
            "detector",
            "account_id",
            "building_id",
            "meter_id",
            "bill_id",
            "source",
            "start_ts",
            "end_ts",
            "severity",
            "magnitude",
            "details",
            "first_seen_run",
            "last_seen_run",
            "status",
            "status_by",
            "status_at",
            "status_note",
        ]
    )  # header only: the finding's bill ends in January
    assert main(["export", "bills", "--format", "csv", "--date", "2026-01-15"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert main(["export", "issues", "--format", "json"]) == 0  # meter issues only
    assert json.loads(capsys.readouterr().out) == []


def test_export_bills_as_the_bill_report_workbook(monkeypatch, capsys, tmp_path):
    import io

    import openpyxl

    from core.bills import REGISTRY

    _bill_warehouse(monkeypatch)
    assert main(["run", "bills", "--date", "2026-03-10", "-q"]) == 3
    capsys.readouterr()
    out = tmp_path / "report.xlsx"
    assert main(["export", "bills", "--format", "xlsx", "--output", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    book = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    assert book.sheetnames == ["Summary", *REGISTRY]  # a sheet named after each check
    rows = list(book["zero_usage"].iter_rows(values_only=True))
    assert len(rows) == 2 and dict(zip(rows[0], rows[1], strict=True))["bill_id"] == "B1"
    facts = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0] and r[1]}
    assert facts["Latest bill run"].startswith("run date 2026-03-10 (partial")
    assert "every account" in facts["For"] and facts["Findings"] == "1"
    day = tmp_path / "day.xlsx"  # --date: findings whose billing period covers the day
    assert (
        main(["export", "bills", "--format", "xlsx", "--output", str(day), "--date", "2026-02-15"])
        == 0
    )
    assert openpyxl.load_workbook(day)["zero_usage"].max_row == 1


def test_export_xlsx_needs_an_output_file_and_bills(monkeypatch, capsys, tmp_path):
    _bill_warehouse(monkeypatch)
    assert main(["export", "bills", "--format", "xlsx"]) == 2
    assert "--format xlsx writes a workbook: add --output FILE" in capsys.readouterr().err
    out = tmp_path / "issues.xlsx"
    assert main(["export", "issues", "--format", "xlsx", "--output", str(out)]) == 2
    assert "use it with export bills, not 'issues'" in capsys.readouterr().err
    assert not out.exists()
    missing = tmp_path / "no such folder" / "b.xlsx"
    assert main(["export", "bills", "--format", "xlsx", "--output", str(missing)]) == 2
    assert f"Cannot write {missing}" in capsys.readouterr().err
    csv = tmp_path / "bills.csv"  # --output works for the text formats too
    assert main(["export", "bills", "--format", "csv", "--output", str(csv)]) == 0
    assert main(["export", "bills", "--format", "csv"]) == 0
    assert csv.read_bytes().decode() == capsys.readouterr().out.split("\n", 1)[1]


def test_run_bills_defaults_to_today_and_rejects_dq_options(monkeypatch, capsys):
    from datetime import UTC, datetime

    _bill_warehouse(monkeypatch)
    before = datetime.now(UTC).date()
    assert main(["run", "bills", "-q"]) == 3  # partial: no readings for bill_interval_mismatch
    out = capsys.readouterr().out
    assert out.startswith((f"bills {before}:", f"bills {datetime.now(UTC).date()}:"))
    assert main(["run", "bills", "--history-days", "3"]) == 2
    assert "--history-days applies to run dq only" in capsys.readouterr().err
    assert main(["run", "bills", "--date", "latest"]) == 2
    assert "--date latest applies to run dq only" in capsys.readouterr().err


def test_run_and_export_overshoot(capsys):
    from core.db import open_warehouse
    from tests.core.overshoot.test_job import build

    build(open_warehouse())
    assert main(["run", "overshoot", "--month", "2026-03"]) == 0
    out = capsys.readouterr().out
    assert "overshoot 2026-03: run" in out and " ok: 3 buildings, 2 faults" in out
    assert main(["export", "overshoot", "--format", "json", "--month", "2026-03"]) == 0
    faults = json.loads(capsys.readouterr().out)
    assert [f["building_id"] for f in faults] == ["A", "C"]
    assert {"overshoot_days", "top_hits", "est_monthly_cost", "details"} <= set(faults[0])
    assert main(["export", "projects", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("project_id,building_id,type,status,title,summary,")
    assert len(lines) == 3
    with pytest.raises(SystemExit):
        main(["run", "overshoot", "--month", "2026-3"])


def test_run_overshoot_default_month_and_bad_flags(capsys):
    from jobs.commands import run

    assert len(run.last_full_month()) == 7
    assert main(["run", "overshoot", "--date", "2026-03-01"]) == 2
    assert "--month" in capsys.readouterr().err
    assert main(["run", "dq", "--month", "2026-03"]) == 2


# ---- owners ----------------------------------------------------------------------------------


def test_owners_import_names_bad_rows_by_line_and_list_prints_them(tmp_path, capsys):
    from core.auth import write_users
    from core.db import open_warehouse

    write_users({"sam": {"password": "x", "role": "staff", "accounts": ["acc-01"]}})
    open_warehouse().execute(
        "INSERT INTO meters (meter_id, building_id, account_id, kind, unit, timezone, "
        "dq_enabled, account_active, building_archived, interval_minutes) VALUES "
        "('m1', 'b1', 'acc-01', 'electricity', 'kWh', 'UTC', TRUE, TRUE, FALSE, 15)"
    )
    owners_csv = tmp_path / "owners.csv"
    owners_csv.write_text("account_id,building_id,owner\nacc-01,,sam\nacc-01,b1,zed\n")
    errors = tmp_path / "bad.csv"
    assert main(["owners", "import", str(owners_csv), "--errors", str(errors)]) == 3
    out = capsys.readouterr().out
    assert "1 owner(s) set, 0 removed" in out and "line 3: 'zed' is not a DQ Hub user" in out
    assert pd.read_csv(errors).to_dict("records") == [
        {"file": "owners.csv", "line": "line 3", "reason": "'zed' is not a DQ Hub user"}
    ]
    assert main(["owners", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("account_id,building_id,owner,") and listed[1].startswith(
        "acc-01,,sam,"
    )
    assert main(["owners", "import", str(tmp_path / "missing.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err
