"""The bill report workbook, read back with openpyxl: tabs, columns, scope, masking, links, safety."""

import io
from datetime import datetime

import openpyxl
import pytest

from core import masking
from core.bills import REGISTRY
from core.views.bills import report
from core.views.bills.issues import Filters
from tests.core.views.bills.billdata import ADMIN, NOBODY, ODD_ID, STAFF_A, add_finding

URL = "https://platform.example/bills/{bill_id}"
NOW = datetime(2025, 7, 3, 9, 30)
SALT = "test-salt"
EVIL = '=HYPERLINK("https://evil.example","Open")'


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(ws) -> list[dict]:
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def _facts(book) -> dict:
    """The summary's label -> value lines above its table."""
    return {r[0]: r[1] for r in book[report.SUMMARY].iter_rows(values_only=True) if r[0] and r[1]}


def _table(book) -> dict:
    """The summary's table: check -> {column: value}."""
    rows = list(book[report.SUMMARY].iter_rows(values_only=True))
    top = next(n for n, r in enumerate(rows) if r[0] == "check")
    return {r[0]: dict(zip(rows[top], r, strict=True)) for r in rows[top + 1 :] if r[0]}


def _cells(book):
    for ws in book.worksheets:
        for row in ws.iter_rows():
            yield from (c for c in row if c.value is not None)


def test_a_summary_tab_then_one_tab_per_check_named_after_it_even_when_empty(db):
    for user in (ADMIN, NOBODY):
        book = _book(report.workbook(db, user))
        assert book.sheetnames == [report.SUMMARY, *REGISTRY]
        for check in REGISTRY:
            header = next(book[check].iter_rows(values_only=True))
            assert list(header) == report.TAB_COLUMNS
    assert _rows(_book(report.workbook(db, NOBODY))["usage_outlier"]) == []


def test_each_tab_lists_its_checks_findings_with_the_bills_figures(db):
    book = _book(report.workbook(db, ADMIN))
    listed = {c: [r["issue_id"] for r in _rows(book[c])] for c in REGISTRY}
    assert listed["bill_gap"] == ["f-gap"] and listed["bill_overlap"] == []
    assert sorted(i for ids in listed.values() for i in ids) == sorted(
        ["f-out", "f-gap", "f-beta", "f-done", "f-zero", "f-gone", "f-neg"]
    )
    [row] = _rows(book["usage_outlier"])
    assert (row["detector"], row["severity"], row["status"]) == ("usage_outlier", "high", "open")
    assert (row["account_name"], row["building_name"], row["meter_id"], row["bill_id"]) == (
        "Alpha Corp",
        "Alpha Tower",
        "m1",
        ODD_ID,
    )
    assert row["period_start"] == datetime(2025, 3, 1) and row["days"] == 31
    assert (row["usage"], row["usage_unit"], row["cost"], row["use_per_day"]) == (
        9300,
        "kWh",
        1395,
        300,
    )
    assert row["cost_per_unit"] == pytest.approx(0.15) and row["estimated"] is False
    assert row["finding"] == "baseline_per_day: 102 · score: 6.1"
    [done] = _rows(book["period_length"])
    assert (done["status"], done["status_note"]) == ("resolved", "checked")
    [gone] = _rows(book["bill_duplicate"])  # its bill row is gone: figures from details
    assert (gone["usage"], gone["cost"], gone["estimated"]) == (2800, 420, True)


def test_only_the_users_accounts(db):
    book = _book(report.workbook(db, STAFF_A))
    assert _rows(book["unit_rate_outlier"]) == []  # f-beta is acc-b's
    values = " ".join(str(c.value) for c in _cells(book))
    assert not [s for s in ("Beta", "acc-b", "bl-m3", "f-beta", "b3") if s in values]
    table = _table(book)
    assert table["all checks"]["findings"] == 6 and table["unit_rate_outlier"]["findings"] == 0
    assert _facts(book)["For"] == "Sam (sam), staff, 1 account"


