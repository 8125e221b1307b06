"""Detection quality on real labels: the LEAD 1.0 10-building subset (hourly, 2016).

The CSV (``building_id,timestamp,meter_reading,anomaly``; see the README.md next to it) goes
through the real importer into a fresh DuckDB warehouse as hourly meters (interval 60,
electricity, kWh). Its timestamps are local time; they are imported as UTC (``timezone``
UTC), so the local hour-of-day is kept and DST hours are simply whatever the file holds. NaN
readings are dropped (they become gaps). The real DQ job then scores every day of 2016 and
its ``dq_issues`` (minus ``not_an_issue``) are matched to the labeled events.

Labeled events are runs of ``anomaly == 1`` per building, split into ``sentinel`` (most
readings are exactly 1.0), ``flatline`` (most readings equal a neighbour, not sentinel) and
``operational`` (the rest: holidays, schedule shifts, night overuse). Findings are split the
same way by what their detector says (``SCOPE``, docs/detectors.md): data-quality findings
(readings and meter detectors) are scored against the data-quality labels; usage findings
(``water_leak``, ``daily_usage_high``, ``daily_usage_low``: real but unusual consumption, the
kind of anomaly LEAD labels as operational) against any label. Precision over all findings is
reported too. A finding and an event
match when they overlap after widening the event by the tolerance on both sides. Buildings
254 and 335 have modified labels (README): ``strict`` leaves them out, ``all`` keeps them
(approximate).
"""

from __future__ import annotations

import json
import os
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench.cachefile import OUT

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = ROOT.parent / "shared" / "evaldata" / "lead" / "lead_subset_10bldg.csv"
APPROXIMATE = (254, 335)  # labels modified by the intermediary (README)
DQ_CATEGORIES = ("sentinel", "flatline")
CATEGORIES = ("sentinel", "flatline", "operational")
TOLERANCES_H = (12, 24)
YEAR = 2016


def csv_path(override: str | None = None) -> Path:
    """``override``, else ``$DQ_LEAD_CSV``, else ``<repo>/../shared/evaldata/lead/...``."""
    return Path(override or os.environ.get("DQ_LEAD_CSV") or DEFAULT_CSV)


def read(path: Path) -> pd.DataFrame:
    """The CSV as ``building, ts, value, anomaly``, sorted by building and time."""
    df = pd.read_csv(path, parse_dates=["timestamp"])
    df = df.rename(columns={"building_id": "building", "timestamp": "ts", "meter_reading": "value"})
    return df.sort_values(["building", "ts"], ignore_index=True)


def label_events(df: pd.DataFrame) -> pd.DataFrame:
    """One row per labeled run: building, start, end (exclusive), hours, category."""
    same_b = df.building.eq(df.building.shift())
    v = df.value
    flat = (v.eq(v.shift()) & same_b) | (v.eq(v.shift(-1)) & df.building.eq(df.building.shift(-1)))
    run = (df.anomaly.ne(df.anomaly.shift()) | ~same_b).cumsum()
    on = df.anomaly == 1
    g = df[on].assign(sentinel=v[on] == 1.0, flat=flat[on]).groupby(run[on])
    ev = g.agg(
        building=("building", "first"),
        start=("ts", "first"),
        last=("ts", "last"),
        hours=("ts", "size"),
        sentinel=("sentinel", "mean"),
        flat=("flat", "mean"),
    ).reset_index(drop=True)
    ev["end"] = ev["last"] + pd.Timedelta(hours=1)
    ev["category"] = np.where(
        ev.sentinel > 0.5, "sentinel", np.where(ev.flat > 0.5, "flatline", "operational")
    )
    return ev[["building", "start", "end", "hours", "category"]]


