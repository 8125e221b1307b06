"""Keys for the tables that grow with readings and time (core/db/keys.py has the list and why).

Redshift: distribution and compound sort keys, each ``ALTER TABLE`` committed on its own
connection outside this migration's transaction (docs/warehouse.md, "Table keys"); tables that
already have their keys are skipped. PostgreSQL: btree indexes serving the same reads, in this
transaction. DuckDB: nothing (zone maps serve these reads; indexes would only slow writes).
"""

from core.db import keys
from core.db.base import Transaction


def migrate(tx: Transaction) -> None:
    """Apply the engine's keys: Redshift ALTERs, PostgreSQL indexes, nothing on DuckDB."""
    if tx.DIALECT == "redshift":
        keys.apply_redshift(tx)
    elif tx.DIALECT == "postgres":
        for statement in keys.postgres_sql():
            tx.execute(statement)