def test_summary_counts_by_severity_and_status_with_run_date_user_and_time(db):
    db.execute(
        "INSERT INTO dq_runs (run_id, job, params, started_at, finished_at, status) VALUES "
        "('r-old', 'bills', '{\"date\": \"2025-06-30\"}', ?, ?, 'ok'), "
        "('r-new', 'bills', '{\"date\": \"2025-07-01\"}', ?, ?, 'partial')",
        (
            datetime(2025, 6, 30, 3),
            datetime(2025, 6, 30, 3, 1),
            datetime(2025, 7, 1, 3),
            datetime(2025, 7, 1, 3, 2),
        ),
    )
    book = _book(report.workbook(db, ADMIN, now=NOW))
    facts = _facts(book)
    assert facts["Generated"] == "2025-07-03 09:30 UTC"
    assert facts["For"] == "Ada (ada), admin, every account"
    assert (
        facts["Latest bill run"] == "run date 2025-07-01 (partial, finished 2025-07-01 03:02 UTC)"
    )
    assert facts["Filters"] == "none (every finding)" and facts["Findings"] == "7"
    table = _table(book)
    assert list(table) == [*REGISTRY, "all checks"]
    total = table["all checks"]
    assert (total["findings"], total["high"], total["medium"], total["low"]) == (7, 3, 2, 2)
    assert (total["open"], total["resolved"], total["acknowledged"]) == (6, 1, 0)
    assert table["period_length"]["resolved"] == 1 and table["period_length"]["open"] == 0
    assert table["bill_gap"]["what it flags"].startswith("Days between this bill")
    [link] = [c for c in book[report.SUMMARY]["A"] if c.value == "bill_gap"]
    assert link.hyperlink.location == "'bill_gap'!A1"  # the check's tab


def test_no_bill_run_yet_and_the_filters_in_words(db):
    filters = Filters(statuses=("open",), accounts=("acc-a",), checks=("bill_gap", "zero_usage"))
    book = _book(report.workbook(db, ADMIN, filters))
    facts = _facts(book)
    assert facts["Latest bill run"] == "none yet (python -m jobs run bills)"
    assert facts["Filters"] == "checks: bill_gap, zero_usage; statuses: open; accounts: acc-a"
    assert [r["issue_id"] for c in REGISTRY for r in _rows(book[c])] == ["f-gap", "f-zero"]
    assert book.sheetnames == [report.SUMMARY, *REGISTRY]  # the same tabs with a check filter


def test_the_tabs_hold_at_most_limit_findings_and_the_summary_says_so(db):
    book = _book(report.workbook(db, ADMIN, limit=2))
    assert [r["issue_id"] for c in REGISTRY for r in _rows(book[c])] == ["f-gap", "f-out"]
    assert _facts(book)["Findings"].startswith("7; the tabs list the first 2 (most severe")
    assert _table(book)["all checks"]["findings"] == 7  # counted over every match
    assert report.REPORT_ROWS == 20_000


def test_a_finding_of_a_check_no_longer_registered_gets_a_tab_after_the_checks(db):
    add_finding(db, "f-old", "old:check?", "bl-m1-2025-06", "m1", "b1", "acc-a",
                "2025-06-01", "2025-06-30")  # fmt: skip
    book = _book(report.workbook(db, ADMIN))
    assert book.sheetnames == [report.SUMMARY, *REGISTRY, "old_check_"]
    assert [r["issue_id"] for r in _rows(book["old_check_"])] == ["f-old"]
    assert _table(book)["old:check?"]["what it flags"] == "(no longer a check)"


def test_links_to_the_bill_in_the_platform(db, monkeypatch):
    book = _book(report.workbook(db, ADMIN))
    assert not [c for c in _cells(book) if c.hyperlink and c.hyperlink.target]  # no template
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", URL)
    book = _book(report.workbook(db, ADMIN))
    column = report.TAB_COLUMNS.index("bill_id") + 1
    cell = book["usage_outlier"].cell(row=2, column=column)
    assert cell.value == ODD_ID
    assert cell.hyperlink.target == "https://platform.example/bills/INV%202025%2F03%3Fx%3D1%23a"
    for check in REGISTRY:
        for row in range(2, book[check].max_row + 1):
            assert (
                book[check]
                .cell(row=row, column=column)
                .hyperlink.target.startswith("https://platform.example/bills/")
            )
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", "https://platform.example/bills/")  # no {bill_id}
    book = _book(report.workbook(db, ADMIN))
    assert "DQ_BILL_URL_TEMPLATE" in _facts(book)["Links"]
    assert not [c for c in _cells(book) if c.hyperlink and c.hyperlink.target]


