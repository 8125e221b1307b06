"""Issues page speed: app_pages/issues.py under AppTest on 1,000,000 issues and 50,000 meters.

1. Build (once, cached) a DuckDB warehouse under bench/out/ with ``INSERT ... SELECT`` over
   ``range()``: 50,000 meters in 5,000 buildings of 200 accounts, and 1,000,000 meter issues
   spread over a year, all eight detectors, three severities and five statuses.
2. In a child process (so its peak RSS is the page's, not the generator's), render the page
   with ``streamlit.testing`` AppTest as an admin (every account: the largest scope) and time
   each ``run()``: the first render, then one filter change after another.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
TARGET_S = 1.0  # per render, server side
TARGET_MB = 1024.0  # peak RSS of the process rendering the page
VERSION = 1  # bump when the generated data changes

DETECTORS = (  # weighted like a real fleet: gaps and offline meters dominate
    "missing_data",
    "missing_data",
    "missing_data",
    "offline",
    "offline",
    "flatline",
    "zero_run",
    "negative_value",
    "spike_positive",
    "spike_positive",
    "spike_negative",
    "raw_platform_mismatch",
)
STATUSES = (  # 20 slots: 30% open, 10% acknowledged, 35% resolved, 10% ignored, 15% not an issue
    ("open",) * 6
    + ("acknowledged",) * 2
    + ("resolved",) * 7
    + ("ignored",) * 2
    + ("not_an_issue",) * 3
)


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"  # bench constants, not user input


def build(meters: int = 50_000, n_issues: int = 1_000_000, regenerate: bool = False) -> Path:
    """The cached warehouse file with ``meters`` meters and ``n_issues`` issues."""
    import duckdb

    from core.db import open_warehouse

    path = OUT / f"issues_v{VERSION}_{meters}m_{n_issues}i.duckdb"
    if path.exists() and not regenerate:
        return path
    path.unlink(missing_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    open_warehouse(f"duckdb:///{path}")  # the real schema, migrated
    t0 = time.perf_counter()
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    con.execute(
        """
        INSERT INTO meters SELECT
            printf('m%06d', i), printf('b%05d', i // 10), printf('acc-%03d', i // 250),
            CASE WHEN i % 5 = 4 THEN 'water' ELSE 'electricity' END,
            CASE WHEN i % 5 = 4 THEN 'gal' ELSE 'kWh' END,
            printf('Building %05d', i // 10), printf('Account %03d', i // 250),
            'UTC', TRUE, TRUE, FALSE, 15
        FROM range(?) t(i)
        """,
        [meters],
    )
    # h: a well-mixed 64-bit hash per issue; its bit fields pick meter, detector, severity,
    # status, start (15-min slot in 2025) and duration (15 min .. 72 h).
    con.execute(
        f"""
        INSERT INTO dq_issues (issue_id, kind, detector, account_id, building_id, meter_id,
            source, start_ts, end_ts, severity, magnitude, details, first_seen_run,
            last_seen_run, status, status_by, status_at)
        SELECT substr(md5(i::VARCHAR), 1, 20), 'meter', det, printf('acc-%03d', m // 250),
            printf('b%05d', m // 10), printf('m%06d', m),
            CASE WHEN det = 'raw_platform_mismatch' THEN 'raw' ELSE 'platform' END,
            st, st + to_minutes(15 * (1 + ((h >> 48) % 288))::BIGINT),
            CASE WHEN (h >> 16) % 10 < 2 THEN 'high' WHEN (h >> 16) % 10 < 7 THEN 'medium'
                 ELSE 'low' END,
            round(((h >> 40) % 10000) / 10.0, 1), '{{}}', 'bench', 'bench', stat,
            CASE WHEN stat = 'open' THEN 'system' ELSE 'staff' END, st + INTERVAL 3 DAY
        FROM (
            SELECT i, h, (h % ?)::BIGINT AS m,
                {_sql_list(DETECTORS)}[1 + ((h >> 8) % {len(DETECTORS)})::BIGINT] AS det,
                {_sql_list(STATUSES)}[1 + ((h >> 24) % {len(STATUSES)})::BIGINT] AS stat,
                TIMESTAMP '2025-01-01' + to_minutes(15 * ((h >> 32) % (365 * 96))::BIGINT) AS st
            FROM (SELECT i, hash(i) AS h FROM range(?) t(i))
        )
        """,
        [meters, n_issues],
    )
    con.close()
    print(f"built {path.name} in {time.perf_counter() - t0:.1f} s")
    return path


# (step, AppTest action): each runs after the previous one, as a user clicks through.
def _steps(at: object) -> list[tuple[str, object]]:
    return [
        (
            "filter: detector = offline",
            lambda: at.multiselect(key="issues_detectors").set_value(["offline"]),
        ),
        (
            "filter: status + resolved",
            lambda: at.multiselect(key="issues_statuses").set_value(
                ["open", "acknowledged", "resolved"]
            ),
        ),
        (
            "filter: one account",
            lambda: at.multiselect(key="issues_accounts").set_value(["acc-042"]),
        ),
        ("filter: clear account", lambda: at.multiselect(key="issues_accounts").set_value([])),
        (
            "filter: date range (March)",
            lambda: (
                at.date_input(key="issues_from").set_value(_date("2025-03-01")),
                at.date_input(key="issues_to").set_value(_date("2025-03-31")),
            ),
        ),
        (
            "filter: min duration 24 h",
            lambda: at.number_input(key="issues_min_hours").set_value(24.0),
        ),
        ("next page", lambda: at.number_input(key="issues_page").set_value(2)),
        (
            "clear filters (all 400k open+ack)",
            lambda: (
                at.multiselect(key="issues_detectors").set_value([]),
                at.multiselect(key="issues_statuses").set_value(["open", "acknowledged"]),
                at.date_input(key="issues_from").set_value(None),
                at.date_input(key="issues_to").set_value(None),
                at.number_input(key="issues_min_hours").set_value(0.0),
            ),
        ),
        (
            "last page",
            lambda: at.number_input(key="issues_page").set_value(
                int(at.number_input(key="issues_page").max)
            ),
        ),
        ("save one edit (save + rerun)", lambda: _save(at)),
    ]


def _save(at: object) -> None:
    at.session_state["issues_editor"] = {
        "edited_rows": {0: {"note": f"bench {time.time():.0f}"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="issues_save").click()


def _date(text: str) -> object:
    from datetime import date

    return date.fromisoformat(text)


def measure_child(path: str) -> dict:
    """Render the page and every step in this process; seconds per render and peak RSS."""
    import resource

    from streamlit.testing.v1 import AppTest

    from core.auth import User

    os.environ["DQ_WAREHOUSE"] = f"duckdb:///{path}"

    def session() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app_pages" / "issues.py"), default_timeout=60)
        at.session_state["dq_user"] = User("bench", "Bench", "admin", None)
        return at

    at, rows = session(), []
    t0 = time.perf_counter()
    at.run()  # includes one-off process costs: imports, migrations check, AppTest's own setup
    rows.append(("first render (cold process)", time.perf_counter() - t0, _shown(at)))
    for name, action in _steps(at):
        action()
        t0 = time.perf_counter()
        at.run()
        rows.append((name, time.perf_counter() - t0, _shown(at)))
    if at.exception:
        raise SystemExit(f"page raised: {at.exception[0].value}")
    if not any("Saved 1 change" in s.value for s in at.success):
        raise SystemExit("the bench edit was not saved")
    other = session()  # another user opening the page in the running app
    t0 = time.perf_counter()
    other.run()
    rows.append(("first render, new session", time.perf_counter() - t0, _shown(other)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return {"renders": rows, "peak_mb": peak_mb}


def _shown(at: object) -> str:
    return next((c.value for c in at.caption if "match" in c.value), "(no table)").replace("**", "")


def measure(meters: int = 50_000, n_issues: int = 1_000_000, regenerate: bool = False) -> dict:
    """Build (or reuse) the warehouse, measure in a child process, print and save the table."""
    path = build(meters, n_issues, regenerate)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.issues_page", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, DQ_PAGE_SIZE=os.environ.get("DQ_PAGE_SIZE", "50")),
    )
    if proc.returncode:
        raise SystemExit(f"measurement failed:\n{proc.stderr[-3000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(meters=meters, issues=n_issues, file=str(path))
    (OUT / f"issues_page_{meters}m_{n_issues}i.json").write_text(json.dumps(res, indent=2))
    report(res)
    return res


def report(res: dict) -> None:
    """Print seconds per render and peak memory against the targets."""
    print(f"\nIssues page: {res['issues']:,} issues, {res['meters']:,} meters ({res['file']})")
    print(f"{'render':<36} {'seconds':>8}  {'target':>7}  result  shown")
    for name, seconds, shown in res["renders"]:
        ok = "PASS" if seconds < TARGET_S else "FAIL"
        print(f"{name:<36} {seconds:>8.3f}  {'< 1 s':>7}  {ok:<6}  {shown}")
    ok = "PASS" if res["peak_mb"] < TARGET_MB else "FAIL"
    print(f"{'peak memory (ru_maxrss)':<36} {res['peak_mb']:>5.0f} MB  {'< 1 GB':>7}  {ok}")


if __name__ == "__main__":
    print(json.dumps(measure_child(sys.argv[1])))
