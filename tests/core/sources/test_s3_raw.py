"""S3RawSource against a moto S3 server: partitions, packet parsing, malformed packets, outages."""

from __future__ import annotations

import gzip
import json
import time

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from core.sources.base import SourceError, SourceUnavailableError
from core.sources.s3_raw import S3RawSource, parse_packet
from tests.core.sources.feeds import packet, rows, write_packets

START = pd.Timestamp("2026-03-01")
END = pd.Timestamp("2026-03-03")


def _source(bucket, endpoint, report=None, prefix="raw", timeout=5, retries=1):
    report = report if report is not None else (lambda unit, reason: None)
    return S3RawSource(f"s3://{bucket}/{prefix}", endpoint, timeout, retries, report)


def _readings():
    ts = pd.date_range(
        START - pd.Timedelta(days=1), END + pd.Timedelta(days=1), freq="15min", inclusive="left"
    )
    return pd.concat(
        [
            pd.DataFrame({"meter_id": m, "ts": ts, "value": np.arange(len(ts)) * k})
            for m, k in (("a", 1.0), ("b", 0.5), ("zz", 2.0))
        ],
        ignore_index=True,
    )


def test_round_trip_reads_the_window_partitions(s3_bucket, moto_server):
    s3, bucket = s3_bucket
    readings = _readings()
    write_packets(s3, bucket, "raw", readings)
    s3.put_object(Bucket=bucket, Key="raw/date=2026-03-01/_SUCCESS", Body=b"")  # not a packet
    ids = np.array(["a", "b", "c"], dtype=object)

    block = _source(bucket, moto_server).load(ids, START, END)

    inside = readings[(readings.ts >= START) & (readings.ts < END) & readings.meter_id.isin(ids)]
    want = (
        pd.DataFrame(
            {
                "meter_index": inside.meter_id.map({"a": 0, "b": 1}).astype(np.int32),
                "slot15": ((inside.ts - START) // pd.Timedelta(minutes=15)).astype(np.int64),
                "value": inside.value.astype(float),
                "raw": True,
            }
        )
        .sort_values(["raw", "meter_index", "slot15"])
        .reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(rows(block), want)


def test_the_window_is_read_once_and_shared_by_chunks(s3_bucket, moto_server):
    s3, bucket = s3_bucket
    write_packets(s3, bucket, "raw", _readings())
    src = _source(bucket, moto_server)
    calls = []
    src.client().meta.events.register("before-send.s3", lambda **kw: calls.append(1))
    first = src.load(np.array(["a"], dtype=object), START, END)
    n = len(calls)
    second = src.load(np.array(["b", "zz"], dtype=object), START, END)
    assert len(calls) == n and len(first) == 192 and len(second) == 2 * 192
    assert set(second.meter_index) == {0, 1}


def test_malformed_packets_are_reported_with_their_key_and_skipped(s3_bucket, moto_server):
    s3, bucket = s3_bucket
    good_ts = pd.date_range(START, periods=4, freq="15min")
    day = "raw/date=2026-03-01"
    bodies = {
        f"{day}/good.json": packet("a", good_ts, [1, 2, 3, 4]),
        f"{day}/good.json.gz": gzip.compress(packet("b", good_ts, [5, 6, 7, 8])),
        f"{day}/not-json.json": b'{"meter_id": "a", "readings": [',
        f"{day}/list.json": b"[1, 2]",
        f"{day}/no-meter.json": json.dumps({"readings": []}).encode(),
        f"{day}/bad-ts.json": json.dumps(
            {
                "meter_id": "a",
                "readings": [
                    {"ts": "2026-03-01T01:00:00Z", "value": 9},
                    {"ts": "yesterday", "value": 9},
                ],
            }
        ).encode(),
        f"{day}/text-value.json": json.dumps(
            {"meter_id": "a", "readings": [{"ts": "2026-03-01T02:00:00Z", "value": "9"}]}
        ).encode(),
        f"{day}/null-value.json": json.dumps(
            {"meter_id": "a", "readings": [{"ts": "2026-03-01T02:00:00Z", "value": None}]}
        ).encode(),
        f"{day}/no-ts.json": json.dumps({"meter_id": "a", "readings": [{"value": 1}]}).encode(),
        f"{day}/bad.json.gz": b"not gzip",
    }
    for key, body in bodies.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    reported = []

    block = _source(bucket, moto_server, report=lambda u, r: reported.append((u, r))).load(
        np.array(["a", "b"], dtype=object), START, END
    )

    bad = {k for k in bodies if "good" not in k}
    assert {u for u, _ in reported} == {f"s3://{bucket}/{k}" for k in bad}
    assert all(r.startswith("malformed raw packet skipped: ") for _, r in reported)
    reasons = dict(reported)
    assert "not an ISO-8601" in reasons[f"s3://{bucket}/{day}/bad-ts.json"]
    assert "value must be a number" in reasons[f"s3://{bucket}/{day}/text-value.json"]
    # only the two good packets' readings, the bad-ts packet's good reading included nowhere
    assert sorted(block.value) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_parse_packet_accepts_offsets_and_ints():
    p = parse_packet(
        "k.json",
        b'{"meter_id": "m", "readings": [{"ts": "2026-03-01T01:00:00+01:00", "value": 3}]}',
    )
    assert not p.error and p.value == [3] and p.ts == ["2026-03-01T01:00:00+01:00"]


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="DQ_S3_RAW_URL"):
        S3RawSource("https://bucket/raw", "", 1, 0, print)


def test_missing_bucket_is_refused(s3_bucket, moto_server):
    with pytest.raises(SourceError, match="NoSuchBucket") as info:
        _source("no-such-bucket-x", moto_server).load(np.array(["a"], dtype=object), START, END)
    assert not isinstance(info.value, SourceUnavailableError)


def test_closed_port_is_unavailable_and_not_retried_per_chunk(aws_env, closed_port):
    src = _source("b", f"http://127.0.0.1:{closed_port}", timeout=0.5, retries=1)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="after 2 attempt") as info:
        src.load(np.array(["a"], dtype=object), START, END)
    assert f"s3 s3://b/raw at http://127.0.0.1:{closed_port}" == info.value.source
    first = time.monotonic() - started
    with pytest.raises(SourceUnavailableError):  # the next chunk: the same answer, no new wait
        src.load(np.array(["b"], dtype=object), START, END)
    assert time.monotonic() - started - first < 0.1
    assert first < 5


def test_a_hung_endpoint_times_out(aws_env, silent_server):
    src = _source("b", f"http://{silent_server}", timeout=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="Timeout"):
        src.load(np.array(["a"], dtype=object), START, END)
    assert time.monotonic() - started < 5


def test_a_later_packet_wins_a_slot(s3_bucket, moto_server):
    s3, bucket = s3_bucket
    ts = pd.date_range(START, periods=2, freq="15min")
    s3.put_object(Bucket=bucket, Key="raw/date=2026-03-01/a-1.json", Body=packet("a", ts, [1, 2]))
    s3.put_object(Bucket=bucket, Key="raw/date=2026-03-01/a-2.json", Body=packet("a", ts[1:], [9]))
    block = _source(bucket, moto_server).load(np.array(["a"], dtype=object), START, END)
    assert sorted(zip(block.slot15, block.value, strict=True)) == [(0, 1.0), (1, 9.0)]
