"""Raw readings from JSON packets in S3 under ``<prefix>/date=YYYY-MM-DD/``; bad packets skipped.

The packet format is a contract, documented in docs/sources.md::

    {"meter_id": "m-001", "readings": [{"ts": "2026-03-10T00:15:00Z", "value": 1.25}, ...]}
"""

from __future__ import annotations

import gzip
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from core import config
from core.errors import ConfigError
from core.sources.base import SourceError, SourceUnavailableError, redact

log = logging.getLogger(__name__)

_WORKERS = 16  # concurrent GETs: packets are small, so latency, not bandwidth, bounds a run
_SUFFIXES = (".json", ".json.gz")  # other keys in a partition (markers, temp files) are ignored
_MAX_REASON_CHARS = 400


@dataclass(frozen=True)
class _Packet:
    key: str
    meter_id: str = ""
    ts: list[str] | None = None
    value: list[float] | None = None
    error: str = ""


def parse_packet(key: str, body: bytes) -> _Packet:
    """Check one packet's shape and pull its columns out; a bad packet carries ``error``.

    Timestamps are parsed later, for all packets at once.
    """
    try:
        if key.endswith(".gz"):
            body = gzip.decompress(body)
        doc = json.loads(body)
    except (OSError, EOFError, ValueError) as exc:  # bad gzip, bad UTF-8, bad JSON
        return _Packet(key, error=f"not JSON: {exc}")
    if not isinstance(doc, dict):
        return _Packet(key, error=f"a packet is a JSON object, not {type(doc).__name__}")
    meter_id, readings = doc.get("meter_id"), doc.get("readings")
    if not isinstance(meter_id, str) or not meter_id:
        return _Packet(key, error="meter_id is missing or not a non-empty string")
    if not isinstance(readings, list):
        return _Packet(key, error="readings is missing or not a list")
    try:
        ts = [r["ts"] for r in readings]
        value = [r["value"] for r in readings]
    except (KeyError, TypeError):
        return _Packet(key, error="every reading needs ts and value")
    if not set(map(type, ts)) <= {str}:
        return _Packet(key, error="ts must be ISO-8601 strings")
    if not set(map(type, value)) <= {int, float}:  # bool and null are not readings
        return _Packet(key, error="value must be a number")
    return _Packet(key, meter_id=meter_id, ts=ts, value=value)


