"""The scan floor: read a readings window out of DuckDB into numpy, nothing else.

Run as ``python -m bench.scan PATH START END`` (a subprocess, like the job); prints one JSON
line with the rows read and the in-process seconds. Rows are streamed in Arrow record batches
and their ``ts`` and ``value`` columns converted to numpy; ``meter_id`` stays an Arrow string
column (turning 28M ids into Python strings would measure Python, not the scan, and needs
gigabytes). Memory stays bounded by one batch.
"""

from __future__ import annotations

import json
import sys
import time

import duckdb

SQL = "SELECT meter_id, ts, value FROM readings WHERE ts >= ? AND ts < ?"


def scan(path: str, start: str, end: str) -> dict:
    """Stream the window and return ``{"rows": n, "seconds": s, "checksum": sum(value)}``."""
    t0 = time.perf_counter()
    con = duckdb.connect(path, read_only=True)
    rows, checksum = 0, 0.0
    try:
        con.execute("SET enable_progress_bar = false")
        reader = con.sql(SQL, params=[start, end]).to_arrow_reader(1 << 20)
        for batch in reader:
            ts = batch.column(1).cast("int64").to_numpy()
            value = batch.column(2).to_numpy()
            rows += len(ts)
            checksum += float(value.sum())
            _ = batch.column(0).nbytes  # the ids were decoded into the batch
    finally:
        con.close()
    return {"rows": rows, "seconds": time.perf_counter() - t0, "checksum": checksum}


if __name__ == "__main__":
    print(json.dumps(scan(*sys.argv[1:4])))
