"""S3RawSource against a moto S3 server: listing new packets, parsing them, malformed ones, outages."""

from __future__ import annotations

import gzip
import json
import time

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from core.ingest import import_frames
from core.sources.base import SourceError, SourceUnavailableError
from core.sources.s3_raw import S3RawSource, parse_packet
from tests.core.sources.feeds import packet, write_packets

START = pd.Timestamp("2026-03-01")
DAYS = list(pd.date_range(START, periods=2))  # 2026-03-01 and 2026-03-02


def _source(bucket, endpoint, prefix="raw", timeout=5, retries=1):
    return S3RawSource(f"s3://{bucket}/{prefix}", endpoint, timeout, retries)


def _readings():
    ts = pd.date_range(
        START - pd.Timedelta(days=1), START + pd.Timedelta(days=3), freq="15min", inclusive="left"
    )
    return pd.concat(
        [
            pd.DataFrame({"meter_id": m, "ts": ts, "value": np.arange(len(ts)) * k})
            for m, k in (("a", 1.0), ("b", 0.5), ("zz", 2.0))
        ],
        ignore_index=True,
    )


def _count_calls(src):
    """``{operation: [params, ...]}`` of every S3 call the source makes from now on."""
    calls: dict[str, list[dict]] = {}

    def record(params, model, **_):
        calls.setdefault(model.name, []).append(dict(params))

    src.client().meta.events.register("before-parameter-build.s3", record)
    return calls


def test_new_objects_lists_the_day_partitions_once_each(s3_bucket, moto_server):
    s3, bucket = s3_bucket
    keys = write_packets(s3, bucket, "raw", _readings())
    s3.put_object(Bucket=bucket, Key="raw/date=2026-03-01/_SUCCESS", Body=b"")  # not a packet
    s3.put_object(Bucket=bucket, Key="other/date=2026-03-01/a.json", Body=b"{}")  # not the prefix
    src = _source(bucket, moto_server)
    calls = _count_calls(src)

    new = src.new_objects(DAYS, {})

    in_days = [k for k in keys if "2026-03-01" in k or "2026-03-02" in k]
    assert [key for key, _, _ in new] == in_days and len(in_days) == 6
    assert all(etag and size > 0 for _, etag, size in new)
    prefixes = sorted(p["Prefix"] for p in calls["ListObjectsV2"])
    assert prefixes == ["raw/date=2026-03-01/", "raw/date=2026-03-02/"]
    assert "GetObject" not in calls  # listing reads no packet


def test_new_objects_skips_keys_seen_with_the_same_etag(s3_bucket, moto_server):
    s3, bucket = s3_bucket
    write_packets(s3, bucket, "raw", _readings())
    src = _source(bucket, moto_server)
    first = src.new_objects(DAYS, {})
    seen = {key: etag for key, etag, _ in first}
    assert src.new_objects(DAYS, seen) == []

    rewritten = first[0][0]
    s3.put_object(Bucket=bucket, Key=rewritten, Body=packet("a", [START], [42]))
    assert [key for key, _, _ in src.new_objects(DAYS, seen)] == [rewritten]


def test_fetch_reads_the_packets_rows_in_key_order(s3_bucket, moto_server):
    s3, bucket = s3_bucket
    readings = _readings()
    keys = write_packets(s3, bucket, "raw", readings)
    wanted = [k for k in keys if "2026-03-01" in k]
    src = _source(bucket, moto_server)
    calls = _count_calls(src)

    rows, bad, counts = src.fetch(list(reversed(wanted)))

    assert bad == [] and counts == dict.fromkeys(wanted, 96)
    assert sorted(p["Key"] for p in calls["GetObject"]) == wanted  # one GET per key, no listing
    assert "ListObjectsV2" not in calls
    day = readings[readings.ts.dt.date == START.date()].reset_index(drop=True)
    assert list(rows.columns) == ["meter_id", "ts", "value"]
    assert rows["ts"].dt.tz is None
    pd.testing.assert_frame_equal(rows, day, check_dtype=False)  # by key: a, b, zz


def test_fetch_of_nothing_is_empty(s3_bucket, moto_server):
    _, bucket = s3_bucket
    rows, bad, counts = _source(bucket, moto_server).fetch([])
    assert rows.empty and bad == [] and counts == {}
    assert list(rows.columns) == ["meter_id", "ts", "value"]


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
    src = _source(bucket, moto_server)

    rows, bad, counts = src.fetch([key for key, _, _ in src.new_objects(DAYS[:1], {})])

    malformed = {k for k in bodies if "good" not in k}
    assert {key for key, _ in bad} == malformed and len(bad) == len(malformed)  # once each
    reasons = dict(bad)
    assert "not an ISO-8601" in reasons[f"{day}/bad-ts.json"]
    assert "value must be a number" in reasons[f"{day}/text-value.json"]
    assert "value must be a number" in reasons[f"{day}/null-value.json"]
    assert "needs ts and value" in reasons[f"{day}/no-ts.json"]
    assert reasons[f"{day}/not-json.json"].startswith("not JSON")
    assert counts == {f"{day}/good.json": 4, f"{day}/good.json.gz": 4}
    # only the two good packets' readings: the bad-ts packet's good reading is dropped with it
    assert sorted(rows.value) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_packet_deleted_after_listing_is_reported_not_raised(s3_bucket, moto_server):
    s3, bucket = s3_bucket
    key = "raw/date=2026-03-01/a.json"
    s3.put_object(Bucket=bucket, Key=key, Body=packet("a", [START], [1]))
    src = _source(bucket, moto_server)
    [(listed, _, _)] = src.new_objects(DAYS[:1], {})
    s3.delete_object(Bucket=bucket, Key=key)
    rows, bad, counts = src.fetch([listed])
    assert rows.empty and counts == {}
    assert bad == [(key, "deleted between listing and reading")]


