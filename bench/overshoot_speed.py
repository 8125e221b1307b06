"""Overshoot job speed: ``job.run`` end to end on 5,000 buildings x one month.

1. A generated warehouse (cached under ``bench/out/``): N buildings with 1-3 electricity meters
   each (a fifth of them hourly, the rest 15-minute), every 10th building also a water meter,
   eight time zones (in the default month, March 2024, the four US zones change clocks on the
   10th and London and Berlin on the 31st), one local month of readings plus two days on each
   side, generated in DuckDB SQL (no Python objects per reading). About 16% of the
   buildings overshoot in the morning (chronic, occasional or once), 10% more only mildly
   (under the 10% ratio: never a fault); some meters have holes or go offline, and 1% carry an
   open high-severity offline issue that blocks one morning.
2. Two runs of the real job in fresh child processes (``python -m bench.overshoot_speed
   --child``: imports, ``open_warehouse()``, ``core.overshoot.job.run``), on the warehouse with
   the month's results cleared first: the first run creates every fault and project, the rerun
   finds them unchanged. Each reports wall seconds (interpreter start included), the job's
   own seconds by stage (``RunSummary.seconds``), CPU seconds and peak RSS (``ru_maxrss`` of
   the child, via ``os.wait4``). Faults and projects stay in the warehouse
   (``DQ_PROJECTS_DB_URL`` is emptied for the child).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench import cachefile
from bench.cachefile import OUT
from bench.dq_speed import _hot_spots, child

ROOT = Path(__file__).resolve().parent.parent
VERSION = 1  # bump when the generated data changes, so stale cached files are not reused
DEFAULT_MONTH = "2024-03"  # US clocks change on the 10th, Europe's on the 31st
MARGIN_DAYS = 2  # readings before and after the month
BATCH_BUILDINGS = 1000
TARGET_S = 10.0  # per 5,000 buildings
TARGET_PEAK_MB = 2048.0
# b % 8 picks the zone: New York, Chicago, Denver, Los Angeles change clocks on 2024-03-10,
# London and Berlin on 2024-03-31, Sydney on 2024-04-07; UTC never.
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "UTC",
    "Australia/Sydney",
)
RESULT_TABLES = ("overshoot_days", "afdd_faults", "projects", "project_events")


@dataclass(frozen=True)
class Warehouse:
    """A generated overshoot warehouse file.

    Attributes
    ----------
    path : str
        Absolute path of the DuckDB file.
    buildings, meters, rows : int
        Buildings, electricity + water meters, rows in ``readings``.
    month : str
        The local month (``YYYY-MM``) the readings cover, with ``MARGIN_DAYS`` on each side.
    seconds : float
        Generation time (of the run that built the file).
    """

    path: str
    buildings: int
    meters: int
    rows: int
    month: str
    seconds: float

    @property
    def url(self) -> str:
        """``DQ_WAREHOUSE`` URL of the file."""
        return f"duckdb:///{self.path}"


def _window(month: str) -> tuple[date, date]:
    first = date.fromisoformat(f"{month}-01")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first - timedelta(days=MARGIN_DAYS), nxt + timedelta(days=MARGIN_DAYS)


def _meters_sql(n: int) -> str:
    """Electricity meters ``e<b>_<k>`` (1-3 per building, a fifth hourly), water ``w<b>``."""
    zones = "[" + ", ".join(f"'{z}'" for z in ZONES) + "]"
    return f"""
    INSERT INTO meters
    WITH b AS (SELECT i AS b FROM range(1, {n + 1}) t(i)),
    e AS (
      SELECT b, k, printf('e%05d_%d', b, k) AS meter_id, 'electricity' AS kind, 'kWh' AS unit,
        CASE WHEN hash(b, k, 'iv') % 5 = 0 THEN 60 ELSE 15 END AS iv
      FROM b, range(0, 3) t(k) WHERE k < 1 + hash(b, 'n') % 3
      UNION ALL
      SELECT b, 9, printf('w%05d', b), 'water', 'gal', 15 FROM b WHERE b % 10 = 0
    )
    SELECT meter_id, printf('b%05d', b), printf('a%04d', b // 50), kind, unit,
      printf('Building %d', b), printf('Account %d', b // 50), {zones}[b % 8 + 1],
      true, true, false, iv
    FROM e ORDER BY b, k
    """


def _readings_sql(lo: int, hi: int, start: date, end: date, month: str) -> str:
    """Platform readings of the meters of buildings ``[lo, hi)`` over ``[start, end)`` UTC.

    Weekdays: 0.3 x scale at night, a ramp 05-06, 1.0 x scale 06-18 (the plateau), a ramp
    down to 20:00; weekends 0.5 x scale 08-17. Morning overshoot (06:00-07:30 local, every
    meter of the building, +25-60 %): buildings with ``hash % 100`` < 6 on 40 % of weekdays,
    6-11 on 10 %, 12-15 on one day (some land on a weekend), 16-25 +5 % every weekday (under
    the 10 % ratio). +/-4 % noise per reading. One meter in 30 misses 08-14 on one day, one
    in 250 goes offline for the last 3 days of the month.
    """
    minutes = int((end - start).total_seconds() // 60)
    first = date.fromisoformat(f"{month}-01")
    return f"""
    INSERT INTO readings
    WITH m AS (
      SELECT meter_id, CAST(substr(building_id, 2) AS BIGINT) AS b, timezone AS tz,
        interval_minutes AS iv, 10 + 240 * (hash(meter_id) % 1000) / 1000.0 AS scale
      FROM meters
      WHERE building_id >= printf('b%05d', {lo}) AND building_id < printf('b%05d', {hi})
    ),
    g AS (SELECT *, unnest(range(0, {minutes} // iv)) AS j FROM m),
    t AS (
      SELECT *, TIMESTAMP '{start}' + to_minutes(j * iv) AS ts FROM g
    ),
    l AS (
      SELECT *, timezone(tz, ts::TIMESTAMPTZ) AS lt, hash(b, 'ov') % 100 AS cls,
        0.25 + 0.35 * (hash(b, 'amp') % 100) / 100.0 AS amp
      FROM t
    ),
    f AS (
      SELECT *, hour(lt) + minute(lt) / 60.0 AS h, isodow(lt) <= 5 AS wd,
        CAST(lt AS DATE) AS ld
      FROM l
    ),
    k AS (
      SELECT *,
        wd AND h >= 6 AND h < 7.5 AND (
          (cls < 6 AND hash(b, ld) % 100 < 40)
          OR (cls BETWEEN 6 AND 11 AND hash(b, ld) % 100 < 10)
          OR (cls BETWEEN 12 AND 15
              AND ld = DATE '{first}' + CAST(hash(b, 'day') % 25 AS INTEGER))
        ) AS over,
        wd AND h >= 6 AND h < 7.5 AND cls BETWEEN 16 AND 25 AS mild
      FROM f
    )
    SELECT meter_id, ts,
      round(scale * iv / 60.0 * (1 + 0.04 * ((hash(meter_id, j) % 2001) / 1000.0 - 1)) * (
        CASE
          WHEN over THEN 1 + amp
          WHEN mild THEN 1.05
          WHEN wd AND h >= 6 AND h < 18 THEN 1.0
          WHEN wd AND h >= 5 AND h < 6 THEN 0.3 + 0.7 * (h - 5)
          WHEN wd AND h >= 18 AND h < 20 THEN 1.0 - 0.35 * (h - 18)
          WHEN NOT wd AND h >= 8 AND h < 17 THEN 0.5
          ELSE 0.3
        END), 3),
      'platform'
    FROM k
    WHERE NOT (hash(meter_id, 'gap') % 30 = 0
               AND ld = DATE '{first}' + CAST(hash(meter_id, 'gday') % 28 AS INTEGER)
               AND h >= 8 AND h < 14)
      AND NOT (hash(meter_id, 'off') % 250 = 0
               AND ts >= TIMESTAMP '{end}' - INTERVAL {MARGIN_DAYS + 3} DAY)
    ORDER BY meter_id, ts
    """


def _issues_sql(month: str) -> str:
    """An open high offline issue (05:00-09:00 UTC) on one day for 1 % of electricity meters,
    and a low-severity one (never blocks) for another 1 %."""
    first = date.fromisoformat(f"{month}-01")
    return f"""
    INSERT INTO dq_issues (issue_id, kind, detector, account_id, building_id, meter_id, source,
      start_ts, end_ts, severity, first_seen_run, last_seen_run, status, status_by, status_at)
    WITH m AS (
      SELECT *, TIMESTAMP '{first}' + to_days(CAST(hash(meter_id, 'iday') % 28 AS INTEGER))
        + INTERVAL 5 HOUR AS s, hash(meter_id, 'iss') % 100 AS sel
      FROM meters WHERE kind = 'electricity'
    )
    SELECT 'iss-' || meter_id, 'meter', 'offline', account_id, building_id, meter_id,
      'platform', s, s + INTERVAL 4 HOUR, CASE WHEN sel = 0 THEN 'high' ELSE 'low' END,
      'gen', 'gen', 'open', 'system', s
    FROM m WHERE sel < 2
    """


def path_for(buildings: int, month: str) -> Path:
    """Cache path of the warehouse of ``buildings`` x ``month``."""
    return OUT / f"overshoot_v{VERSION}_{buildings}b_{month}.duckdb"


def ensure(
    buildings: int, month: str = DEFAULT_MONTH, regenerate: bool = False, quiet: bool = False
) -> Warehouse:
    """Return the cached warehouse, generating it first when absent (or ``regenerate``).

    Parameters
    ----------
    buildings : int
        Number of buildings (ids ``b00001`` ...).
    month : str
        ``YYYY-MM``: the month of readings (with two days of margin each side).
    regenerate : bool
        Rebuild even when a cached file exists.
    quiet : bool
        No progress lines on stderr.
    """
    path = path_for(buildings, month)
    if (saved := cachefile.cached(path, regenerate)) is not None:
        return Warehouse(**saved)
    return _generate(path, buildings, month, quiet)


def _generate(path: Path, buildings: int, month: str, quiet: bool) -> Warehouse:
    t0 = time.perf_counter()
    start, end = _window(month)
    tmp, con = cachefile.start(path)
    try:
        con.execute(_meters_sql(buildings))
        for lo in range(1, buildings + 1, BATCH_BUILDINGS):
            hi = min(lo + BATCH_BUILDINGS, buildings + 1)
            con.execute(_readings_sql(lo, hi, start, end, month))
            if not quiet:
                print(
                    f"overshoot bench: {hi - 1:,}/{buildings:,} buildings, "
                    f"{time.perf_counter() - t0:.0f} s",
                    file=sys.stderr,
                )
        con.execute(_issues_sql(month))
        rows = con.execute("SELECT count(*) FROM readings").fetchone()[0]
        meters = con.execute("SELECT count(*) FROM meters").fetchone()[0]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return cachefile.finish(
        tmp,
        path,
        Warehouse(
            path=str(path),
            buildings=buildings,
            meters=int(meters),
            rows=int(rows),
            month=month,
            seconds=round(time.perf_counter() - t0, 1),
        ),
    )


def _reset(wh: Warehouse) -> None:
    """Clear the month's results so the first run creates every fault and project."""
    import duckdb

    con = duckdb.connect(wh.path)
    try:
        for table in RESULT_TABLES:
            con.execute(f"DELETE FROM {table}")
        con.execute("DELETE FROM dq_runs WHERE job = 'overshoot'")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _child_cmd(wh: Warehouse, chunk: int | None, profile: Path | None = None) -> list[str]:
    prof = ["-m", "cProfile", "-o", str(profile)] if profile else []
    extra = ["--chunk-meters", str(chunk)] if chunk else []
    return [sys.executable, *prof, "-m", "bench.overshoot_speed", "--child", wh.url, wh.month,
            *extra]  # fmt: skip


def _env(wh: Warehouse) -> dict[str, str]:
    return dict(os.environ, DQ_WAREHOUSE=wh.url, DQ_PROJECTS_DB_URL="")


def _run_child(wh: Warehouse, chunk: int | None, label: str) -> dict:
    load = os.getloadavg()[0]  # other work on the machine skews the timing; recorded
    r = child(_child_cmd(wh, chunk), _env(wh))
    if r["returncode"] != 0:
        raise RuntimeError(f"the overshoot job failed ({label}):\n{r['stderr']}")
    inner = json.loads(r["stdout"].splitlines()[-1])
    out = {
        "wall_s": r["seconds"],
        "cpu_s": r["cpu_s"],
        "peak_mb": r["peak_mb"],
        "load_before": load,
        **inner,
        "startup_s": r["seconds"] - inner["job_s"],
    }
    print(
        f"{label}: {r['seconds']:.2f} s end to end, job {inner['job_s']:.2f} s, "
        f"CPU {r['cpu_s']:.2f} s, peak RSS {r['peak_mb']:,.0f} MB (load avg before {load:.1f}); "
        f"{inner['faults']} faults, projects {inner['projects']}",
        file=sys.stderr,
    )
    return out


def measure(
    buildings: int = 5000,
    month: str = DEFAULT_MONTH,
    chunk: int | None = None,
    profile: bool = False,
    regenerate: bool = False,
) -> dict:
    """Generate (or reuse) the warehouse, time the first run and the rerun; print and save.

    Parameters
    ----------
    buildings : int
        Buildings in the generated warehouse.
    month : str
        ``YYYY-MM``; the default has both the US and the European spring-forward.
    chunk : int, optional
        ``chunk_meters`` passed to ``job.run`` (default: its own).
    profile : bool
        Also run once more under cProfile and list the top functions by own time.
    regenerate : bool
        Rebuild the cached warehouse.
    """
    wh = ensure(buildings, month, regenerate=regenerate)
    print(
        f"warehouse: {wh.buildings:,} buildings, {wh.meters:,} meters, {wh.rows:,} readings, "
        f"{wh.month} +/- {MARGIN_DAYS} days ({wh.path})",
        file=sys.stderr,
    )
    _reset(wh)
    first = _run_child(wh, chunk, "first run")
    rerun = _run_child(wh, chunk, "rerun")
    res = {
        "buildings": wh.buildings,
        "meters": wh.meters,
        "rows": wh.rows,
        "month": wh.month,
        "file": wh.path,
        "chunk_meters": chunk,
        "cpus": os.cpu_count(),
        "first": first,
        "rerun": rerun,
    }
    if profile:
        prof = OUT / f"overshoot_speed_{buildings}b.prof"
        p = child(_child_cmd(wh, chunk, prof), _env(wh))
        res["profile_seconds"] = p["seconds"]
        res["hot_spots"] = _hot_spots(prof, top=20)
    (OUT / f"overshoot_speed_{buildings}b_{wh.month}.json").write_text(json.dumps(res, indent=2))
    report(res)
    return res


STAGES = (
    ("startup", "interpreter, imports, open warehouse, exit"),
    ("load", "load: meters, issues, readings -> kW per slot"),
    ("detect", "detect: building days + faults"),
    ("write_days", "write overshoot_days"),
    ("faults", "write afdd_faults"),
    ("sync", "sync projects"),
    ("finish", "run record"),
)


def report(r: dict) -> None:
    """Print the per-stage table and the targets (PASS/FAIL)."""
    target_s = TARGET_S * r["buildings"] / 5000
    first, rerun = r["first"], r["rerun"]
    print(
        f"\nOvershoot job, {r['buildings']:,} buildings x {r['month']} ({r['meters']:,} meters, "
        f"{r['rows']:,} readings; {r['cpus']} CPUs)"
    )
    print(f"{'stage (wall s)':<46} {'first run':>9} {'rerun':>9}")
    for key, label in STAGES:
        a = first["startup_s"] if key == "startup" else first["seconds"].get(key, 0.0)
        b = rerun["startup_s"] if key == "startup" else rerun["seconds"].get(key, 0.0)
        print(f"  {label:<44} {a:>9.2f} {b:>9.2f}")
    rows = [
        ("job.run", f"{first['job_s']:.2f}", f"{rerun['job_s']:.2f}", ""),
        ("end to end (process wall)", f"{first['wall_s']:.2f}", f"{rerun['wall_s']:.2f}",
         f"< {target_s:g} s  "
         f"{'PASS' if max(first['wall_s'], rerun['wall_s']) < target_s else 'FAIL'}"),
        ("CPU (user + sys)", f"{first['cpu_s']:.2f}", f"{rerun['cpu_s']:.2f}", ""),
        ("peak RSS (MB, ru_maxrss)", f"{first['peak_mb']:,.0f}", f"{rerun['peak_mb']:,.0f}",
         f"< {TARGET_PEAK_MB:,.0f} MB  "
         f"{'PASS' if max(first['peak_mb'], rerun['peak_mb']) < TARGET_PEAK_MB else 'FAIL'}"),
        ("load average before", f"{first['load_before']:.1f}", f"{rerun['load_before']:.1f}", ""),
    ]  # fmt: skip
    for label, a, b, note in rows:
        print(f"{label:<48} {a:>9} {b:>9}  {note}".rstrip())
    same = rerun["faults"] == first["faults"] and rerun["projects"]["unchanged"] == sum(
        first["projects"].values()
    )
    print(
        f"faults {first['faults']} / {rerun['faults']}; projects: first run {first['projects']}"
        f"\n  rerun {rerun['projects']}  (rerun changes nothing: {'PASS' if same else 'FAIL'})"
    )
    if "hot_spots" in r:
        print(
            f"\ncProfile of one more rerun ({r['profile_seconds']:.1f} s with profiling), "
            "top functions by own time:"
        )
        for h in r["hot_spots"]:
            print(
                f"  {h['own_s']:7.2f} s own {h['cum_s']:7.2f} s cum {h['calls']:>8}  {h['where']}"
            )


def _child(url: str, month: str, chunk: int | None) -> dict:
    """In the child process: import, open the warehouse, run the job; timings as a dict."""
    t0 = time.perf_counter()
    from core.db import open_warehouse
    from core.overshoot import job

    db = open_warehouse(url)
    t1 = time.perf_counter()
    s = job.run(db, month, chunk_meters=chunk)
    t2 = time.perf_counter()
    return {
        "imports_s": t1 - t0,
        "job_s": t2 - t1,
        "seconds": s.seconds,
        "status": s.status,
        "units": s.units_total,
        "faults": s.faults,
        "projects": s.projects,
    }


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.overshoot_speed")
    p.add_argument("--child", nargs=2, metavar=("URL", "MONTH"), help=argparse.SUPPRESS)
    p.add_argument("--chunk-meters", type=int)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(_child(*args.child, args.chunk_meters)))
        return 0
    measure(chunk=args.chunk_meters)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
