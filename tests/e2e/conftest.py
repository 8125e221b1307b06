"""A real ``streamlit run Home.py`` on a free loopback port, and Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Wait until ``url`` answers 200, failing with the server's log if it dies or hangs."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"{url} not healthy in {seconds:g} s\n{log.read_text()}"
        time.sleep(0.3)


@pytest.fixture
def serve(tmp_path) -> Callable[..., str]:
    """Start the app on 127.0.0.1: ``serve(warehouse_url, port=None, args=(), **env)`` -> base URL.

    Every server started is stopped after the test.
    """
    procs: list[tuple[subprocess.Popen, object]] = []

    def start(url: str, port: int | None = None, args: tuple[str, ...] = (), **env: str) -> str:
        port = port or free_port()
        log_path = tmp_path / f"streamlit-{port}.log"
        log = open(log_path, "w")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "Home.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                *args,
            ],
            cwd=ROOT,
            env={**os.environ, "DQ_WAREHOUSE": url, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append((proc, log))
        base = f"http://127.0.0.1:{port}"
        wait_healthy(f"{base}/_stcore/health", proc, log_path)
        return base

    yield start
    for proc, log in procs:
        proc.terminate()
        proc.wait(15)
        log.close()


@pytest.fixture
def app_server(demo_warehouse_file, serve):
    """The app over a private copy of the scored demo warehouse: (base URL, warehouse URL)."""
    url, _ = demo_warehouse_file
    return serve(url), url


@pytest.fixture
def browser():
    """Headless Debian Chromium; skipped on a developer machine without it, an error in CI."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("DQ_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail("chromium is not installed; `make test` installs it")
        pytest.skip("chromium not installed (apt-get install chromium); `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def loopback_only(context) -> None:
    """Abort every request that would leave the machine (fonts on a test IdP's page, ...)."""
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(
                ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")
            )
            else route.abort()
        ),
    )


def new_context(browser, **kwargs):
    """A fresh browser profile (its own cookies) that talks to loopback only."""
    context = browser.new_context(**{"viewport": {"width": 1400, "height": 900}, **kwargs})
    loopback_only(context)
    return context


def wait_idle(page) -> None:
    """Wait until the app is not running a script (no status widget) for a moment."""
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )


def login(page, base: str, username: str, password: str = "demo") -> None:
    """Sign in through the real login form."""
    page.goto(base)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Signed in as").wait_for(timeout=30_000)
