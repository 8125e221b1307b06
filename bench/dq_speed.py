"""DQ job speed: the real job end to end vs the scan floor and the naive pandas baseline.

1. ``python -m jobs run dq --date <last day> -q`` in a subprocess against a generated fleet
   (bench/fleetgen.py): wall seconds, meter-days per second (meters x days, where days =
   history + the scored day) and the child's peak RSS (``os.wait4``).
2. The floor: ``python -m bench.scan``, a plain DuckDB scan of the same readings window into
   numpy, also a subprocess (wall seconds, interpreter start included on both sides).
3. The naive baseline (bench/naive.py) on a contiguous sample of meters, extrapolated as
   meter-days per second (pandas load included).
"""

from __future__ import annotations

import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench import cachefile, fleetgen, naive

ROOT = Path(__file__).resolve().parent.parent
TARGET_S_PER_10K = 10.0
TARGET_SPEEDUP = 20.0
TARGET_FLOOR_RATIO = 10.0
TARGET_PEAK_MB = 2048.0


def child(cmd: list[str], env: dict[str, str]) -> dict:
    """Run ``cmd`` from the repo root; wall seconds, exit code, peak RSS (MB) and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
        out.seek(0), err.seek(0)
        return {
            "seconds": wall,
            "returncode": proc.returncode,
            "peak_mb": usage.ru_maxrss / 1024,  # Linux: KiB
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "stdout": out.read().decode(errors="replace").strip(),
            "stderr": err.read().decode(errors="replace").strip()[-2000:],
        }


def _job_cmd(fleet: fleetgen.Fleet, profile: Path | None = None) -> list[str]:
    prof = ["-m", "cProfile", "-o", str(profile)] if profile else []
    return [sys.executable, *prof, "-m", "jobs", "run", "dq", "--date", fleet.last_day, "-q"]


def _env(fleet: fleetgen.Fleet, chunk: int | None) -> dict[str, str]:
    env = dict(os.environ, DQ_WAREHOUSE=fleet.url, DQ_HISTORY_DAYS=str(fleet.days - 1))
    if chunk:
        env["DQ_CHUNK_METERS"] = str(chunk)
    return env


def _parity(fleet: fleetgen.Fleet, sample: naive.NaiveResult, first: str, last: str) -> dict:
    """Findings per detector on the sample: naive vs the job's last run (issues, not notes)."""
    import duckdb

    con = duckdb.connect(fleet.path, read_only=True)
    try:
        job = con.execute(
            """
            SELECT detector, count(*) FROM dq_issues
            WHERE last_seen_run = (SELECT run_id FROM dq_runs WHERE job = 'dq'
                                   ORDER BY started_at DESC LIMIT 1)
              AND meter_id BETWEEN ? AND ? AND status <> 'not_an_issue'
              AND (source = 'platform' OR detector = 'raw_platform_mismatch')
            GROUP BY 1
            """,
            [first, last],
        ).fetchall()
    finally:
        con.close()
    counts = sample.events.detector.value_counts()
    names = sorted(set(counts.index) | {d for d, _ in job})
    return {d: {"naive": int(counts.get(d, 0)), "job": dict(job).get(d, 0)} for d in names}