def test_parse_packet_accepts_offsets_and_ints():
    p = parse_packet(
        "k.json",
        b'{"meter_id": "m", "readings": [{"ts": "2026-03-01T01:00:00+01:00", "value": 3}]}',
    )
    assert not p.error and p.value == [3] and p.ts == ["2026-03-01T01:00:00+01:00"]


def test_offsets_arrive_as_naive_utc(s3_bucket, moto_server):
    s3, bucket = s3_bucket
    body = b'{"meter_id": "m", "readings": [{"ts": "2026-03-01T01:00:00+01:00", "value": 3}]}'
    s3.put_object(Bucket=bucket, Key="raw/date=2026-03-01/m.json", Body=body)
    rows, _, _ = _source(bucket, moto_server).fetch(["raw/date=2026-03-01/m.json"])
    assert list(rows.ts) == [START]


def test_the_url_setting_is_checked():
    with pytest.raises(ConfigError, match="DQ_S3_RAW_URL='https://bucket/raw'"):
        S3RawSource("https://bucket/raw", "", 1, 0)
    src = S3RawSource("s3://bucket/a/b/", "http://u:pw@minio:9000", 1, 0)
    assert (src.bucket, src.prefix) == ("bucket", "a/b")
    assert src.partition(START) == "a/b/date=2026-03-01/"
    assert src.label == "s3 s3://bucket/a/b at http://u:***@minio:9000"
    assert S3RawSource("s3://bucket", "", 1, 0).partition(START) == "date=2026-03-01/"


def test_missing_bucket_is_refused(s3_bucket, moto_server):
    with pytest.raises(SourceError, match="NoSuchBucket") as info:
        _source("no-such-bucket-x", moto_server).new_objects(DAYS, {})
    assert not isinstance(info.value, SourceUnavailableError)


def test_closed_port_is_unavailable_after_bounded_retries(aws_env, closed_port):
    src = _source("b", f"http://127.0.0.1:{closed_port}", timeout=0.5, retries=1)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="after 2 attempt") as info:
        src.new_objects(DAYS, {})
    assert f"s3 s3://b/raw at http://127.0.0.1:{closed_port}" == info.value.source
    with pytest.raises(SourceUnavailableError, match="reading s3://b/raw/date=2026-03-01/a.json"):
        src.fetch(["raw/date=2026-03-01/a.json"])
    assert time.monotonic() - started < 10


def test_a_hung_endpoint_times_out(aws_env, silent_server):
    src = _source("b", f"http://{silent_server}", timeout=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="Timeout"):
        src.new_objects(DAYS[:1], {})
    with pytest.raises(SourceUnavailableError, match="Timeout"):
        src.fetch(["raw/date=2026-03-01/a.json"])
    assert time.monotonic() - started < 6


def test_a_later_packet_wins_a_slot_when_landed(s3_bucket, moto_server, fresh_db):
    """Two packets hold one slot: rows come in key order and the import keeps the last row."""
    s3, bucket = s3_bucket
    ts = pd.date_range(START, periods=2, freq="15min")
    s3.put_object(Bucket=bucket, Key="raw/date=2026-03-01/a-2.json", Body=packet("a", ts[1:], [9]))
    s3.put_object(Bucket=bucket, Key="raw/date=2026-03-01/a-1.json", Body=packet("a", ts, [1, 2]))
    src = _source(bucket, moto_server)
    rows, _, _ = src.fetch([key for key, _, _ in src.new_objects(DAYS[:1], {})])
    assert list(rows.value) == [1, 2, 9]
    meter = {"building_id": "b", "account_id": "a", "kind": "electricity", "unit": "kWh"}
    import_frames(fresh_db, meters=pd.DataFrame([{"meter_id": "a", **meter}]))
    report = import_frames(fresh_db, readings=rows.assign(source="raw"), origin="s3")
    stored = fresh_db.fetch_df("SELECT ts, value, source FROM readings ORDER BY ts")
    assert list(stored.value) == [1, 9] and set(stored.source) == {"raw"}
    assert report.file("readings").conflicting_duplicates == 1