def build_warehouse(df: pd.DataFrame, path: Path) -> object:
    """A fresh warehouse at ``path`` with the buildings imported by the real importer."""
    from core.db import open_warehouse
    from core.ingest import import_frames

    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    db = open_warehouse(f"duckdb:///{path}")
    buildings = sorted(df.building.unique())
    meters = pd.DataFrame(
        {
            "meter_id": [f"lead{b}" for b in buildings],
            "building_id": [str(b) for b in buildings],
            "account_id": "lead",
            "kind": "electricity",
            "unit": "kWh",
            "timezone": "UTC",
            "interval_minutes": 60,
        }
    )
    ok = df.value.notna()
    readings = pd.DataFrame(
        {"meter_id": "lead" + df.building[ok].astype(str), "ts": df.ts[ok], "value": df.value[ok]}
    )
    report = import_frames(db, meters=meters, readings=readings, label="lead")
    if not report.bad_rows.empty:
        raise RuntimeError(f"LEAD import rejected rows:\n{report.summary()}")
    return db


def run_year(db: object, history_days: int) -> list[str]:
    """Run the real DQ job for every day of ``YEAR``; returns each run's status."""
    from core.dq import job

    day, statuses = date(YEAR, 1, 1), []
    while day.year == YEAR:
        statuses.append(job.run(db, day, history_days=history_days).status)  # type: ignore[arg-type]
        day += timedelta(days=1)
    return statuses


def findings(db: object) -> pd.DataFrame:
    """Meter issues that are not ``not_an_issue``: building, detector, start, end."""
    df = db.fetch_df(  # type: ignore[attr-defined]
        "SELECT building_id, detector, start_ts, end_ts FROM dq_issues "
        "WHERE kind = 'meter' AND status <> 'not_an_issue'"
    )
    return df.assign(building=df.building_id.astype(int)).drop(columns="building_id")


def _overlap(f: pd.DataFrame, ev: pd.DataFrame, tol: pd.Timedelta) -> np.ndarray:
    """``(n_findings, n_events)`` bool: same building and overlapping within ``tol``."""
    return (
        (f.building.to_numpy()[:, None] == ev.building.to_numpy()[None, :])
        & (f.start_ts.to_numpy()[:, None] < (ev.end + tol).to_numpy()[None, :])
        & (f.end_ts.to_numpy()[:, None] > (ev.start - tol).to_numpy()[None, :])
    )


def _is_usage(detector: str) -> bool:
    """Whether ``detector`` reports usage (real consumption) rather than a data fault."""
    from core.detectors import REGISTRY
    from core.detectors.base import scope

    module = REGISTRY.get(detector)
    return module is not None and scope(module) == "usage"


def score(ev: pd.DataFrame, f: pd.DataFrame, tol_h: int) -> dict:
    """Event recall per category, precision (vs DQ events, vs any event), per detector."""
    hit = _overlap(f, ev, pd.Timedelta(hours=tol_h))
    dq = ev.category.isin(DQ_CATEGORIES).to_numpy()
    caught = hit.any(axis=0)
    out: dict = {"tolerance_h": tol_h, "findings": len(f), "events": len(ev), "recall": {}}
    for c in CATEGORIES:
        sel = (ev.category == c).to_numpy()
        out["recall"][c] = {"events": int(sel.sum()), "caught": int(caught[sel].sum())}
    out["precision_dq"] = float(hit[:, dq].any(axis=1).mean()) if len(f) else None
    out["precision_any"] = float(hit.any(axis=1).mean()) if len(f) else None
    usage = f.detector.map(_is_usage).to_numpy(dtype=bool)
    quality = ~usage
    out["dq_findings"] = int(quality.sum())
    out["dq_findings_on_dq"] = int(hit[quality][:, dq].any(axis=1).sum())
    out["precision_dq_detectors"] = (
        out["dq_findings_on_dq"] / out["dq_findings"] if out["dq_findings"] else None
    )
    out["usage_findings"] = int(usage.sum())
    out["usage_findings_on_any"] = int(hit[usage].any(axis=1).sum())
    out["precision_usage_any"] = (
        out["usage_findings_on_any"] / out["usage_findings"] if out["usage_findings"] else None
    )
    caught_by_dq = hit[quality].any(axis=0)
    out["recall_dq_detectors"] = {
        c: int(caught_by_dq[(ev.category == c).to_numpy()].sum()) for c in DQ_CATEGORIES
    }
    out["detectors"] = {}
    for d in sorted(f.detector.unique()):
        rows = (f.detector == d).to_numpy()
        out["detectors"][d] = {
            "findings": int(rows.sum()),
            "on_dq_event": int(hit[rows][:, dq].any(axis=1).sum()),
            "on_any_event": int(hit[rows].any(axis=1).sum()),
            **{
                f"caught_{c}": int(hit[rows][:, (ev.category == c).to_numpy()].any(axis=0).sum())
                for c in CATEGORIES
            },
        }
    return out


