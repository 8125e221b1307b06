"""Model sandbox speed: server time of app_pages/sandbox.py under AppTest, per shipped model.

1. Build (once, cached under bench/out/) a warehouse holding the demo fleet (``core.demo``,
   seed 42: ~295 meters, 60 days of 15-minute readings, bills), with its last day scored by
   the DQ job and its bills checked, so every model has real data and real findings.
2. In a child process (a cold interpreter, as a new app server), for every model: clear the
   data cache, open the page as an admin with ``?model=<key>`` (the pickers start on real
   data: a detector on the meter of its latest finding, 30 days of 15-minute readings ending
   with the day it was found) and time that first, uncached render; then move one slider
   back and forth ``moves`` times and time each rerun. Server time is the wall time of
   ``AppTest.run()``: the whole script run, data cache lookups, the model run and chart
   serialisation; browser rendering and network are not included.

Target (issue 6): a slider move re-renders in under 300 ms of server time (the median).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
VERSION = 1  # bump when the generated warehouse changes
TARGET_S = 0.3
SEED = 42
# The slider each model moves (default: its first number input), over these shares of range.
SLIDER = {"overshoot": "min_ratio", "baseline": "band", "usage_outlier": "z_threshold",
          "unit_rate_outlier": "z_threshold"}  # fmt: skip
SHARES = (0.25, 0.6, 0.4, 0.75, 0.3, 0.5, 0.2, 0.65, 0.35)


def build(regenerate: bool = False) -> Path:
    """The cached demo-fleet warehouse, scored and bill-checked."""
    from core import auth, demo
    from core.bills import job as bill_job
    from core.db import open_warehouse
    from core.dq import job
    from core.ingest import import_frames

    path = OUT / f"sandbox_v{VERSION}_seed{SEED}.duckdb"
    if path.exists() and not regenerate:
        return path
    path.unlink(missing_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    fleet = demo.generate(seed=SEED)
    db = open_warehouse(f"duckdb:///{path}")
    import_frames(db, meters=fleet.meters, readings=fleet.readings, bills=fleet.bills)
    auth.mark_demo(db, SEED)
    job.run(db, fleet.last_day)
    bill_job.run(db, fleet.last_day)
    print(f"built {path.name} in {time.perf_counter() - t0:.1f} s")
    return path


def _slider(model: object, key: str) -> object:
    wanted = SLIDER.get(key)
    numbers = [i for i in model.inputs if i.kind == "number" and i.min is not None]
    return next((i for i in numbers if i.name == wanted), numbers[0])


def _value(inp: object, share: float) -> float:
    raw = inp.min + share * (inp.max - inp.min)
    step = inp.step or 1
    value = inp.min + round((raw - inp.min) / step) * step
    return int(value) if inp.is_int else round(value, 6)


def _data(at: object, model: object, key: str) -> str:
    """What the model ran on, for the table (meter / building / month / bill meter)."""
    picked = [str(at.session_state[f"sbx_{key}_{i.name}"]) for i in model.inputs if i.is_data]
    return " ".join(picked)


def measure_child(path: str, moves: int) -> dict:
    """Time every model's first render and ``moves`` slider moves in this process."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core.auth import User
    from core.sandbox import discover

    os.environ["DQ_WAREHOUSE"] = f"duckdb:///{path}"
    page = str(ROOT / "app_pages" / "sandbox.py")

    def session(key: str) -> AppTest:
        at = AppTest.from_file(page, default_timeout=120)
        at.session_state["dq_user"] = User("bench", "Bench", "admin", None)
        at.query_params["model"] = key
        return at

    t0 = time.perf_counter()
    session("baseline").run()  # imports, migrations check, AppTest setup: not a model's cost
    warmup = time.perf_counter() - t0
    rows = []
    for key, model in discover().models.items():
        st.cache_data.clear()  # the first render loads its data: uncached
        at = session(key)
        t0 = time.perf_counter()
        at.run()
        first = time.perf_counter() - t0
        if at.exception or at.error:
            raise SystemExit(f"{key}: {(at.exception or at.error)[0].value}")
        inp = _slider(model, key)
        times = []
        for share in (SHARES * (moves // len(SHARES) + 1))[:moves]:
            at.slider(key=f"sbx_{key}_{inp.name}").set_value(_value(inp, share))
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
            if at.exception:
                raise SystemExit(f"{key}: {at.exception[0].value}")
        rows.append({"model": key, "slider": inp.name, "data": _data(at, model, key),
                     "first": first, "median": statistics.median(times), "max": max(times),
                     "moves": times})  # fmt: skip
    return {"warmup": warmup, "rows": rows}


def measure(moves: int = 9, regenerate: bool = False) -> dict:
    """Build (or reuse) the warehouse, measure in a child process, print and save the table."""
    path = build(regenerate)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.sandbox_speed", str(path), str(moves)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode:
        raise SystemExit(f"measurement failed:\n{proc.stderr[-3000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(file=str(path), moves_per_model=moves)
    (OUT / "sandbox_speed.json").write_text(json.dumps(res, indent=2))
    report(res)
    return res


def report(res: dict) -> None:
    """Print first-render and slider-move server times against the target."""
    print(f"\nModel sandbox: {res['moves_per_model']} slider moves per model ({res['file']}); "
          f"process warm-up {res['warmup']:.2f} s")  # fmt: skip
    print(f"{'model':<22} {'slider':<18} {'first (uncached)':>16} {'move median':>12} "
          f"{'move max':>9}  target   result  data")  # fmt: skip
    for r in res["rows"]:
        ok = "PASS" if r["median"] < TARGET_S else "FAIL"
        print(f"{r['model']:<22} {r['slider']:<18} {r['first']:>14.3f} s {r['median']:>10.3f} s "
              f"{r['max']:>7.3f} s  < 0.3 s  {ok:<6}  {r['data']}")  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(measure_child(sys.argv[1], int(sys.argv[2]))))
