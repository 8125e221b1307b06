"""Benchmark: the sync job landing one day of readings from InfluxDB and from S3 packets.

``python -m bench sync [--meters N]`` starts a throwaway influxd and a moto S3 server on
127.0.0.1, writes one UTC day of 15-minute readings of N meters (default 10,000: 960,000
readings) as InfluxDB points and as one raw packet per meter, then times in one process:

- ``influxdb``: the first sync of the day (``--since`` the day) into an embedded DuckDB
  warehouse holding the meters;
- ``influxdb again``: the next sync, as the worker runs it (from the last sync's end minus the
  lookback: the same day read again, everything unchanged, nothing written);
- ``s3``: the first sync of the packets (``--since`` the day: one listing, N GETs);
- ``s3 again``: the next sync (three day partitions listed, no GET: every key is in
  ``sync_objects``; ``--since`` would read them all again).

Readings landed per second = readings written / wall time of the sync. Not a test.
"""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import ExitStack
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

DAY = date(2026, 3, 10)
BUCKET, PREFIX = "bench-raw", "raw"


def _fleet(meters: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = np.array([f"m{i:06d}" for i in range(meters)], dtype=object)
    fleet = pd.DataFrame(
        {
            "meter_id": ids,
            "building_id": [f"b{i // 4}" for i in range(meters)],
            "account_id": "1",
            "kind": "electricity",
            "unit": "kWh",
        }
    )
    ts = pd.date_range(pd.Timestamp(DAY), periods=96, freq="15min")
    rng = np.random.default_rng(7)
    readings = pd.DataFrame(
        {
            "meter_id": np.repeat(ids, len(ts)),
            "ts": np.tile(ts.to_numpy(), meters),
            "value": rng.gamma(2.0, 1.0, meters * len(ts)).round(3),
        }
    )
    return fleet, readings


def _timed(label: str, fn) -> tuple[float, object]:  # noqa: ANN001 - a no-argument callable
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s", flush=True)
    return seconds, result


def measure(meters: int = 10_000) -> dict[str, float]:
    """Run the benchmark (see the module docstring); print and return the figures."""
    import boto3
    from influxdb import InfluxDBClient

    from core.db import open_warehouse
    from core.ingest import import_frames, sync
    from tests.core.sources.feeds import write_influx, write_packets
    from tests.servers import AWS_TEST_ENV, influxd, moto_s3

    fleet, readings = _fleet(meters)
    out: dict[str, float] = {"meters": meters, "readings": len(readings)}
    print(f"sync: {meters} meters x 1 day = {len(readings):,} readings", flush=True)
    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dqhub-bench-sync-")))
        influx_url = stack.enter_context(influxd(home / "influxd"))
        s3_url = stack.enter_context(moto_s3())
        os.environ.update(AWS_TEST_ENV)
        client = InfluxDBClient(host="127.0.0.1", port=int(influx_url.rsplit(":", 1)[1]))
        client.create_database("platform")
        client.switch_database("platform")
        _timed("write InfluxDB points", lambda: write_influx(client, readings))
        s3 = boto3.client("s3", endpoint_url=s3_url)
        s3.create_bucket(Bucket=BUCKET)
        _timed("write S3 packets", lambda: write_packets(s3, BUCKET, PREFIX, readings))
        now = datetime.combine(DAY, datetime.min.time()) + pd.Timedelta(days=1, hours=1)
        env = {
            "DQ_INFLUX_URL": f"{influx_url}/platform",
            "DQ_S3_RAW_URL": f"s3://{BUCKET}/{PREFIX}",
            "DQ_S3_ENDPOINT_URL": s3_url,
            "DQ_PLATFORM_DB_URL": "",
        }
        os.environ.update(env)
        db = open_warehouse(f"duckdb:///{home / 'warehouse.duckdb'}")
        import_frames(db, meters=fleet, label="bench")
        for step, feeds in (("influxdb", ("influxdb", "none")), ("s3", ("embedded", "s3"))):
            os.environ["DQ_PLATFORM_READINGS"], os.environ["DQ_RAW_READINGS"] = feeds
            for label, since in ((step, DAY), (f"{step} again", None)):
                seconds, summary = _timed(
                    label,
                    lambda: sync.run(db, since=since, now=now),  # noqa: B023
                )
                out[f"{label} s"] = round(seconds, 2)
                out[f"{label} written"] = summary.readings_changed
                out[f"{label} readings/s"] = round(len(readings) / seconds)
                assert summary.status == "ok", summary.failures
        got = db.fetch_value("SELECT count(*) FROM readings")
        out["landed"] = got
    print(
        f"sync: influxdb {out['influxdb readings/s']:,.0f} readings/s "
        f"({out['influxdb s']} s; rerun {out['influxdb again s']} s, "
        f"{out['influxdb again written']} written); s3 {out['s3 readings/s']:,.0f} readings/s "
        f"({out['s3 s']} s; rerun {out['s3 again s']} s, {out['s3 again written']} written); "
        f"{out['landed']:,} rows in readings",
        flush=True,
    )
    return out
