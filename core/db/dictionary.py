"""The data dictionary docs/tables.md, made from the migrations: ``python -m core.db.dictionary``.

What a table or column means is written once, as ``--`` comment lines in the migration that
creates it: the comment block directly above ``CREATE TABLE`` (no blank line between) describes
the table, the comment lines directly above a column line (or above ``ALTER TABLE t ADD COLUMN
c``) describe the column. ``split_statements`` drops comment lines, so documenting a column
never changes a migration's statements. Which tables and columns exist, and whether a column
may be NULL, comes from a warehouse migrated on DuckDB; the Redshift keys from
:mod:`core.db.keys`. tests/core/db/test_dictionary.py fails when docs/tables.md differs from
what this module renders, or when a column has no description.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from core.db import keys, migrations

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "tables.md"
COMMAND = "python -m core.db.dictionary"

_CREATE = re.compile(r"^CREATE TABLE (?:IF NOT EXISTS )?(\w+) \($", re.IGNORECASE)
_ADD = re.compile(r"^ALTER TABLE (\w+) ADD COLUMN (\w+) (.+?);?$", re.IGNORECASE)
_COLUMN = re.compile(r"^(\w+) (.+?)(?: NOT NULL)?,?$")

# The one table the migration runner itself creates (core/db/migrations/__init__.py).
FRAMEWORK = {
    "schema_migrations": (
        "One row per applied schema migration (`python -m jobs migrate`, and every start).",
        {
            "version": ("INTEGER", "The migration's number (NNNN of core/db/migrations/NNNN_*)."),
            "name": ("VARCHAR(256)", "The rest of its file name, e.g. `init` for 0001_init.sql."),
            "applied_at": ("TIMESTAMP", "When it was applied (UTC)."),
        },
    )
}


@dataclass
class Table:
    """What the migrations say about one table."""

    name: str
    source: str
    doc: str = ""
    columns: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # type, doc, source


def _sql_texts() -> list[tuple[str, str]]:
    """``(source name, SQL text)`` of every migration, in order.

    A Python migration's SQL is its module's string constants (read, not run), then the SQL
    files it runs.
    """
    out = []
    for m in migrations.discover():
        if m.path.suffix == ".sql":
            out.append((m.path.name, m.path.read_text()))
            continue
        tree = ast.parse(m.path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.append((m.path.name, node.value))
        for path in sorted(migrations.PROJECTS_DIR.glob("*.sql")):
            if path.name in m.path.read_text():
                out.append((f"{m.path.name} ({path.parent.name}/{path.name})", path.read_text()))
    return out


def parse(texts: list[tuple[str, str]] | None = None) -> dict[str, Table]:
    """Every table the migrations (or ``texts``: ``(source, SQL)``) create, with its comments."""
    tables: dict[str, Table] = {}
    for source, text in _sql_texts() if texts is None else texts:
        comment: list[str] = []
        current: Table | None = None
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("--"):
                comment.append(line[2:].strip())
                continue
            doc, comment = " ".join(comment), []
            if not line:
                continue
            if match := _CREATE.match(line):
                current = tables.setdefault(match.group(1), Table(match.group(1), source, doc))
            elif match := _ADD.match(line):
                table, column, type_ = match.groups()
                if table in tables:
                    tables[table].columns[column] = (_type(type_), doc, source)
            elif current is not None and line.startswith(")"):
                current = None
            elif current is not None and (match := _COLUMN.match(line)):
                current.columns[match.group(1)] = (_type(match.group(2)), doc, source)
    return tables


def _type(text: str) -> str:
    return re.sub(r"\s+NOT NULL$", "", text.strip().rstrip(",;")).upper()


def schema() -> dict[str, list[tuple[str, str, bool]]]:
    """``table -> [(column, type, nullable)]`` of a warehouse migrated on DuckDB."""
    db = migrations_db()
    try:
        rows = db.fetch_all(
            "SELECT table_name, column_name, data_type, is_nullable = 'YES' "
            "FROM information_schema.columns ORDER BY table_name, ordinal_position"
        )
    finally:
        db.close()
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, data_type, nullable in rows:
        out.setdefault(table, []).append((column, data_type, bool(nullable)))
    return out


def migrations_db():  # noqa: ANN201 - a Database, imported late to keep this module light
    """A fresh in-memory DuckDB warehouse with every migration applied."""
    from core.db import open_warehouse

    return open_warehouse("duckdb:///:memory:")


def missing(tables: dict[str, Table], columns: dict[str, list[tuple[str, str, bool]]]) -> list[str]:
    """``table`` or ``table.column`` entries of the schema that have no description."""
    out = []
    for table, cols in columns.items():
        if table in FRAMEWORK:
            continue
        doc = tables.get(table)
        if doc is None or not doc.doc:
            out.append(table)
        for column, _, _ in cols:
            if doc is None or not doc.columns.get(column, ("", "", ""))[1]:
                out.append(f"{table}.{column}")
    return out


def render() -> str:
    """docs/tables.md as it should be now."""
    tables = parse()
    columns = schema()
    for name, (doc, cols) in FRAMEWORK.items():
        tables[name] = Table(name, "core/db/migrations/__init__.py", doc)
        tables[name].columns = {c: (t, d, tables[name].source) for c, (t, d) in cols.items()}
    order = [t for t in tables if t in columns] + sorted(set(columns) - set(tables))
    by_table = {k.table: k for k in keys.KEYS}
    lines = [
        "# Tables",
        "",
        f"Generated by `{COMMAND}` from the comments in `core/db/migrations/` and the",
        "migrated schema: edit the migration's `--` comments, not this file",
        "(`tests/core/db/test_dictionary.py` checks it is current).",
        "",
        "Every table the warehouse holds, what each column means, and how to read it well. The",
        "same tables and columns exist on DuckDB, PostgreSQL and Redshift; timestamps are naive",
        "UTC; no key is enforced (uniqueness is kept by delete+insert in one transaction), the",
        "key noted per table is what a row is unique by. `afdd_faults`, `projects` and",
        "`project_events` live in the `DQ_PROJECTS_DB_URL` database when that is set. Redshift",
        "keys and PostgreSQL indexes: [warehouse.md](warehouse.md#table-keys).",
        "",
        "Typical questions, as SQL (`?` = your value):",
        "",
        "- open meter issues of an account, oldest first: `SELECT * FROM dq_issues WHERE kind =",
        "  'meter' AND status = 'open' AND account_id = ? ORDER BY start_ts`",
        "- a meter's daily DQ score: `SELECT day, source, score FROM dq_meter_days WHERE",
        "  meter_id = ? ORDER BY day`",
        "- who changed an issue, and when: `SELECT * FROM issue_events WHERE issue_id = ? ORDER",
        "  BY changed_at`",
        "- a meter's readings for a day: `SELECT ts, value, source FROM readings WHERE meter_id",
        "  = ? AND ts >= ? AND ts < ? ORDER BY ts` (filter on `meter_id` and a `ts` range: the",
        "  table's keys)",
        "",
    ]
    lines += [f"- [{t}](#{t})" for t in order]
    for name in order:
        table = tables.get(name, Table(name, "?"))
        lines += ["", f"## {name}", "", table.doc or "(no description)", ""]
        where = f"Created by `{table.source}`."
        if name in by_table:
            k = by_table[name]
            where += (
                f" Redshift: `DISTKEY {k.distkey}`, `COMPOUND SORTKEY ({', '.join(k.sortkey)})`,"
                f" for how it is read: {k.reads}."
            )
        lines += [where, "", "| column | type | null | meaning |", "|---|---|---|---|"]
        for column, data_type, nullable in columns.get(name, []):
            declared, doc, source = table.columns.get(column, (data_type, "", ""))
            if source and source != table.source:
                doc = f"{doc} (added by `{source}`)".strip()
            cell = doc.replace("|", "\\|") or "(no description)"
            lines.append(f"| `{column}` | {declared} | {'yes' if nullable else 'no'} | {cell} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/tables.md, or with ``--check`` exit 1 when it is out of date."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check docs/tables.md")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