def test_links_stop_at_excels_limit_per_tab(db, monkeypatch):
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", URL)
    monkeypatch.setattr(report, "LINKS_PER_TAB", 1)
    add_finding(db, "f-gap2", "bill_gap", "bl-m1-2025-06", "m1", "b1", "acc-a",
                "2025-06-01", "2025-06-30")  # fmt: skip
    ws = _book(report.workbook(db, ADMIN))["bill_gap"]
    column = report.TAB_COLUMNS.index("bill_id") + 1
    first, second = ws.cell(row=2, column=column), ws.cell(row=3, column=column)
    assert first.hyperlink and not second.hyperlink and second.value == "bl-m1-2025-06"


def test_screen_share_mode_masks_names_ids_and_notes_and_drops_links(db, monkeypatch):
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", URL)
    db.execute(
        "UPDATE dq_issues SET status_note = 'asked Alpha Tower about m1' WHERE issue_id = 'f-gap'"
    )
    filters = Filters(accounts=("acc-a",), buildings=("b1",))
    data = report.workbook(
        db, STAFF_A, filters, lambda df: masking.mask_frame(df, SALT), SALT, now=NOW
    )
    book = _book(data)
    values = " ".join(str(c.value) for c in _cells(book))
    real = ("Alpha", "acc-a", "b1", "m1", "bl-m1", "INV", "platform.example")
    assert [v for v in real if v in values] == []
    assert not [c for c in _cells(book) if c.hyperlink and c.hyperlink.target]
    [gap] = _rows(book["bill_gap"])
    assert gap["account_name"] == masking.pseudonym("Account", "acc-a", SALT)
    assert gap["building_name"] == masking.pseudonym("Building", "b1", SALT)
    assert gap["bill_id"] == masking.pseudonym("Bill", "bl-m1-2025-05", SALT)
    assert gap["finding"] == "gap_days: 3 · previous_bill_id: " + masking.pseudonym(
        "Bill", "bl-m1-2025-04", SALT
    )
    building, meter = (
        masking.pseudonym(k, v, SALT) for k, v in (("Building", "b1"), ("Meter", "m1"))
    )
    assert gap["status_note"] == f"asked {building} about {meter}"
    facts = _facts(book)
    assert facts["Screen-share mode"].startswith("on")
    assert masking.pseudonym("Account", "acc-a", SALT) in facts["Filters"]


@pytest.mark.parametrize("template", ["", URL])
def test_formula_looking_text_is_written_as_text_never_as_a_formula(db, monkeypatch, template):
    monkeypatch.setenv("DQ_BILL_URL_TEMPLATE", template)  # the bill id as a link's text too
    db.execute("UPDATE bills SET bill_id = ? WHERE bill_id = 'bl-m1-2025-05'", (EVIL,))
    db.execute(
        "UPDATE dq_issues SET bill_id = ?, status_note = '+SUM(1,2)' WHERE issue_id = 'f-gap'",
        (EVIL,),
    )
    db.execute("UPDATE meters SET building_name = '@SUM(1)' WHERE building_id = 'b2'")
    db.execute("UPDATE meters SET account_name = '-2+3' WHERE account_id = 'acc-a'")
    book = _book(report.workbook(db, ADMIN))
    assert [c.coordinate for c in _cells(book) if c.data_type == "f"] == []
    [gap] = _rows(book["bill_gap"])
    assert (gap["bill_id"], gap["status_note"], gap["account_name"]) == (EVIL, "+SUM(1,2)", "-2+3")
    assert _rows(book["zero_usage"])[0]["building_name"] == "@SUM(1)"
    assert _rows(book["negative_value"])[0]["usage"] == -10  # a negative number stays a number
    texts = [
        c
        for c in _cells(book)
        if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))
    ]
    assert len(texts) >= 4
    assert all(c.data_type == "s" and c.quotePrefix for c in texts)  # stays text when edited
