"""Platform readings from an InfluxDB 1.x server: one bound-parameter query per chunk of meters.

Read by the sync job (core.ingest.sync), which lands them in the warehouse's ``readings``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import numpy as np
import pandas as pd

from core import config
from core.errors import ConfigError
from core.sources.base import SourceError, SourceUnavailableError, redact

log = logging.getLogger(__name__)

_CHUNK_POINTS = 10_000  # points per streamed response chunk: bounds memory, not round trips
_FIRST_BACKOFF_S = 0.5  # pause before the first retry; doubles per attempt
_MAX_BACKOFF_S = 8.0
_MAX_REASON_CHARS = 400  # a requests error repeats the URL; keep run records readable

# Identifiers come from settings and are quoted; every value is a bound parameter ($name).
QUERY = (
    "SELECT {field} FROM {measurement} "
    "WHERE {tag} =~ $meters AND time >= $start AND time < $end GROUP BY {tag}"
)
_HEADERS = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}


def quote_ident(name: str) -> str:
    """An InfluxQL double-quoted identifier (a measurement, tag or field name from settings)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def meters_regex(meter_ids: np.ndarray) -> str:
    r"""An anchored RE2 alternation matching exactly ``meter_ids``.

    Every character but ASCII letters, digits and ``_`` is written as ``\x{HEX}``, so no id
    can change the pattern; it is sent as a bound parameter, never spliced into the query.
    """

    def lit(meter_id: str) -> str:
        return "".join(
            c if c.isascii() and (c.isalnum() or c == "_") else f"\\x{{{ord(c):X}}}"
            for c in meter_id
        )

    return "^(?:" + "|".join(lit(str(m)) for m in meter_ids) + ")$"


def _rfc3339(ts: pd.Timestamp) -> str:
    ts = pd.Timestamp(ts)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


