"""Detection quality on a second labelled set: NAB's known-cause and artificial series.

NAB (the Numenta Anomaly Benchmark; ``<repo>/../shared/evaldata/nab``) is not meter data: CPU
load, latency, temperatures, taxi demand and synthetic daily patterns, each with labelled
anomaly windows. It checks that the detectors do not only work on our own generators. How a
series becomes a meter (fixed before any result was looked at, docs/benchmarks.md):

* one series = one electricity meter ``nab-<file stem>`` in time zone UTC;
* series sampled every 15 minutes or faster become 15-minute meters, slower ones (hourly
  temperature, 30-minute taxi counts) hourly meters; each slot holds the **mean** of the
  samples whose timestamp falls in it (empty slots are gaps);
* a series with negative values is shifted up by its minimum (our meters read consumption,
  never below zero; NAB's labels are not about sign);
* the file goes through the real importer and the real DQ job scores every UTC day after the
  first (history ``--history-days``, default 28, like the LEAD benchmark).

Scoring is event-level: a finding (any detector, status other than ``not_an_issue``) is a true
positive when it overlaps a labelled window of its series; a window is caught when any finding
overlaps it. NAB's windows are already wide (10 % of the series), so no tolerance is added.
Each window is also mapped to the detector family meant to catch that kind of anomaly
(``EXPECTED``); windows of anomalies none of our detectors targets (temperatures, CPU load,
key-hold events, taxi demand around holidays: operational anomalies, like most LEAD labels)
are ``out_of_scope`` and reported apart.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench.cachefile import OUT

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT.parent / "shared" / "evaldata" / "nab"
FOLDERS = ("artificialWithAnomaly", "realKnownCause")
# What each series' labelled anomalies are, by NAB's own description, and which of our detector
# families is meant to catch such an anomaly. Empty = out of scope (not a data-quality fault
# or a usage anomaly our checks look for). Fixed from the series' documented causes.
EXPECTED: dict[str, tuple[str, ...]] = {
    "art_daily_flatmiddle": ("flatline", "zero_run"),  # the daily pattern goes flat
    "art_daily_jumpsup": ("daily_usage_high", "spike_positive"),  # daily peaks jump up
    "art_daily_jumpsdown": ("daily_usage_low", "spike_negative"),  # daily peaks drop
    "art_daily_nojump": ("daily_usage_low",),  # a day without its usual peak
    "art_increase_spike_density": ("spike_positive",),  # spikes come more often
    "art_load_balancer_spikes": ("spike_positive",),  # a burst of spikes
    "ec2_request_latency_system_failure": ("spike_positive",),  # latency spikes
    "ambient_temperature_system_failure": (),
    "cpu_utilization_asg_misconfiguration": (),
    "machine_temperature_system_failure": (),
    "nyc_taxi": (),  # marathon, holidays, a snow storm: operational
    "rogue_agent_key_hold": (),
    "rogue_agent_key_updown": (),
}


def data_dir(override: str | None = None) -> Path:
    """``override``, else ``$DQ_NAB_DIR``, else ``<repo>/../shared/evaldata/nab``."""
    return Path(override or os.environ.get("DQ_NAB_DIR") or DEFAULT_DIR)


def read_series(root: Path) -> dict[str, pd.DataFrame]:
    """Every series of ``FOLDERS`` as ``ts, value`` frames, by file stem."""
    out = {}
    for folder in FOLDERS:
        for path in sorted((root / "data" / folder).glob("*.csv")):
            df = pd.read_csv(path, parse_dates=["timestamp"])
            out[path.stem] = df.rename(columns={"timestamp": "ts"}).sort_values("ts")
    return out


def read_windows(root: Path) -> pd.DataFrame:
    """Labelled windows: series, start, end, expected (detector names, comma-separated)."""
    raw = json.loads((root / "labels" / "combined_windows.json").read_text())
    rows = []
    for key, windows in raw.items():
        folder, name = key.split("/")
        if folder not in FOLDERS:
            continue
        stem = name.removesuffix(".csv")
        for start, end in windows:
            rows.append((stem, pd.Timestamp(start), pd.Timestamp(end), EXPECTED.get(stem, ())))
    return pd.DataFrame(rows, columns=["series", "start", "end", "expected"])


def as_meter(stem: str, df: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """The meter row and its slot readings (mean per slot; shifted when negative)."""
    step = df.ts.diff().dt.total_seconds().median() / 60
    interval = 15 if step <= 15 else 60
    value = df.value.astype(float)
    if value.min() < 0:
        value = value - value.min()
    slot = df.ts.dt.floor(f"{interval}min")
    readings = (
        pd.DataFrame({"ts": slot, "value": value}).groupby("ts", as_index=False)["value"].mean()
    )
    readings.insert(0, "meter_id", f"nab-{stem}")
    meter = {
        "meter_id": f"nab-{stem}",
        "building_id": stem,
        "account_id": "nab",
        "kind": "electricity",
        "unit": "kWh",
        "timezone": "UTC",
        "interval_minutes": interval,
    }
    return meter, readings


def build_warehouse(series: dict[str, pd.DataFrame], path: Path) -> object:
    """A fresh warehouse at ``path`` holding every series, through the real importer."""
    from core.db import open_warehouse
    from core.ingest import import_frames

    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    db = open_warehouse(f"duckdb:///{path}")
    meters, readings = zip(*(as_meter(s, df) for s, df in series.items()), strict=True)
    report = import_frames(
        db, meters=pd.DataFrame(list(meters)), readings=pd.concat(readings), label="nab"
    )
    if not report.bad_rows.empty:
        raise RuntimeError(f"NAB import rejected rows:\n{report.summary()}")
    return db


def run_days(db: object, series: dict[str, pd.DataFrame], history_days: int) -> list[str]:
    """Run the real DQ job for every full UTC day of each series after its first day.

    The series cover different periods; on each day only the meters of series covering it are
    eligible (``dq_enabled``), so no series is reported offline before it starts or after it
    ends.
    """
    from core.dq import job

    covers: dict = {}
    for stem, df in series.items():
        step = df.ts.diff().median()
        first = df.ts.min().normalize()
        last = (df.ts.max() + step).normalize() - timedelta(days=1)  # the last full day
        for d in pd.date_range(first + timedelta(days=1), last, freq="D").date:
            covers.setdefault(d, []).append(f"nab-{stem}")
    statuses = []
    for day in sorted(covers):
        ids = covers[day]
        marks = ", ".join("?" for _ in ids)
        db.execute(f"UPDATE meters SET dq_enabled = meter_id IN ({marks})", ids)  # type: ignore[attr-defined]
        statuses.append(job.run(db, day, history_days=history_days).status)  # type: ignore[arg-type]
    return statuses


def findings(db: object) -> pd.DataFrame:
    """Meter issues that are not ``not_an_issue``: series, detector, start, end."""
    df = db.fetch_df(  # type: ignore[attr-defined]
        "SELECT building_id AS series, detector, start_ts, end_ts FROM dq_issues "
        "WHERE kind = 'meter' AND status <> 'not_an_issue'"
    )
    return df


def score(windows: pd.DataFrame, f: pd.DataFrame) -> dict:
    """Precision of findings, recall of windows (all, in scope, by expected family)."""
    hit = (
        (f.series.to_numpy()[:, None] == windows.series.to_numpy()[None, :])
        & (f.start_ts.to_numpy()[:, None] < windows.end.to_numpy()[None, :])
        & (f.end_ts.to_numpy()[:, None] > windows.start.to_numpy()[None, :])
    )
    in_scope = windows.expected.map(bool).to_numpy()
    caught = hit.any(axis=0)
    expected_hit = np.array(
        [
            bool(exp) and f.detector[hit[:, j]].isin(exp).any()
            for j, exp in enumerate(windows.expected)
        ],
        dtype=bool,
    )
    per_series = {}
    for s in sorted(set(windows.series) | set(f.series)):
        w = (windows.series == s).to_numpy()
        rows = (f.series == s).to_numpy()
        per_series[s] = {
            "windows": int(w.sum()),
            "caught": int(caught[w].sum()),
            "findings": int(rows.sum()),
            "in_windows": int(hit[rows].any(axis=1).sum()),
            "detectors": dict(sorted(f.detector[rows].value_counts().items())),
            "expected": list(EXPECTED.get(s, ())),
        }
    detectors = {}
    for d in sorted(f.detector.unique()):
        rows = (f.detector == d).to_numpy()
        detectors[d] = {
            "findings": int(rows.sum()),
            "in_window": int(hit[rows].any(axis=1).sum()),
        }
    return {
        "findings": len(f),
        "precision": float(hit.any(axis=1).mean()) if len(f) else None,
        "windows": len(windows),
        "caught": int(caught.sum()),
        "in_scope_windows": int(in_scope.sum()),
        "in_scope_caught": int(caught[in_scope].sum()),
        "in_scope_caught_by_expected": int(expected_hit.sum()),
        "series": per_series,
        "detectors": detectors,
    }


def measure(directory: str | None = None, history_days: int = 28) -> dict | None:
    """Import, run the job for every day, score; print and save bench/out/nab.json."""
    root = data_dir(directory)
    if not (root / "labels" / "combined_windows.json").exists():
        print(f"nab: skipped, no NAB data under {root} (set DQ_NAB_DIR or pass --dir)")
        return None
    t0 = time.perf_counter()
    series = read_series(root)
    OUT.mkdir(parents=True, exist_ok=True)
    db = build_warehouse(series, OUT / "nab.duckdb")
    t1 = time.perf_counter()
    statuses = run_days(db, series, history_days)
    t2 = time.perf_counter()
    res = {
        "dir": str(root),
        "series_count": len(series),
        "history_days": history_days,
        "job_runs": len(statuses),
        "job_runs_not_ok": sum(s != "ok" for s in statuses),
        "import_seconds": t1 - t0,
        "job_seconds": t2 - t1,
        **score(read_windows(root), findings(db)),
    }
    (OUT / "nab.json").write_text(json.dumps(res, indent=2, default=str))
    report(res)
    return res


def report(r: dict) -> None:
    """Print precision, window recall (all and in scope) and the per-series table."""
    prec = "n/a" if r["precision"] is None else f"{r['precision']:.0%}"
    print(
        f"\nNAB: {r['series_count']} series, {r['job_runs']} daily DQ runs "
        f"({r['job_runs_not_ok']} not ok), job {r['job_seconds']:.1f} s\n"
        f"precision {prec} ({r['findings']} findings); windows caught {r['caught']}/"
        f"{r['windows']}; in scope {r['in_scope_caught']}/{r['in_scope_windows']} "
        f"({r['in_scope_caught_by_expected']} by the expected detector)"
    )
    print(f"\n{'series':<40}{'windows':>8}{'caught':>8}{'findings':>10}{'in win':>8}  detectors")
    for s, v in r["series"].items():
        dets = ", ".join(f"{d} {n}" for d, n in v["detectors"].items())
        print(
            f"{s:<40}{v['windows']:>8}{v['caught']:>8}{v['findings']:>10}{v['in_windows']:>8}"
            f"  {dets}"
        )
