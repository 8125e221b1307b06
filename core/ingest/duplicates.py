"""Duplicate readings within one file: two rows on one (meter, source, slot).

The exact check (a group-by on every kept row) runs only when the duplicate screen of
core.ingest.meterdays cannot rule duplicates out. Rows with equal values are exact duplicates
and dropped silently (counted); rows with different values are conflicts: the reading closest
to the slot boundary is kept (then the last line), and each such slot is listed in the report.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from core.ingest import checks as ck
from core.ingest.report import CONFLICT_COLUMNS
from core.ingest.spec import SOURCES
from core.ingest.sql import lit
from core.ingest.staging import Staged

KNOWN = "_known"  # the meters readings may use (core.ingest.importer)


def collapse(
    con: duckdb.DuckDBPyConnection, s: Staged, chk: str, screened: bool
) -> tuple[int, int, pd.DataFrame]:
    """Collapse each (meter, source, slot) of one file to one reading: ``_rslot_<i>``.

    ``chk`` is the file's checked rows (with ``_line``), ``_rrows_<i>`` the same rows read
    into Arrow. ``screened``: the duplicate screen (core.ingest.meterdays) cleared the file,
    so the exact check is skipped.

    Returns
    -------
    tuple
        Exact duplicates, conflicting duplicates and the conflicting slots (report rows).
    """
    slots, rows = f"_rslot_{s.index}", f"_rrows_{s.index}"
    repeated = 0
    if not screened:
        repeated = ck.count(
            con,
            f"SELECT count(*) FROM (SELECT 1 FROM {rows} WHERE _ok "
            "GROUP BY _midx, _src, ts HAVING count(*) > 1)",
        )
    if not repeated:  # the usual case: skip the heavier aggregation and the copy
        con.execute(
            f"CREATE OR REPLACE VIEW {slots} AS SELECT {s.index} AS _file, _midx, _src, ts, value "
            f"FROM {rows} WHERE _ok"
        )
        return 0, 0, pd.DataFrame(columns=CONFLICT_COLUMNS)
    # The reading closest to the slot boundary wins (jitter: 14:59:50 beats 15:00:40), then
    # the last line.
    con.execute(
        f"CREATE OR REPLACE TABLE {slots} AS SELECT {s.index} AS _file, _midx, _src, ts, "
        "count(*) AS n, min(value) AS vmin, max(value) AS vmax, "
        "arg_min(value, (_off_us, -_line)) AS value, arg_min(_line, (_off_us, -_line)) AS _line "
        f"FROM {chk} WHERE _ok GROUP BY _midx, _src, ts"
    )
    exact = ck.count(con, f"SELECT sum(n - 1) FROM {slots} WHERE vmin = vmax")
    if not ck.count(con, f"SELECT count(*) FROM {slots} WHERE vmin < vmax"):
        return exact, 0, pd.DataFrame(columns=CONFLICT_COLUMNS)
    source = " ".join(f"WHEN {code} THEN {lit(name)}" for code, name in enumerate(SOURCES))
    conflicts = con.execute(
        f"SELECT {lit(s.name)} AS file, k.meter_id, CASE x._src {source} END AS source, x.ts, "
        "x.n AS rows, count(DISTINCT c.value) AS distinct_values, x._line AS kept_line, "
        f"x.value AS kept_value FROM {slots} x JOIN {KNOWN} k ON k.midx = x._midx "
        f"JOIN {chk} c ON c._ok AND c._midx = x._midx AND c._src = x._src AND c.ts = x.ts "
        "WHERE x.vmin < x.vmax GROUP BY ALL ORDER BY k.meter_id, source, x.ts"
    ).df()
    exact += int((conflicts["rows"] - conflicts["distinct_values"]).sum())
    return exact, int((conflicts["distinct_values"] - 1).sum()), conflicts