def measure(csv: str | None = None, history_days: int = 28) -> dict | None:
    """Import, run the job for every day of 2016, score; print and save bench/out/lead.json."""
    path = csv_path(csv)
    if not path.exists():
        print(f"lead: skipped, {path} not found (set DQ_LEAD_CSV or pass --csv)")
        return None
    t0 = time.perf_counter()
    df = read(path)
    OUT.mkdir(parents=True, exist_ok=True)
    db = build_warehouse(df, OUT / "lead.duckdb")
    t1 = time.perf_counter()
    statuses = run_year(db, history_days)
    t2 = time.perf_counter()
    ev, f = label_events(df), findings(db)
    res: dict = {
        "csv": str(path),
        "buildings": int(df.building.nunique()),
        "history_days": history_days,
        "import_seconds": t1 - t0,
        "job_seconds": t2 - t1,
        "job_runs": len(statuses),
        "job_runs_not_ok": sum(s != "ok" for s in statuses),
        "sets": {},
    }
    for name, left_out in (("strict", APPROXIMATE), ("all", ())):
        ek = ev[~ev.building.isin(left_out)].reset_index(drop=True)
        fk = f[~f.building.isin(left_out)].reset_index(drop=True)
        res["sets"][name] = [score(ek, fk, t) for t in TOLERANCES_H]
    res["score_seconds"] = time.perf_counter() - t2
    res["total_seconds"] = time.perf_counter() - t0
    (OUT / "lead.json").write_text(json.dumps(res, indent=2, default=str))
    report(res)
    return res


def report(r: dict) -> None:
    """Print recall/precision per set and tolerance, and the per-detector table."""
    print(
        f"\nLEAD subset: {r['buildings']} buildings, {r['job_runs']} daily DQ runs "
        f"({r['job_runs_not_ok']} not ok); import {r['import_seconds']:.1f} s, "
        f"job {r['job_seconds']:.1f} s ({r['job_seconds'] / r['job_runs']:.2f} s/day), "
        f"total {r['total_seconds']:.1f} s"
    )
    print("\nset     tol  " + "  ".join(f"{c:>15}" for c in CATEGORIES) + "  prec(DQ)  prec(any)")
    for name, scores in r["sets"].items():
        for s in scores:
            rec = "  ".join(
                f"{v['caught']:>4}/{v['events']:<4} {v['caught'] / max(v['events'], 1):>5.0%}"
                for v in s["recall"].values()
            )
            pd_, pa = s["precision_dq"], s["precision_any"]
            print(
                f"{name:<7} {s['tolerance_h']:>2}h  {rec}  {pd_ or 0:>8.0%}  {pa or 0:>9.0%}"
                f"   ({s['findings']} findings)"
            )
    print("\nby what the findings say (data-quality detectors vs DQ labels; usage checks vs any):")
    for name, scores in r["sets"].items():
        for s in scores:
            dq, us = s["precision_dq_detectors"], s["precision_usage_any"]
            rec = ", ".join(f"{c} {n}/{s['recall'][c]['events']}"
                            for c, n in s["recall_dq_detectors"].items())  # fmt: skip
            print(
                f"{name:<7} {s['tolerance_h']:>2}h  data quality: {s['dq_findings_on_dq']}/"
                f"{s['dq_findings']} = {dq or 0:.1%} on DQ labels (recall {rec}); usage: "
                f"{s['usage_findings_on_any']}/{s['usage_findings']} = {us or 0:.0%} on any label"
            )
    s = r["sets"]["strict"][-1]
    print(f"\nper detector (strict set, {s['tolerance_h']} h tolerance):")
    cols = ["findings", "on_dq_event", "on_any_event", *[f"caught_{c}" for c in CATEGORIES]]
    print(f"{'detector':<22}" + "".join(f"{c:>20}" for c in cols))
    for d, v in s["detectors"].items():
        print(f"{d:<22}" + "".join(f"{v[c]:>20}" for c in cols))
