"""The CLI as a user runs it: files in, a scored day, issues out."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

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
    assert main(["import", "--meters", str(meters), "--readings", str(readings), "--bills", str(bills)]) == 0
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
        [sys.executable, "-m", "jobs", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
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
    assert main(["users", "add", "alice", "--role", "staff", "--accounts", "acc-01,acc-02", "--password-stdin"]) == 0
    assert main(["users", "list"]) == 0
    assert "alice\tstaff\tacc-01,acc-02" in capsys.readouterr().out
    assert main(["users", "add", "bob", "--accounts", "all"]) == 2
    assert "--role is required" in capsys.readouterr().err
    assert main(["users", "remove", "alice"]) == 0
    assert main(["users", "remove", "alice"]) == 2
