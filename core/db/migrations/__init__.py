"""Numbered schema migrations: ``NNNN_name.sql`` (or ``.py`` with ``migrate(tx)``), in order.

Each file runs in its own transaction together with its ``schema_migrations`` row, so a failed
migration leaves no trace. ``pending`` only reads. SQL files are split into single statements on
``;`` at line ends because Redshift's driver runs one statement per execute.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.db.base import Database, Transaction
from core.errors import MigrationError

MIGRATIONS_DIR = Path(__file__).resolve().parent
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.(sql|py)$")

PROJECTS_DIR = MIGRATIONS_DIR / "projects"  # the schema of a separate DQ_PROJECTS_DB_URL
TABLE = "schema_migrations"

_CREATE_TABLE = """CREATE TABLE IF NOT EXISTS {table} (
    version INTEGER NOT NULL, name VARCHAR(256) NOT NULL, applied_at TIMESTAMP NOT NULL)"""


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    path: Path

    def run(self, tx: Transaction) -> None:
        """Apply this migration inside ``tx``."""
        if self.path.suffix == ".sql":
            for statement in split_statements(self.path.read_text()):
                tx.execute(statement)
            return
        spec = importlib.util.spec_from_file_location(f"_migration_{self.version}", self.path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        module.migrate(tx)


def split_statements(sql: str) -> list[str]:
    """Split a SQL script on semicolons that end a line, dropping comment-only chunks."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    parts = re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE)
    return [p.strip() for p in parts if p.strip()]


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All migrations in ``directory`` sorted by version.

    Raises
    ------
    MigrationError
        If two files share a version number.
    """
    found: dict[int, Migration] = {}
    for path in sorted(directory.iterdir()):
        match = _NAME.match(path.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(
                f"Duplicate migration version {version:04d}: {found[version].path.name} "
                f"and {path.name}"
            )
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


def applied_versions(db: Database, table: str = TABLE) -> set[int]:
    """Versions recorded in ``table`` (empty when the table does not exist)."""
    if not db.table_exists(table):
        return set()
    return {row[0] for row in db.fetch_all(f"SELECT version FROM {table}")}


def pending(db: Database, directory: Path = MIGRATIONS_DIR, table: str = TABLE) -> list[Migration]:
    """Migrations not yet applied; reads only."""
    done = applied_versions(db, table)
    return [m for m in discover(directory) if m.version not in done]


def apply(db: Database, directory: Path = MIGRATIONS_DIR, table: str = TABLE) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return those applied.

    ``directory`` and ``table`` name a migration set and where its applied versions are
    recorded (the warehouse's, or the separate projects database's).
    """
    todo = pending(db, directory, table)
    if not todo:
        return []
    db.execute(_CREATE_TABLE.format(table=table))
    for migration in todo:
        try:
            with db.transaction() as tx:
                migration.run(tx)
                tx.execute(
                    f"INSERT INTO {table} (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, datetime.now(UTC).replace(tzinfo=None)),
                )
        except MigrationError:
            raise
        except Exception as exc:
            raise MigrationError(
                f"Migration {migration.path.name} failed and was rolled back: {exc}"
            ) from exc
    return todo


def current_version(db: Database, table: str = TABLE) -> int:
    """Highest applied version, 0 for an empty warehouse."""
    return max(applied_versions(db, table), default=0)
