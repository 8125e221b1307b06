"""A demo warehouse whose names, units, bill ids and notes are attacks: Markdown and formulas.

Every account is named ``**[Sign in again](https://evil.example/<id>)**`` (a link inside the
app if rendered as Markdown), every building ``=HYPERLINK(...)`` with a Markdown link inside
(a formula in a spreadsheet, a link in the app), bill units are Markdown links, bill ids
start with ``-`` and people's notes with ``=``, ``+``, ``@``. The pages must show all of
them as plain text and every CSV must keep them from running as formulas.
"""

from __future__ import annotations

import re

from core.bills import job as bills_job
from core.db import connect, open_warehouse
from core.overshoot import detect
from core.overshoot import job as overshoot_job

LINK = "[Sign in again](https://evil.example)"
ACCOUNT = "**[Sign in again](https://evil.example/{id})**"
BUILDING = '=HYPERLINK("https://evil.example","[Open](https://evil.example)") {id}'
UNIT = "[kWh](https://evil.example)"
NOTES = ("=cmd|' /C calc'!A0", "+SUM(1,2)", "@SUM(1)", "-2+3", "\tTAB", "\rCR")
FORMULA = re.compile(r"^[=+\-@\t\r]")
DEMO_MONTH = "2026-02"


def build(scored_url: str, folder) -> str:
    """A copy of the scored demo warehouse, with bill findings, projects and hostile names."""
    dst = folder / "hostile.duckdb"
    connect(scored_url).copy_to(dst)
    url = f"duckdb:///{dst}"
    db = open_warehouse(url)
    last = db.fetch_value("SELECT max(day) FROM dq_meter_days")
    # Bill findings: the demo's bills are clean, so zero some usages and make costs negative.
    db.execute("UPDATE bills SET usage = 0 WHERE bill_id LIKE '%-202601'")
    db.execute("UPDATE bills SET cost = -5 WHERE bill_id LIKE '%-202512'")
    bills_job.run(db, last, progress=False)
    overshoot_job.run(db, DEMO_MONTH, detect.Params(min_ratio=0.08))
    hostile(db)
    return url


def hostile(db) -> None:
    """Rename accounts and buildings, retype units, bill ids and notes as attacks."""
    for (account,) in db.fetch_all("SELECT DISTINCT account_id FROM meters"):
        db.execute(
            "UPDATE meters SET account_name = ? WHERE account_id = ?",
            (ACCOUNT.format(id=account), account),
        )
    for (building,) in db.fetch_all("SELECT DISTINCT building_id FROM meters"):
        db.execute(
            "UPDATE meters SET building_name = ? WHERE building_id = ?",
            (BUILDING.format(id=building), building),
        )
    db.execute("UPDATE bills SET usage_unit = ?", (UNIT,))
    db.execute("UPDATE bills SET bill_id = '-' || bill_id")
    db.execute("UPDATE dq_issues SET bill_id = '-' || bill_id WHERE kind = 'bill'")
    ids = [
        r[0]
        for r in db.fetch_all("SELECT issue_id FROM dq_issues ORDER BY kind, severity, issue_id")
    ]
    for n, issue_id in enumerate(ids):
        db.execute(
            "UPDATE dq_issues SET status_note = ? WHERE issue_id = ?",
            (NOTES[n % len(NOTES)], issue_id),
        )


def copy(url: str, folder) -> str:
    """A private copy of a warehouse file."""
    dst = folder / "copy.duckdb"
    connect(url).copy_to(dst)
    return f"duckdb:///{dst}"


def markdown_of(at) -> list[str]:
    """Every string an AppTest run sent that the browser reads as Markdown.

    Bodies of markdown, caption, alert, heading and toast elements, and the labels and help of
    widgets, buttons, metrics, expanders and page links (all Markdown in Streamlit).
    """
    out = []
    for block in (at.main, at.sidebar):
        for el in block:
            proto = getattr(el, "proto", None)
            if proto is None:
                continue
            out += _strings(proto)
    return out


def _strings(proto) -> list[str]:
    out = []
    for field, value in proto.ListFields():
        if field.type == field.TYPE_MESSAGE:
            values = value if field.is_repeated else [value]
            for v in values:
                out += _strings(v)
        elif field.type == field.TYPE_STRING and field.name in ("body", "label", "help"):
            out += list(value) if field.is_repeated else [value]
    return out


_ESCAPE = re.compile(r"\\(?=[!-/:-@\[-`{-~])")


def hazards(body: str) -> list[str]:
    """What GitHub-flavoured Markdown would turn into a link or formatting in ``body``.

    An unescaped link (``[text](url)``), a payload's unescaped bold, or a bare URL that GFM
    links after resolving escapes (``https://evil.example``, with no zero-width break in it).
    """
    found = []
    if re.search(r"(?<!\\)\]\((?:https?|javascript):", body):
        found.append("link")
    if re.search(r"(?<!\\)\*\*(?<!\\)\[", body):
        found.append("bold link")
    if re.search(r"(?i)(?:https?://|www\.)evil", _ESCAPE.sub("", body)):
        found.append("bare url")
    return found
