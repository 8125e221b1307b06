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
from core.sources.base import (
    ReadingsBlock,
    Reporter,
    SourceError,
    SourceUnavailableError,
    block_from_arrays,
    last_per_slot,
    positions,
    redact,
)

log = logging.getLogger(__name__)

_WORKERS = 16  # concurrent GETs: packets are small, so latency, not bandwidth, bounds a run
_SUFFIXES = (".json", ".json.gz")  # other keys in a partition (markers, temp files) are ignored
_MAX_REASON_CHARS = 400


@dataclass(frozen=True)
class _Window:
    """Every raw reading of the window: one row per reading, meters as category codes."""

    categories: np.ndarray  # distinct meter ids (object)
    codes: np.ndarray  # index into categories per reading (int64)
    epoch_s: np.ndarray
    value: np.ndarray


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

    The whole window is read on the first ``load`` of a run and kept as flat arrays; each
    chunk of meters then selects its rows, so the partitions are listed and read once.

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
    report : callable
        ``report(s3 url of the packet, reason)`` for each skipped packet (``Run.fail_unit``).
    """

    def __init__(
        self,
        url: str,
        endpoint_url: str,
        timeout: float,
        retries: int,
        report: Reporter,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ConfigError(f"Setting DQ_S3_RAW_URL={url!r} must look like s3://bucket/prefix")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.endpoint_url = endpoint_url or None
        self.timeout = timeout
        self.retries = retries
        self.report = report
        where = f" at {redact(endpoint_url)}" if endpoint_url else ""
        self.label = f"s3 s3://{self.bucket}/{self.prefix}{where}"
        self._cache: tuple[tuple[pd.Timestamp, pd.Timestamp], _Window | SourceError] | None = None
        self._client: Any = None

    @classmethod
    def from_settings(cls, report: Reporter) -> S3RawSource:
        """The source described by ``DQ_S3_RAW_URL``, ``DQ_S3_ENDPOINT_URL``, ``DQ_SOURCE_*``."""
        url = config.get("DQ_S3_RAW_URL").strip()
        if not url:
            raise ConfigError("DQ_RAW_READINGS=s3 needs DQ_S3_RAW_URL")
        return cls(
            url,
            endpoint_url=config.get("DQ_S3_ENDPOINT_URL").strip(),
            timeout=config.get("DQ_SOURCE_TIMEOUT_SECONDS"),
            retries=config.get("DQ_SOURCE_RETRIES"),
            report=report,
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

    def load(self, meter_ids: np.ndarray, start: pd.Timestamp, end: pd.Timestamp) -> ReadingsBlock:
        """Raw readings of ``meter_ids`` in ``[start, end)`` (raw = True).

        Raises
        ------
        SourceUnavailableError
            When S3 cannot be reached after the retries (raised again, without new requests,
            for every later chunk of the same window).
        SourceError
            When S3 refuses (no credentials, access denied, no such bucket).
        """
        window = self._window(start, end)
        rows = positions(meter_ids, window.categories)
        return block_from_arrays(
            rows[window.codes] if len(rows) else np.empty(0, dtype=np.int64),
            window.epoch_s,
            window.value,
            start,
            end,
            raw=True,
        )

    def _window(self, start: pd.Timestamp, end: pd.Timestamp) -> _Window:
        key = (pd.Timestamp(start), pd.Timestamp(end))
        if self._cache is None or self._cache[0] != key:
            try:
                self._cache = (key, self._read(*key))
            except SourceError as exc:
                self._cache = (key, exc)
        found = self._cache[1]
        if isinstance(found, SourceError):
            raise found
        return found

    def _read(self, start: pd.Timestamp, end: pd.Timestamp) -> _Window:
        days = pd.date_range(start.normalize(), (end - pd.Timedelta(1)).normalize(), freq="D")
        self.client()  # one client, made before the workers share it (clients are thread-safe)
        pool = ThreadPoolExecutor(_WORKERS)
        try:
            keys = [k for listed in pool.map(self._list, days) for k in listed]
            packets = list(pool.map(self._get, keys))
        finally:  # after a failure, do not wait for (or start) the other requests
            pool.shutdown(wait=True, cancel_futures=True)
        good = []
        for p in packets:
            if p.error:
                self._skip(p.key, p.error)
            else:
                good.append(p)
        log.info("%s: %d packets read, %d skipped", self.label, len(good), len(packets) - len(good))
        return self._columns(good)

    def _columns(self, packets: list[_Packet]) -> _Window:
        """Parse every packet's timestamps at once; a packet with a bad one is skipped whole."""
        sizes = np.array([len(p.ts or ()) for p in packets], dtype=np.int64)
        which = np.repeat(np.arange(len(packets)), sizes)
        ts = pd.to_datetime(
            pd.Series([t for p in packets for t in p.ts or ()], dtype=object),
            format="ISO8601",
            utc=True,
            errors="coerce",
        )
        bad = ts.isna().to_numpy()
        for i in np.unique(which[bad]):
            self._skip(packets[i].key, "ts is not an ISO-8601 timestamp")
        keep = ~np.isin(which, which[bad])
        epoch_s = np.zeros(len(ts), dtype=np.int64)
        epoch_s[~bad] = ts[~bad].dt.tz_localize(None).to_numpy("datetime64[s]").astype(np.int64)
        value = np.array([v for p in packets for v in p.value or ()], dtype=np.float64)
        codes, categories = pd.factorize(
            pd.Series([p.meter_id for p in packets], dtype=object), sort=False
        )
        codes = np.asarray(codes, dtype=np.int64)[which[keep]]
        epoch_s, value = epoch_s[keep], value[keep]
        last = last_per_slot(codes, epoch_s)  # packets are in key order: a later key wins
        return _Window(
            categories=np.asarray(categories, dtype=object),
            codes=codes[last],
            epoch_s=epoch_s[last],
            value=value[last],
        )

    def _skip(self, key: str, reason: str) -> None:
        url = f"s3://{self.bucket}/{key}"
        log.warning("%s: skipped: %s", url, reason)
        self.report(url, f"malformed raw packet skipped: {reason}"[:_MAX_REASON_CHARS])

    def _list(self, day: pd.Timestamp) -> list[str]:
        prefix = self.partition(day)
        keys: list[str] = []
        try:
            pages = self.client().get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
                keys += [o["Key"] for o in page.get("Contents", ())]
        except Exception as exc:  # noqa: BLE001 - botocore's errors are sorted by _translate
            raise self._translate(exc, f"listing s3://{self.bucket}/{prefix}") from exc
        return sorted(k for k in keys if k.endswith(_SUFFIXES))

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
