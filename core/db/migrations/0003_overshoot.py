"""Morning-overshoot results: per building-day statistics, AFDD faults and projects.

The fault and project tables come from ``projects/0001_projects.sql``, shared with a separate
projects database when ``DQ_PROJECTS_DB_URL`` is set, so their DDL lives in one place.
"""

from core.db.base import Transaction
from core.db.migrations import MIGRATIONS_DIR, split_statements

# The `--` lines document the table (docs/tables.md); split_statements drops them, so the
# statement run is the CREATE TABLE alone, as it always was.
OVERSHOOT_DAYS = """\
-- One row per building and local day of a scanned month: the morning-overshoot statistics
-- behind afdd_faults and the Projects page's evidence. Key (building_id, day); a rerun of the
-- month replaces it.
CREATE TABLE overshoot_days (
    -- The building.
    building_id VARCHAR(256) NOT NULL,
    -- Local month scanned, YYYY-MM.
    month VARCHAR(7) NOT NULL,
    -- Local date.
    day DATE NOT NULL,
    -- Share of the day's expected slots with demand (local day length: 23 or 25 h on DST days).
    completeness DOUBLE PRECISION,
    -- True when an open high-severity DQ issue covers the morning; the day does not count.
    blocked BOOLEAN NOT NULL,
    -- True when the day counts: a complete (DQ_OVERSHOOT_MIN_COMPLETE), unblocked weekday.
    counted BOOLEAN NOT NULL,
    -- Highest demand (kW) in the morning window (DQ_OVERSHOOT_MORNING_HOURS).
    morning_peak_kw DOUBLE PRECISION,
    -- Median demand (kW) in the plateau window (DQ_OVERSHOOT_PLATEAU_HOURS): normal occupied
    -- demand.
    plateau_median_kw DOUBLE PRECISION,
    -- morning_peak_kw - plateau_median_kw.
    excess_kw DOUBLE PRECISION,
    -- Highest demand (kW) of the day.
    daily_peak_kw DOUBLE PRECISION,
    -- True when the morning peak exceeds the plateau by the overshoot criteria (docs: Projects).
    overshoot BOOLEAN NOT NULL,
    -- Local time of the first morning slot above the midpoint of the night and plateau medians;
    -- empty if none.
    startup_time TIMESTAMP,
    -- dq_runs.run_id of the overshoot run.
    run_id VARCHAR(64)
)"""


def migrate(tx: Transaction) -> None:
    """Create ``overshoot_days``, ``afdd_faults``, ``projects`` and ``project_events``."""
    for statement in split_statements(OVERSHOOT_DAYS):
        tx.execute(statement)
    ddl = (MIGRATIONS_DIR / "projects" / "0001_projects.sql").read_text()
    for statement in split_statements(ddl):
        tx.execute(statement)
