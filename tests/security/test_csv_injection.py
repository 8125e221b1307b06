"""Issue 11 item 4: every CSV DQ Hub writes is safe to open in a spreadsheet.

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
``'`` (OWASP CSV injection); numbers stay numbers. One test per writer: the Issues, Utility
bills and Offline devices downloads, ``jobs export ... --format csv`` (all five), and the
import ``--errors`` file through the real CLI. The bill report workbook (.xlsx) writes such
text as a string cell with Excel's quote prefix, never as a formula.
"""

import csv
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from core import csvsafe
from core.auth import User
from core.db import open_warehouse
from core.views import issues, offline
from core.views.bills import issues as bill_issues
from core.views.bills import report as bill_report
from jobs.cli import main
from tests.security.hostile import FORMULA, NOTES

ROOT = Path(__file__).resolve().parents[2]
ADMIN = User("ada", "Ada", "admin", None)
ALL = ("open", "acknowledged", "resolved", "ignored", "not_an_issue")


def _cells(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _assert_safe(text: str) -> list[dict]:
    """No cell a spreadsheet would run: each formula-like cell is a plain number."""
    rows = _cells(text)
    assert rows
    bad = [
        (n, k, v)
        for n, r in enumerate(rows)
        for k, v in r.items()
        if v and FORMULA.match(v) and not _number(v)
    ]
    assert bad == []
    return rows


def test_cell_rule():
    for text in NOTES:
        assert csvsafe.cell(text) == "'" + text
    assert csvsafe.cell("Acme =1") == "Acme =1" and csvsafe.cell(-2.5) == -2.5
    assert csvsafe.cell(None) is None and csvsafe.cell("") == ""
    df = pd.DataFrame(
        {
            "note": ["=1+1", "ok", None],
            "magnitude": [-2.5, 1.0, None],
            "count": [-1, 2, 3],
            "=bad": ["-x", "+y", "@z"],
        }
    )
    out = csvsafe.to_csv(df)
    rows = _assert_safe(out)
    assert [r["note"] for r in rows] == ["'=1+1", "ok", ""]
    assert [r["magnitude"] for r in rows] == ["-2.5", "1.0", ""]  # numbers stay numbers
    assert [r["count"] for r in rows] == ["-1", "2", "3"]
    assert list(rows[0]) == ["note", "magnitude", "count", "'=bad"]
    assert df["note"][0] == "=1+1"  # the input is untouched


@pytest.fixture
def db(hostile_url):
    db = open_warehouse(hostile_url)
    db.execute(
        "UPDATE dq_issues SET magnitude = -2.5 WHERE issue_id = "
        "(SELECT min(issue_id) FROM dq_issues WHERE kind = 'meter')"
    )
    return db


def test_issues_download(db):
    rows = _assert_safe(issues.export_csv(db, ADMIN, issues.Filters(statuses=ALL)).decode())
    notes = {r["status_note"] for r in rows}
    assert "'" + NOTES[0] in notes and NOTES[0] not in notes
    assert any(r["building_name"].startswith("'=HYPERLINK(") for r in rows)
    assert "-2.5" in {r["magnitude"] for r in rows}  # a negative number stays a number


def test_bills_download(db):
    data = bill_issues.export_csv(db, ADMIN, bill_issues.Filters(statuses=ALL))
    rows = _assert_safe(data.decode())
    assert all(r["bill_id"].startswith("'-bl-") for r in rows)
    assert any(r["status_note"] == "'" + NOTES[1] for r in rows)


def test_offline_download(db):
    found = offline.offline_devices(db, ADMIN)
    assert len(found.now) + len(found.dormant)
    db.execute(
        "UPDATE dq_issues SET owner = '=HYPERLINK(\"https://evil.example\")', "
        "next_step = '@call' WHERE detector = 'offline'"
    )
    found = offline.offline_devices(db, ADMIN)
    rows = _assert_safe(offline.csv_bytes(found.now, found.dormant).decode())
    assert {r["owner"] for r in rows} == {'\'=HYPERLINK("https://evil.example")'}
    assert {r["next_step"] for r in rows} == {"'@call"}


def _assert_xlsx_safe(data: bytes) -> list:
    """No formula cell; every text cell that starts like a formula is a quoted string."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    risky = [c for c in cells if isinstance(c.value, str) and FORMULA.match(c.value)]
    assert risky and all(c.data_type == "s" and c.quotePrefix for c in risky)
    return risky


def test_bill_report_workbook(db, monkeypatch):
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", "https://platform.example/b/{bill_id}")
    data = bill_report.workbook(db, ADMIN)
    risky = {c.value for c in _assert_xlsx_safe(data)}
    # "\rCR" is stored as "_x000D_CR" (XML's escape; Excel reads the CR back, openpyxl does not)
    assert {n for n in NOTES if not n.startswith("\r")} <= risky
    assert any(v.startswith("=HYPERLINK(") for v in risky)  # the building names
    links = [
        c
        for ws in openpyxl.load_workbook(io.BytesIO(data))
        for row in ws.iter_rows()
        for c in row
        if c.hyperlink and c.hyperlink.target
    ]
    assert links and all(c.value.startswith("-") for c in links)  # bill ids: text, quoted
    assert all(c.hyperlink.target.startswith("https://platform.example/b/-") for c in links)


def test_cli_export_bills_xlsx(db, tmp_path):
    out = tmp_path / "bills.xlsx"
    assert main(["export", "bills", "--format", "xlsx", "--output", str(out)]) == 0
    _assert_xlsx_safe(out.read_bytes())


@pytest.mark.parametrize("what", ["issues", "bills", "overshoot", "projects"])
def test_cli_export(db, what, capsys):
    db.execute(
        "UPDATE projects SET title = '=HYPERLINK(\"https://evil.example\")', updated_by = '+me'"
    )
    db.execute("UPDATE afdd_faults SET reason = '@SUM(1)'")
    assert main(["export", what, "--format", "csv"]) == 0
    rows = _assert_safe(capsys.readouterr().out)
    column = {
        "issues": "status_note",
        "bills": "bill_id",
        "overshoot": "reason",
        "projects": "title",
    }[what]
    assert all(r[column].startswith("'") for r in rows if r[column])


def test_cli_export_audit(db, capsys):
    from core import comments, triage

    issue_id = db.fetch_value("SELECT min(issue_id) FROM dq_issues WHERE kind = 'meter'")
    comments.add(db, ADMIN, issue_id, NOTES[0])
    triage.set_status(db, ADMIN, issue_id, "acknowledged", note=NOTES[2])
    assert main(["export", "audit", "--format", "csv"]) == 0
    rows = _assert_safe(capsys.readouterr().out)
    mine = [r["text"] for r in rows if r["thread_id"] == issue_id and r["by"] == "ada"]
    assert mine == ["'" + NOTES[0], "'" + NOTES[2]]


def test_import_errors_file_through_the_cli(tmp_path):
    meters = tmp_path / "meters.csv"
    meters.write_text(
        "meter_id,building_id,account_id,kind,unit\n"
        "m-ok,b1,acc-01,electricity,kWh\n"
        "@SUM(1),b1,acc-01,=cmd|' /C calc'!A0,kWh\n"
        "m-2,b1,acc-01,electricity,-2+3\n"
    )
    errors = tmp_path / "bad rows.csv"
    env = {
        "DQ_WAREHOUSE": f"duckdb:///{tmp_path}/wh.duckdb",
        "PATH": "/usr/bin:/bin",
        "DQ_SECRETS_FILE": str(tmp_path / "none.toml"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "jobs", "import", "--meters", str(meters), "--errors", str(errors)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"2 bad row(s) written to {errors}" in done.stdout
    rows = _assert_safe(errors.read_text())
    assert [r["line"] for r in rows] == ["3", "4"]
    assert rows[0]["meter_id"] == "'@SUM(1)" and rows[0]["value"] == "'=cmd|' /C calc'!A0"
    assert rows[1]["value"] == "'-2+3" and rows[1]["column"] == "unit"
    assert all(r["file"] == str(meters) for r in rows)
    wh = open_warehouse(env["DQ_WAREHOUSE"])
    assert wh.fetch_all("SELECT meter_id FROM meters") == [("m-ok",)]  # the good row landed
