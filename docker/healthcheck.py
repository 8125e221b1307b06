"""Container health check run by the Dockerfile's HEALTHCHECK: exit 0 healthy, 1 unhealthy.

The image runs either the app or the worker, and Docker gives both the same HEALTHCHECK.

- App (or anything else): healthy when Streamlit answers ``ok`` on
  ``http://127.0.0.1:$PORT/$STREAMLIT_SERVER_BASE_URL_PATH/_stcore/health`` (PORT defaults to
  8501, the base path to none).
- Worker: it serves no HTTP. While a ``python -m jobs serve`` process runs and no Streamlit
  server does, the container is healthy: the worker is the container's main process, so the
  container stops when it does.

Standard library only: the slim image has no curl.
"""

from __future__ import annotations

import http.client
import os
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path


def _argvs(proc: Path) -> Iterator[list[str]]:
    """Yield the argument list of every process visible under ``proc``."""
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:  # the process ended meanwhile, or is not ours to read
            continue
        yield [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def _runs(argv: list[str], *words: str) -> bool:
    """Whether ``words`` appear in ``argv`` one after the other (e.g. ``-m jobs serve``)."""
    n = len(words)
    return any(tuple(argv[i : i + n]) == words for i in range(len(argv) - n + 1))


def worker_only(proc: Path = Path("/proc")) -> bool:
    """True when a ``python -m jobs serve`` process runs and no Streamlit server does."""
    worker = app = False
    for argv in _argvs(proc):
        worker = worker or _runs(argv, "-m", "jobs", "serve")
        app = app or _runs(argv, "-m", "streamlit")
    return worker and not app


def health_url(environ: Mapping[str, str] = os.environ) -> str:
    """Streamlit's health endpoint inside the container."""
    port = environ.get("PORT") or "8501"
    base = environ.get("STREAMLIT_SERVER_BASE_URL_PATH", "").strip("/")
    prefix = f"/{base}" if base else ""
    return f"http://127.0.0.1:{port}{prefix}/_stcore/health"


def probe(url: str, timeout: float = 4.0) -> str | None:
    """None when ``url`` answers 200 ``ok``, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read(64).decode(errors="replace").strip()
            if response.status == 200 and body == "ok":
                return None
            return f"{url} answered {response.status} {body!r}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return f"{url}: {exc}"


def main(proc: Path = Path("/proc")) -> int:
    """Print the verdict; return the exit status Docker reads."""
    if worker_only(proc):
        print("ok: worker running (it serves no HTTP)")
        return 0
    problem = probe(health_url())
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