def _hot_spots(prof: Path, top: int = 15) -> list[dict]:
    """Top functions by own time from a cProfile file."""
    stats = pstats.Stats(str(prof))
    rows = []
    for (file, line, func), (_, calls, own, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = file.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")
        rows.append({"where": f"{where}:{line}:{func}", "calls": calls, "own_s": own, "cum_s": cum})
    return sorted(rows, key=lambda r: -r["own_s"])[:top]


def measure(
    meters: int,
    days: int = 29,
    repeat: int = 1,
    sample: int = 500,
    chunk: int | None = None,
    naive_baseline: bool = True,
    profile: bool = False,
    regenerate: bool = False,
) -> dict:
    """Run the whole DQ speed benchmark and return its results (also saved as JSON)."""
    fleet = fleetgen.ensure(meters, days, regenerate=regenerate)
    print(f"fleet: {fleet.meters:,} meters x {fleet.days} days, {fleet.rows:,} rows, {fleet.path}")
    env = _env(fleet, chunk)
    runs = []
    for i in range(repeat):
        load = os.getloadavg()[0]  # other work on the machine skews the timing; recorded
        r = child(_job_cmd(fleet), env) | {"load_before": load}
        print(
            f"job run {i + 1}/{repeat}: {r['seconds']:.2f} s (load avg before {load:.1f}), "
            f"exit {r['returncode']}: "
            f"{r['stdout'].splitlines()[0] if r['stdout'] else r['stderr']}"
        )
        if r["returncode"] not in (0, 3):
            raise RuntimeError(f"the DQ job failed:\n{r['stderr']}")
        runs.append(r)
    best = min(runs, key=lambda r: r["seconds"])
    start = pd.Timestamp(fleet.first_day)
    end = start + pd.Timedelta(days=days)
    scan = child([sys.executable, "-m", "bench.scan", fleet.path, str(start), str(end)], env)
    scan_inner = json.loads(scan["stdout"])
    meter_days = meters * days
    res = {
        "meters": meters,
        "days": days,
        "meter_days": meter_days,
        "rows": fleet.rows,
        "job_seconds": best["seconds"],
        "job_seconds_all": [r["seconds"] for r in runs],
        "job_cpu_seconds": best["cpu_s"],
        "load_before_runs": [r["load_before"] for r in runs],
        "job_output": best["stdout"],
        "meter_days_per_s": meter_days / best["seconds"],
        "peak_mb": max(r["peak_mb"] for r in runs),
        "scan_seconds": scan["seconds"],
        "scan_inner_seconds": scan_inner["seconds"],
        "scan_rows": scan_inner["rows"],
        "scan_peak_mb": scan["peak_mb"],
        "floor_ratio": best["seconds"] / scan["seconds"],
        "chunk_meters": chunk,
        "cpus": os.cpu_count(),
    }
    if naive_baseline:
        n = min(sample, meters)
        lo = max(1, meters // 2 - n // 2)
        first, last = f"m{lo:06d}", f"m{lo + n - 1:06d}"
        nv = naive.run(fleet.path, first, last, start, days)
        res.update(
            naive_meters=nv.meters,
            naive_load_seconds=nv.load_seconds,
            naive_detect_seconds=nv.detect_seconds,
            naive_meter_days_per_s=nv.meter_days_per_second,
            speedup=res["meter_days_per_s"] / nv.meter_days_per_second,
            parity=_parity(fleet, nv, first, last),
        )
    if profile:
        prof = cachefile.OUT / f"dq_speed_{meters}.prof"
        p = child(_job_cmd(fleet, prof), env)
        res["profile_seconds"] = p["seconds"]
        res["hot_spots"] = _hot_spots(prof)
    (cachefile.OUT / f"dq_speed_{meters}.json").write_text(json.dumps(res, indent=2))
    report(res)
    return res


def _mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(r: dict) -> None:
    """Print the results table with PASS/FAIL against the targets."""
    target_s = TARGET_S_PER_10K * r["meters"] / 10_000
    lines = [
        (
            "end-to-end job (s)",
            f"{r['job_seconds']:.2f}",
            f"< {target_s:g} s (10 s per 10k meters)",
            _mark(r["job_seconds"] < target_s),
        ),
        ("job CPU (s)", f"{r['job_cpu_seconds']:.2f}", "user + sys of the child process", ""),
        (
            "meter-days/s (job)",
            f"{r['meter_days_per_s']:,.0f}",
            f"{r['meters']:,} meters x {r['days']} days (history + scored day)",
            "",
        ),
        (
            "peak memory (MB)",
            f"{r['peak_mb']:,.0f}",
            f"< {TARGET_PEAK_MB:,.0f} MB",
            _mark(r["peak_mb"] < TARGET_PEAK_MB),
        ),
        (
            "scan floor (s)",
            f"{r['scan_seconds']:.2f}",
            f"{r['scan_rows']:,} rows; {r['scan_inner_seconds']:.2f} s inside the process",
            "",
        ),
        (
            "job / scan floor",
            f"{r['floor_ratio']:.1f}x",
            f"<= {TARGET_FLOOR_RATIO:g}x",
            _mark(r["floor_ratio"] <= TARGET_FLOOR_RATIO),
        ),
    ]
    if "speedup" in r:
        lines += [
            (
                "naive meter-days/s",
                f"{r['naive_meter_days_per_s']:,.0f}",
                f"{r['naive_meters']} meters: load {r['naive_load_seconds']:.2f} s + detect "
                f"{r['naive_detect_seconds']:.2f} s",
                "",
            ),
            (
                "speedup vs naive",
                f"{r['speedup']:.1f}x",
                f">= {TARGET_SPEEDUP:g}x",
                _mark(r["speedup"] >= TARGET_SPEEDUP),
            ),
        ]
    w = [max(len(row[i]) for row in lines) for i in range(4)]
    print(f"\nDQ job speed, {r['meters']:,} meters ({r['cpus']} CPUs)")
    for row in lines:
        print("  ".join(cell.ljust(w[i]) for i, cell in enumerate(row)).rstrip())
    if "parity" in r:
        print(
            "\nfindings on the naive sample (naive / job):",
            ", ".join(f"{d} {v['naive']}/{v['job']}" for d, v in r["parity"].items()),
        )
    if "hot_spots" in r:
        print(
            f"\ncProfile of one more run ({r['profile_seconds']:.1f} s with profiling), "
            "top functions by own time:"
        )
        for h in r["hot_spots"]:
            print(
                f"  {h['own_s']:7.2f} s own {h['cum_s']:7.2f} s cum {h['calls']:>8}  {h['where']}"
            )
