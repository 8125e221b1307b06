"""Benchmark: import N readings rows from a DataFrame into an in-memory warehouse (not a test).

Run: ``.venv/bin/python -m bench.import_speed [rows] [--strings | --csv]``
(``--strings`` passes ``ts`` and ``value`` as text, the CSV-like slow path; ``--csv`` writes the
rows to a CSV file first and times ``import_files``). Prints the time of a first import and of
a re-import of the same rows (every row replaces a stored one).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # run as a script from anywhere

from core.db import open_warehouse  # noqa: E402
from core.ingest import import_files, import_frames  # noqa: E402


def frames(rows: int, as_strings: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fleet of 1,000 meters and ``rows`` 15-minute readings spread over them."""
    n_meters = 1000
    slots = -(-rows // n_meters)
    ids = np.array([f"m{i:05d}" for i in range(n_meters)])
    meters = pd.DataFrame(
        {
            "meter_id": ids,
            "building_id": [f"b{i // 10}" for i in range(n_meters)],
            "account_id": "a1",
            "kind": "electricity",
            "unit": "kWh",
        }
    )
    start = np.datetime64("2024-01-01T00:00:00", "us")
    ts = start + np.arange(slots).astype("timedelta64[m]") * 15
    readings = pd.DataFrame(
        {
            "meter_id": np.repeat(ids, slots)[:rows],
            "ts": np.tile(ts, n_meters)[:rows],
            "value": np.random.default_rng(1).random(rows),
            "source": "platform",
        }
    )
    if as_strings:
        readings["ts"] = readings["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S")
        readings["value"] = readings["value"].astype(str)
    return meters, readings


def main() -> None:
    """Time a first import and an overlapping re-import."""
    rows = int(next((a for a in sys.argv[1:] if a.isdigit()), 10_000_000))
    meters, readings = frames(rows, "--strings" in sys.argv)
    db = open_warehouse("duckdb:///:memory:")
    import_frames(db, meters=meters, label="bench")
    tmp = tempfile.TemporaryDirectory()
    csv_path = Path(tmp.name) / "readings.csv"
    if "--csv" in sys.argv:
        con = duckdb.connect()
        con.register("readings_frame", readings)
        con.execute(
            "COPY (SELECT meter_id, strftime(ts, '%Y-%m-%dT%H:%M:%S') AS ts, value, source "
            f"FROM readings_frame) TO '{csv_path}' (HEADER)"
        )
        con.close()
        print(f"CSV file: {csv_path.stat().st_size / 1e6:,.0f} MB")
    for attempt in ("first import", "re-import (replaces every row)"):
        started = time.perf_counter()
        if "--csv" in sys.argv:
            report = import_files(db, readings=csv_path)
        else:
            report = import_frames(db, readings=readings, label="bench")
        elapsed = time.perf_counter() - started
        stored = db.fetch_value("SELECT count(*) FROM readings")
        print(
            f"{attempt}: {rows:,} rows in {elapsed:.1f}s ({rows / elapsed:,.0f} rows/s); "
            f"loaded {report.rows_loaded:,}, stored {stored:,}"
        )
    db.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