class InfluxSource:
    """Platform readings in an InfluxDB 1.x measurement.

    One point per reading: the meter id in tag ``meter_tag``, the consumption in field
    ``value_field``, the interval start as the point's time.

    Parameters
    ----------
    url : str
        ``http[s]://[user:password@]host[:port][/path]/database``.
    measurement, meter_tag, value_field : str
        Where the readings live (quoted as identifiers).
    timeout : float
        Seconds each HTTP request may wait to connect and between bytes of the answer.
    retries : int
        Retries of a chunk's query after a connection error, timeout or 5xx (with backoff).
    """

    def __init__(
        self,
        url: str,
        measurement: str,
        meter_tag: str,
        value_field: str,
        timeout: float,
        retries: int,
    ) -> None:
        self.url = url
        self.label = f"influxdb {redact(url)}"
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if parts.scheme not in ("http", "https") or not parts.hostname or not segments:
            raise ConfigError(
                f"Setting DQ_INFLUX_URL={redact(url)!r} must look like "
                "http[s]://[user:password@]host:8086/database"
            )
        self._connect = {
            "host": parts.hostname,
            "port": parts.port or 8086,
            "username": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "database": unquote(segments[-1]),
            "ssl": parts.scheme == "https",
            "verify_ssl": parts.scheme == "https",
            "path": "/".join(segments[:-1]),
        }
        self.database = self._connect["database"]
        self.measurement = measurement
        self.meter_tag = meter_tag
        self.value_field = value_field
        self.timeout = timeout
        self.retries = retries
        self.query = QUERY.format(
            field=quote_ident(value_field),
            measurement=quote_ident(measurement),
            tag=quote_ident(meter_tag),
        )
        self._client: Any = None

    @classmethod
    def from_settings(cls) -> InfluxSource:
        """The source described by the ``DQ_INFLUX_*`` and ``DQ_SOURCE_*`` settings."""
        url = config.get("DQ_INFLUX_URL").strip()
        if not url:
            raise ConfigError("DQ_PLATFORM_READINGS=influxdb needs DQ_INFLUX_URL")
        return cls(
            url,
            measurement=config.get("DQ_INFLUX_MEASUREMENT"),
            meter_tag=config.get("DQ_INFLUX_METER_TAG"),
            value_field=config.get("DQ_INFLUX_VALUE_FIELD"),
            timeout=config.get("DQ_SOURCE_TIMEOUT_SECONDS"),
            retries=config.get("DQ_SOURCE_RETRIES"),
        )

    def client(self) -> Any:
        """The ``influxdb.InfluxDBClient`` (created on first use; the driver is imported lazily).

        The client makes one attempt per request (``retries=1``): :meth:`load` retries the
        whole streamed query, which also covers a connection lost mid-answer.
        """
        if self._client is None:
            from influxdb import InfluxDBClient

            self._client = InfluxDBClient(
                **self._connect,
                timeout=self.timeout,
                retries=1,
                headers=dict(_HEADERS),
            )
        return self._client

    def rows(self, meter_ids: np.ndarray, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Platform readings of ``meter_ids`` in ``[start, end)``: ``meter_id, ts, value``.

        Timestamps are the points' own (naive UTC, to the second): the import that lands them
        snaps each onto its slot and records the meter's clock offsets.

        Raises
        ------
        SourceUnavailableError
            After ``1 + retries`` attempts that failed to connect, timed out or got a 5xx.
        SourceError
            When the server refuses the query (authentication, unknown database, bad field).
        """
        if len(meter_ids) == 0:
            return _frame([])
        import requests
        from influxdb.exceptions import InfluxDBClientError, InfluxDBServerError

        bind = {
            "meters": {"regex": meters_regex(meter_ids)},
            "start": _rfc3339(start),
            "end": _rfc3339(end),
        }
        attempts = 1 + self.retries
        delay = _FIRST_BACKOFF_S
        for attempt in range(1, attempts + 1):
            try:
                return _frame(self._query(bind))
            except (requests.RequestException, InfluxDBServerError) as exc:
                if attempt == attempts:
                    reason = f"{type(exc).__name__} after {attempts} attempt(s) " + (
                        f"(timeout {self.timeout:g}s each): {exc}"
                    )
                    raise SourceUnavailableError(self.label, reason[:_MAX_REASON_CHARS]) from exc
                log.warning("%s: attempt %d failed (%s); retrying", self.label, attempt, exc)
                time.sleep(delay)
                delay = min(delay * 2, _MAX_BACKOFF_S)
            except InfluxDBClientError as exc:
                raise SourceError(
                    f"{self.label}: query refused: {str(exc)[:_MAX_REASON_CHARS]}"
                ) from exc
        raise AssertionError("unreachable")  # the loop returns or raises

    def _query(self, bind: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
        """Run the query streamed in chunks: ``(meter id, [time_s, value] array)`` per piece."""
        client = self.client()
        response = client.request(
            "query",
            method="POST",
            params={
                "db": self.database,
                "epoch": "s",
                "chunked": "true",
                "chunk_size": _CHUNK_POINTS,
            },
            # The statement and its bound parameters go in the form body: a chunk's meter
            # pattern can be longer than a server accepts in a URL.
            data=urlencode({"q": self.query, "params": json.dumps(bind)}),
            headers=_HEADERS,
            stream=True,
        )
        pieces: list[tuple[str, np.ndarray]] = []
        try:
            for line in response.iter_lines():
                if line:
                    pieces += self._series(json.loads(line))
        finally:
            response.close()
        return pieces

    def _series(self, answer: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
        if "error" in answer:
            raise SourceError(f"{self.label}: {answer['error']}")
        out = []
        for result in answer.get("results", []):
            if "error" in result:
                raise SourceError(f"{self.label}: {result['error']}")
            for series in result.get("series", []):
                meter = (series.get("tags") or {}).get(self.meter_tag)
                try:
                    values = np.array(series["values"], dtype=np.float64).reshape(-1, 2)
                except (TypeError, ValueError) as exc:
                    raise SourceError(
                        f"{self.label}: field {self.value_field!r} of {self.measurement!r} "
                        f"is not numeric for meter {meter!r}"
                    ) from exc
                out.append((meter, values))
        return out


def _frame(series: list[tuple[str, np.ndarray]]) -> pd.DataFrame:
    """``meter_id, ts, value`` rows of the streamed pieces (``[time_s, value]`` per point)."""
    if not series:
        return pd.DataFrame(
            {
                "meter_id": pd.Series(dtype=object),
                "ts": pd.Series(dtype="datetime64[s]"),
                "value": pd.Series(dtype=np.float64),
            }
        )
    values = np.concatenate([v for _, v in series])
    return pd.DataFrame(
        {
            "meter_id": np.repeat(
                np.array([m for m, _ in series], dtype=object), [len(v) for _, v in series]
            ),
            "ts": values[:, 0].astype(np.int64).astype("datetime64[s]"),
            "value": values[:, 1],
        }
    )
