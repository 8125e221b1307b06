"""Issue 11.2 in a real browser: company single sign-on (OIDC) and the trusted-proxy mode.

The OpenID provider is a real one (panva's oidc-provider from npm, installed by `make setup`)
started on a loopback port by the test; Streamlit's st.login talks to it over HTTP.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from core.db import connect
from tests.e2e.conftest import ROOT, free_port, new_context, wait_healthy, wait_idle

PROVIDER = ROOT / "tests" / "e2e" / "oidc"
CLIENT_SECRET = "dqhub-test-client-secret"
GROUPS = {"kim": ["northwind-support"], "root": ["dq-admins"], "eve": ["sales"]}
MAPPING = """\
rules:
  - group: dq-admins
    role: admin
    accounts: all
  - group: northwind-support
    role: staff
    accounts: [acc-01]
"""


@pytest.fixture
def mapping_file(tmp_path):
    path = tmp_path / "auth_mapping.yaml"
    path.write_text(MAPPING)
    return path


@pytest.fixture
def oidc_app(app_port_and_provider, demo_warehouse_file, serve, tmp_path, mapping_file):
    """The app in oidc mode against the test provider: (base, warehouse url)."""
    app_port, issuer = app_port_and_provider
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{"s" * 40}"\n'
        'client_id = "dqhub"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        'client_kwargs = { scope = "openid profile email groups", prompt = "login" }\n'
    )
    url, _ = demo_warehouse_file
    base = serve(
        url,
        port=app_port,
        args=("--secrets.files", str(secrets)),
        DQ_AUTH_MODE="oidc",
        DQ_AUTH_MAPPING_FILE=str(mapping_file),
        DQ_COOKIE_KEY="k" * 40,
    )
    return base, url


@pytest.fixture
def app_port_and_provider(tmp_path):
    """A real OpenID provider on loopback for an app on the returned port: (port, issuer)."""
    node = shutil.which("node")
    if node is None or not (PROVIDER / "node_modules" / "oidc-provider").exists():
        message = "the test OpenID provider is not installed: run `make setup` (node + npm ci)"
        if os.environ.get("DQ_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    app_port, port = free_port(), free_port()
    log_path = tmp_path / "oidc-provider.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [node, "provider.js"],
        cwd=PROVIDER,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "PORT": str(port),
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URI": f"http://127.0.0.1:{app_port}/oauth2callback",
            "OIDC_GROUPS": json.dumps(GROUPS),
        },
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{issuer}/.well-known/openid-configuration", proc, log_path, 30)
        yield app_port, issuer
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _idp_sign_in(page, login: str) -> None:
    """The provider's own sign-in and consent screens."""
    page.wait_for_url("**/interaction/**", timeout=30_000)
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/interaction/" in page.url:  # the consent screen
        page.click("button[type=submit]")


def _finds_meters_of(page, account_name: str) -> bool:
    """Search the Meter explorer for an account's name: does any meter come up?"""
    page.get_by_role("heading", name="Meter explorer").wait_for(timeout=30_000)
    wait_idle(page)  # typing during a rerun is lost when that rerun redraws the box
    box = page.get_by_role("textbox", name="Search meters")
    box.fill(account_name)
    box.press("Enter")
    page.wait_for_function(  # the picked meter's caption names its account
        "name => ['No meter matches', name].some(t => document.body.innerText.includes(t))",
        arg=account_name,
        timeout=30_000,
    )
    return "No meter matches" not in page.inner_text("body")


def test_oidc_sign_in_lands_on_the_deep_link_with_the_mapped_accounts(oidc_app, browser, tmp_path):
    base, url = oidc_app
    names = dict(connect(url).fetch_all("SELECT DISTINCT account_id, account_name FROM meters"))
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{base}/explorer?meter=m-0001")
    page.get_by_role("button", name="Sign in with your company account").click()
    _idp_sign_in(page, "kim")
    page.get_by_text("Signed in as Test kim (staff)").wait_for(timeout=30_000)
    page.get_by_role("heading", name="m-0001").wait_for(timeout=30_000)
    page.wait_for_url("**/explorer?meter=m-0001", timeout=10_000)
    page.goto(f"{base}/explorer")  # a reload keeps the sign-in; drop the deep link's meter
    assert _finds_meters_of(page, names["acc-01"])
    assert not _finds_meters_of(page, names["acc-03"])  # not mapped to her group
    page.screenshot(path=str(tmp_path / "oidc.png"))
    rows = connect(url).fetch_all("SELECT username, mode, ended_at FROM auth_sessions")
    assert rows == [("kim@example.com", "oidc", None)]

    wait_idle(page)  # a click during a rerun can be lost
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/session/end**", timeout=60_000)  # signing out of the provider too
    page.get_by_role("button", name="Yes, sign me out").click()
    page.get_by_role("button", name="Sign in with your company account").wait_for(timeout=30_000)
    assert connect(url).fetch_all("SELECT ended_reason FROM auth_sessions") == [("signed out",)]
    page.goto(f"{base}/issues")  # Streamlit's identity cookie is gone too
    page.get_by_role("button", name="Sign in with your company account").wait_for(timeout=30_000)


def test_oidc_person_without_a_mapped_group_is_refused(oidc_app, browser):
    base, _ = oidc_app
    page = new_context(browser).new_page()
    page.goto(base)
    page.get_by_role("button", name="Sign in with your company account").click()
    _idp_sign_in(page, "eve")
    page.get_by_text("eve@example.com has no DQ Hub role").wait_for(timeout=30_000)
    assert "Signed in as" not in page.inner_text("body")


def test_oidc_admin_group_sees_every_account(oidc_app, browser):
    base, url = oidc_app
    names = dict(connect(url).fetch_all("SELECT DISTINCT account_id, account_name FROM meters"))
    page = new_context(browser).new_page()
    page.goto(f"{base}/explorer")
    page.get_by_role("button", name="Sign in with your company account").click()
    _idp_sign_in(page, "root")
    page.get_by_text("Signed in as Test root (admin)").wait_for(timeout=30_000)
    assert _finds_meters_of(page, names["acc-03"]) and _finds_meters_of(page, names["acc-01"])
    page.get_by_role("link", name="Admin").wait_for(timeout=10_000)


@pytest.mark.parametrize("trusted", [True, False])
def test_proxy_mode_trusts_the_header_only_from_the_proxy(
    demo_warehouse_file, serve, browser, mapping_file, trusted
):
    url, _ = demo_warehouse_file
    base = serve(
        url,
        DQ_AUTH_MODE="proxy",
        DQ_AUTH_MAPPING_FILE=str(mapping_file),
        DQ_AUTH_PROXY_HEADER="X-Forwarded-Email",
        DQ_AUTH_PROXY_GROUPS_HEADER="X-Forwarded-Groups",
        DQ_TRUSTED_PROXIES="127.0.0.1" if trusted else "10.9.9.9",
        DQ_COOKIE_KEY="k" * 40,
    )
    # The browser stands in for the proxy: it sends the headers the proxy would add.
    context = new_context(
        browser,
        extra_http_headers={
            "X-Forwarded-Email": "kim@example.com",
            "X-Forwarded-Groups": "northwind-support",
        },
    )
    page = context.new_page()
    page.goto(f"{base}/overview")
    if trusted:
        page.get_by_text("Signed in as kim@example.com (staff)").wait_for(timeout=30_000)
        page.get_by_role("heading", name="DQ overview").wait_for(timeout=30_000)
    else:
        page.get_by_text("only through the company's sign-in proxy").wait_for(timeout=30_000)
        assert "Signed in as" not in page.inner_text("body")
