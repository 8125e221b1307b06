"""Write canonical readings into the test servers: points into InfluxDB, packets into S3."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from core.sources.base import ReadingsBlock


def _tag(value: str) -> str:
    """Escape a line-protocol tag value."""
    return value.replace("\\", "\\\\").replace(",", r"\,").replace(" ", r"\ ").replace("=", r"\=")


def write_influx(
    client, readings: pd.DataFrame, measurement="readings", tag="meter_id", field="value"
):
    """One point per row of ``readings`` (meter_id, ts naive UTC, value), line protocol."""
    secs = pd.to_datetime(readings["ts"]).to_numpy("datetime64[s]").astype(np.int64)
    lines = [
        f"{measurement},{tag}={_tag(m)} {field}={float(v)!r} {t}"
        for m, v, t in zip(readings["meter_id"], readings["value"], secs, strict=True)
    ]
    client.write_points(lines, time_precision="s", protocol="line", batch_size=50_000)


def packet(meter_id: str, ts, values) -> bytes:
    """A raw packet in the documented format."""
    stamps = pd.to_datetime(pd.Series(ts)).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(
        {
            "meter_id": meter_id,
            "readings": [{"ts": t, "value": float(v)} for t, v in zip(stamps, values, strict=True)],
        }
    ).encode()


def write_packets(s3, bucket: str, prefix: str, readings: pd.DataFrame) -> list[str]:
    """One packet per meter and UTC day under ``prefix/date=YYYY-MM-DD/``; returns the keys."""
    df = readings.assign(ts=pd.to_datetime(readings["ts"]))
    df["day"] = df["ts"].dt.strftime("%Y-%m-%d")
    bodies = {
        f"{prefix}/date={day}/{meter}-{day}.json": packet(meter, g["ts"], g["value"])
        for (meter, day), g in df.groupby(["meter_id", "day"], sort=True)
    }
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(lambda kv: s3.put_object(Bucket=bucket, Key=kv[0], Body=kv[1]), bodies.items())
        )
    return sorted(bodies)


def rows(block: ReadingsBlock) -> pd.DataFrame:
    """A block as a sorted frame, to compare two sources' blocks."""
    df = pd.DataFrame(
        {
            "meter_index": block.meter_index,
            "slot15": block.slot15,
            "value": block.value,
            "raw": block.raw,
        }
    )
    return df.sort_values(["raw", "meter_index", "slot15"]).reset_index(drop=True)