class S3RawSource:
    """The raw feed: JSON packets under ``s3://bucket/prefix/date=YYYY-MM-DD/``.

    The sync job (core.ingest.sync) lists the day partitions it has not finished, fetches only
    the packets it has not handled before (by key and etag, ``sync_objects``) and lands their
    readings in the warehouse.

    Parameters
    ----------
    url : str
        ``s3://bucket/prefix``.
    endpoint_url : str
        S3-compatible endpoint (moto, MinIO); empty = AWS. Credentials come from the standard
        boto3 chain (environment, ``~/.aws``, instance role), never from this URL.
    timeout : float
        Seconds each request may wait to connect and to read.
    retries : int
        Retries per request after a connection error, timeout, throttle or 5xx (botocore's
        ``standard`` mode, exponential backoff with jitter).
    """

    def __init__(
        self,
        url: str,
        endpoint_url: str,
        timeout: float,
        retries: int,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ConfigError(f"Setting DQ_S3_RAW_URL={url!r} must look like s3://bucket/prefix")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.endpoint_url = endpoint_url or None
        self.timeout = timeout
        self.retries = retries
        where = f" at {redact(endpoint_url)}" if endpoint_url else ""
        self.label = f"s3 s3://{self.bucket}/{self.prefix}{where}"
        self._client: Any = None

    @classmethod
    def from_settings(cls) -> S3RawSource:
        """The source described by ``DQ_S3_RAW_URL``, ``DQ_S3_ENDPOINT_URL``, ``DQ_SOURCE_*``."""
        url = config.get("DQ_S3_RAW_URL").strip()
        if not url:
            raise ConfigError("DQ_RAW_READINGS=s3 needs DQ_S3_RAW_URL")
        return cls(
            url,
            endpoint_url=config.get("DQ_S3_ENDPOINT_URL").strip(),
            timeout=config.get("DQ_SOURCE_TIMEOUT_SECONDS"),
            retries=config.get("DQ_SOURCE_RETRIES"),
        )

    def client(self) -> Any:
        """A boto3 S3 client with connect/read timeouts and bounded retries."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint_url,
                config=Config(
                    connect_timeout=self.timeout,
                    read_timeout=self.timeout,
                    retries={"total_max_attempts": 1 + self.retries, "mode": "standard"},
                    max_pool_connections=_WORKERS,
                ),
            )
        return self._client

    def partition(self, day: pd.Timestamp) -> str:
        """Key prefix of one UTC day's packets."""
        head = f"{self.prefix}/" if self.prefix else ""
        return f"{head}date={pd.Timestamp(day):%Y-%m-%d}/"

    def new_objects(
        self, days: list[pd.Timestamp], seen: dict[str, str]
    ) -> list[tuple[str, str, int]]:
        """``(key, etag, size)`` of the packets under ``days``' partitions not in ``seen``.

        ``seen`` maps a key already handled to its etag: a key is new when it is not there or
        its etag changed (the packet was rewritten). One listing per day partition.

        Raises
        ------
        SourceUnavailableError, SourceError
            As for every request of this source (see :meth:`_translate`).
        """
        self.client()  # one client, made before the workers share it (clients are thread-safe)
        with ThreadPoolExecutor(_WORKERS) as pool:
            listed = [o for objs in pool.map(self._list, days) for o in objs]
        return [o for o in listed if seen.get(o[0]) != o[1]]

    def fetch(self, keys: list[str]) -> tuple[pd.DataFrame, list[tuple[str, str]], dict[str, int]]:
        """Read and parse the packets at ``keys`` (in key order), concurrently.

        Returns
        -------
        rows : pd.DataFrame
            ``meter_id, ts, value`` of every good packet (ts naive UTC), in key order.
        bad : list of (key, reason)
            Malformed packets, skipped whole.
        counts : dict
            Readings per good packet key.
        """
        self.client()
        pool = ThreadPoolExecutor(_WORKERS)
        try:
            packets = list(pool.map(self._get, sorted(keys)))
        finally:  # after a failure, do not wait for (or start) the other requests
            pool.shutdown(wait=True, cancel_futures=True)
        bad = [(p.key, p.error) for p in packets if p.error]
        rows, bad_ts = _columns([p for p in packets if not p.error])
        bad += bad_ts
        skipped = {k for k, _ in bad}
        counts = {p.key: len(p.ts or ()) for p in packets if p.key not in skipped}
        log.info("%s: %d packets read, %d skipped", self.label, len(counts), len(bad))
        return rows, bad, counts

    def _list(self, day: pd.Timestamp) -> list[tuple[str, str, int]]:
        prefix = self.partition(day)
        found: list[tuple[str, str, int]] = []
        try:
            pages = self.client().get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
                found += [
                    (o["Key"], str(o.get("ETag", "")).strip('"'), int(o.get("Size", 0)))
                    for o in page.get("Contents", ())
                ]
        except Exception as exc:  # noqa: BLE001 - botocore's errors are sorted by _translate
            raise self._translate(exc, f"listing s3://{self.bucket}/{prefix}") from exc
        return sorted(o for o in found if o[0].endswith(_SUFFIXES))

    def _get(self, key: str) -> _Packet:
        from botocore.exceptions import ClientError

        try:
            body = self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return _Packet(key, error="deleted between listing and reading")
            raise self._translate(exc, f"reading s3://{self.bucket}/{key}") from exc
        except Exception as exc:  # noqa: BLE001 - botocore's errors are sorted by _translate
            raise self._translate(exc, f"reading s3://{self.bucket}/{key}") from exc
        return parse_packet(key, body)

    def _translate(self, exc: Exception, doing: str) -> Exception:
        """``SourceUnavailableError`` when S3 is unreachable, ``SourceError`` when it refuses.

        Anything else (a bug) is returned unchanged, to be raised as it is.
        """
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
        )

        if isinstance(exc, NoCredentialsError):
            return SourceError(
                f"{self.label}: no AWS credentials (standard boto3 chain: AWS_* environment, "
                "~/.aws, instance role)"
            )
        if isinstance(exc, ConnectionError | HTTPClientError) or (
            isinstance(exc, ClientError) and _status(exc) >= 500
        ):
            reason = (
                f"{doing}: {type(exc).__name__} after {1 + self.retries} attempt(s) "
                f"(timeout {self.timeout:g}s each): {exc}"
            )
            return SourceUnavailableError(self.label, reason[:_MAX_REASON_CHARS])
        if isinstance(exc, ClientError | BotoCoreError):
            return SourceError(f"{self.label}: {doing}: {exc}"[:_MAX_REASON_CHARS])
        return exc


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: Any) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _columns(packets: list[_Packet]) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Parse every packet's timestamps at once; a packet with a bad one is skipped whole.

    Packets are in key order, so where two packets hold the same reading the later key's row
    comes last (the import keeps the last line of a slot).
    """
    sizes = np.array([len(p.ts or ()) for p in packets], dtype=np.int64)
    which = np.repeat(np.arange(len(packets)), sizes)
    ts = pd.to_datetime(
        pd.Series([t for p in packets for t in p.ts or ()], dtype=object),
        format="ISO8601",
        utc=True,
        errors="coerce",
    )
    bad_rows = ts.isna().to_numpy()
    bad = [(packets[i].key, "ts is not an ISO-8601 timestamp") for i in np.unique(which[bad_rows])]
    keep = ~np.isin(which, which[bad_rows])
    meter = np.array([p.meter_id for p in packets], dtype=object)
    value = np.array([v for p in packets for v in p.value or ()], dtype=np.float64)
    rows = pd.DataFrame(
        {
            "meter_id": meter[which[keep]],
            "ts": ts[keep].dt.tz_localize(None).astype("datetime64[us]").to_numpy(),
            "value": value[keep],
        }
    )
    return rows, bad
