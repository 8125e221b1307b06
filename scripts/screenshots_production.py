"""Screenshots of every page in production shape: ``python scripts/screenshots_production.py DIR``.

Sets up what tests/rehearsal/ tests, on 127.0.0.1 only: a throwaway PostgreSQL warehouse and
platform database (on the local server, ``--postgres``), influxd and a moto S3 server holding the
platform's readings; runs the rehearsal week (tests/rehearsal/week.py: the real worker syncs
the platform into the warehouse and runs every job); then starts ``streamlit run Home.py`` on a
free port with ``DQ_WAREHOUSE`` = the PostgreSQL warehouse, its own ``DQ_CACHE_PATH``, ``users``
sign-in and a cookie key, signs in through the form with headless Chromium (Playwright,
bench/browser.py) and saves ``DIR/NN-<page>.png`` for every page of core/pages.py. Everything it
started is stopped, and both databases dropped, at the end. Takes 1-2 minutes.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests import servers  # noqa: E402

USER, PASSWORD = "rehearsal-admin", secrets.token_urlsafe(12)


def _platform(stack: ExitStack, home: Path, postgres: str):  # noqa: ANN202 - a week.Platform
    """The platform's systems, started and filled with the fleet's tables (readings come later)."""
    import boto3
    from influxdb import InfluxDBClient

    from tests.rehearsal import fleet
    from tests.rehearsal.week import Platform

    influx_url = stack.enter_context(servers.influxd(home / "influxd"))
    client = InfluxDBClient("127.0.0.1", int(influx_url.rsplit(":", 1)[1]), database="platform")
    client.create_database("platform")
    endpoint = stack.enter_context(servers.moto_s3())
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="platform-raw")
    url = stack.enter_context(servers.pg_database(postgres, "dqhub_platform"))
    fleet.create_platform(url, fleet.readings())
    return Platform(url, client, f"{influx_url}/platform", s3, endpoint, "platform-raw")


def _serve(stack: ExitStack, env: dict[str, str], log: Path) -> str:
    """``streamlit run Home.py`` on a free 127.0.0.1 port; its base URL once healthy."""
    from tests.e2e.conftest import wait_healthy

    port = servers.free_port()
    out = stack.enter_context(open(log, "w"))  # noqa: SIM115 - closed by the stack
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def stop() -> None:
        proc.terminate()
        proc.wait(15)

    stack.callback(stop)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(f"{base}/_stcore/health", proc, log, seconds=120)
    return base


def _shoot(base: str, out: Path) -> list[Path]:
    """Sign in through the form, then one PNG per page the user may open.

    Streamlit scrolls its main block, not the document: a tall window shows most of a page.
    """
    from playwright.sync_api import sync_playwright

    from core.pages import PAGES
    from tests.e2e.conftest import login, new_context, wait_idle

    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--run-all-compositor-stages-before-draw"],
        )
        page = new_context(browser, viewport={"width": 1500, "height": 2400}).new_page()
        login(page, base, USER, PASSWORD)
        for i, p_ in enumerate(PAGES, 1):
            page.get_by_role("link", name=p_.title, exact=True).click()  # keeps the session
            try:
                page.get_by_role("heading", name=p_.title).first.wait_for(timeout=60_000)
            except Exception:
                page.screenshot(path=str(out / f"failed-{p_.key}.png"), full_page=True)
                raise
            wait_idle(page)
            page.wait_for_timeout(1500)  # charts and the data grid's canvas draw after the data
            path = out / f"{i:02d}-{p_.key}.png"
            page.screenshot(path=str(path), full_page=True, timeout=60_000)
            shots.append(path)
            print(f"{path} ({path.stat().st_size // 1024} KiB)", flush=True)
        browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, set everything up, take the screenshots, tear everything down."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for the PNGs (created if missing)")
    parser.add_argument("--postgres", default=servers.PG_ADMIN_URL,
                        help="admin URL of the PostgreSQL server for the two throwaway "
                             f"databases (default {servers.PG_ADMIN_URL})")  # fmt: skip
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("tests.rehearsal.week").setLevel(logging.INFO)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dqhub-shots-") as tmp, ExitStack() as stack:
        home = Path(tmp)
        os.environ.update(servers.AWS_TEST_ENV)
        os.environ.update({
            "DQ_SECRETS_FILE": str(home / "no-secrets.toml"),  # nothing of the developer's
            "DQ_USERS_FILE": str(home / "users.yaml"),
            "AWS_CONFIG_FILE": str(home / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        })  # fmt: skip
        platform = _platform(stack, home, args.postgres)
        warehouse_url = stack.enter_context(servers.pg_database(args.postgres, "dqhub_warehouse"))
        os.environ.update({**platform.settings(), "DQ_WAREHOUSE": warehouse_url,
                           "DQ_CACHE_PATH": ""})  # fmt: skip

        from core import auth
        from core.db import open_warehouse
        from tests.rehearsal import fleet, week

        db = open_warehouse(warehouse_url)
        print("running the rehearsal week with the real worker ...", flush=True)
        week.rehearse(db, platform, fleet.readings())
        db.close()
        auth.add_user(USER, PASSWORD, "admin", "all")
        age = (datetime.now(UTC).date() - fleet.HISTORY_START).days + 1
        env = {
            **os.environ,
            "DQ_CACHE_PATH": str(home / "cache.duckdb"),
            "DQ_CACHE_READINGS_DAYS": str(age),  # the week is in the past: keep its readings
            "DQ_AUTH_MODE": "users",
            "DQ_COOKIE_KEY": secrets.token_urlsafe(48),
        }
        base = _serve(stack, env, args.out / "streamlit.log")
        shots = _shoot(base, args.out)
    print(f"{len(shots)} screenshots in {args.out} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
