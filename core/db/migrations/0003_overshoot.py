"""Morning-overshoot results: per building-day statistics, AFDD faults and projects.

The fault and project tables come from ``projects/0001_projects.sql``, shared with a separate
projects database when ``DQ_PROJECTS_DB_URL`` is set, so their DDL lives in one place.
"""

from core.db.base import Transaction
from core.db.migrations import MIGRATIONS_DIR, split_statements

OVERSHOOT_DAYS = """CREATE TABLE overshoot_days (
    building_id VARCHAR(256) NOT NULL,
    month VARCHAR(7) NOT NULL,
    day DATE NOT NULL,
    completeness DOUBLE PRECISION,
    blocked BOOLEAN NOT NULL,
    counted BOOLEAN NOT NULL,
    morning_peak_kw DOUBLE PRECISION,
    plateau_median_kw DOUBLE PRECISION,
    excess_kw DOUBLE PRECISION,
    daily_peak_kw DOUBLE PRECISION,
    overshoot BOOLEAN NOT NULL,
    startup_time TIMESTAMP,
    run_id VARCHAR(64)
)"""


def migrate(tx: Transaction) -> None:
    """Create ``overshoot_days``, ``afdd_faults``, ``projects`` and ``project_events``."""
    tx.execute(OVERSHOOT_DAYS)
    ddl = (MIGRATIONS_DIR / "projects" / "0001_projects.sql").read_text()
    for statement in split_statements(ddl):
        tx.execute(statement)
