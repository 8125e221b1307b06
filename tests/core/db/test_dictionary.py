"""docs/tables.md is what core/db/dictionary.py renders from the migrations, and says it all."""

from core.db import dictionary, open_warehouse
from core.db.duckdb import DuckDBTransaction

HOW = (
    "add `--` comment lines directly above its CREATE TABLE line and above each column line "
    "(or ALTER TABLE ... ADD COLUMN) in its migration under core/db/migrations/, then run "
    f"`{dictionary.COMMAND}`"
)


def test_tables_md_is_current():
    assert dictionary.OUTPUT.read_text() == dictionary.render(), (
        f"docs/tables.md is out of date: run `{dictionary.COMMAND}` (and commit the result)"
    )


def test_every_table_and_column_has_a_description():
    missing = dictionary.missing(dictionary.parse(), dictionary.schema())
    assert missing == [], f"No description for {', '.join(missing)}: {HOW}"


def test_an_undocumented_table_is_caught():
    sql = (
        "-- Documented.\nCREATE TABLE a (\n    -- Its id.\n    id INTEGER NOT NULL\n);\n\n"
        "CREATE TABLE b (\n    id INTEGER NOT NULL,\n    -- Said.\n    note VARCHAR(10)\n);\n"
        "-- Added later.\nALTER TABLE a ADD COLUMN extra INTEGER;\n"
    )
    tables = dictionary.parse([("0099_x.sql", sql)])
    schema = {
        "a": [("id", "INTEGER", False), ("extra", "INTEGER", True)],
        "b": [("id", "INTEGER", False), ("note", "VARCHAR", True)],
    }
    assert dictionary.missing(tables, schema) == ["b", "b.id"]
    assert tables["a"].doc == "Documented."
    assert tables["a"].columns["extra"] == ("INTEGER", "Added later.", "0099_x.sql")
    assert tables["b"].columns["note"] == ("VARCHAR(10)", "Said.", "0099_x.sql")


def test_documentation_comments_never_reach_the_database(monkeypatch):
    """Comments are stripped before execution: documenting a column changes no statement."""
    sent = []
    original = DuckDBTransaction.execute

    def record(self, sql, params=()):
        sent.append(sql)
        return original(self, sql, params)

    monkeypatch.setattr(DuckDBTransaction, "execute", record)
    open_warehouse("duckdb:///:memory:").close()
    assert sent and not [s for s in sent if "--" in s]


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dictionary, "ROOT", tmp_path)
    monkeypatch.setattr(dictionary, "OUTPUT", tmp_path / "tables.md")
    (tmp_path / "tables.md").write_text("old\n")
    assert dictionary.main(["--check"]) == 1
    assert dictionary.COMMAND in capsys.readouterr().err
    assert dictionary.main([]) == 0 and dictionary.main(["--check"]) == 0
