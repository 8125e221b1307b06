"""DQ_AUTH_MODE checked at start: an unsafe production setup stops with the setting to fix."""

import pytest

from core import auth
from core.auth import demo
from core.errors import ConfigError

MAPPING = "rules:\n  - group: dq-admins\n    role: admin\n    accounts: all\n"
AUTH = {
    "redirect_uri": "https://dq.example/oauth2callback",
    "cookie_secret": "c" * 40,
    "client_id": "dqhub",
    "client_secret": "s3cr3t",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


@pytest.fixture
def mapping_file(tmp_path, monkeypatch):
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING)
    monkeypatch.setenv("DQ_AUTH_MAPPING_FILE", str(path))
    monkeypatch.setenv("DQ_COOKIE_KEY", "k" * 40)
    return path


def test_users_mode_needs_users_and_a_strong_key(fresh_db, monkeypatch):
    with pytest.raises(ConfigError, match="No users configured in DQ_USERS_FILE"):
        auth.setup(fresh_db, "duckdb:///x.duckdb")
    auth.add_user("alice", "pw", "admin", "all")
    with pytest.raises(ConfigError, match="DQ_COOKIE_KEY must be at least 32"):
        auth.setup(fresh_db, "duckdb:///x.duckdb")
    monkeypatch.setenv("DQ_COOKIE_KEY", "x" * 32)
    s = auth.setup(fresh_db, "duckdb:///x.duckdb")
    assert (s.mode, s.demo, set(s.users), s.sessions) == ("users", False, {"alice"}, True)


def test_demo_setup_has_demo_users_and_a_process_key(fresh_db):
    fresh_db.execute(
        "INSERT INTO meters VALUES ('m1','b1','acc-1','electricity','kWh',NULL,NULL,'UTC',true,"
        "true,false,15)"
    )
    demo.mark_demo(fresh_db, 1)
    s = auth.setup(fresh_db, "duckdb:///:memory:")
    assert s.demo and set(s.users) == {"admin", "ds", "staff", "bse"}
    assert s.cookie_key == demo.demo_cookie_key()


def test_an_unknown_mode_is_named(fresh_db, monkeypatch):
    monkeypatch.setenv("DQ_AUTH_MODE", "ldap")
    with pytest.raises(ConfigError, match="DQ_AUTH_MODE='ldap' is unknown; expected users, oidc"):
        auth.setup(fresh_db, "duckdb:///x.duckdb")


def test_oidc_needs_its_auth_section(fresh_db, monkeypatch, mapping_file):
    monkeypatch.setenv("DQ_AUTH_MODE", "oidc")
    with pytest.raises(ConfigError, match=r"needs \[auth\] in .streamlit/secrets.toml"):
        auth.setup(fresh_db, "duckdb:///x.duckdb", secrets={})
    partial = {k: v for k, v in AUTH.items() if k != "client_secret"}
    with pytest.raises(ConfigError, match="lacks client_secret"):
        auth.setup(fresh_db, "duckdb:///x.duckdb", secrets={"auth": partial})
    weak = {**AUTH, "cookie_secret": "short"}
    with pytest.raises(ConfigError, match="cookie_secret .* at least 32"):
        auth.setup(fresh_db, "duckdb:///x.duckdb", secrets={"auth": weak})
    s = auth.setup(fresh_db, "duckdb:///x.duckdb", secrets={"auth": AUTH})
    assert (s.mode, s.demo, s.mapping.rules[0].group) == ("oidc", False, "dq-admins")


def test_oidc_accepts_a_named_provider_section(fresh_db, monkeypatch, mapping_file):
    monkeypatch.setenv("DQ_AUTH_MODE", "oidc")
    shared = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
    provider = {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    s = auth.setup(fresh_db, "duckdb:///x.duckdb", secrets={"auth": {**shared, "okta": provider}})
    assert s.mode == "oidc"


def test_errors_never_show_secrets(fresh_db, monkeypatch, mapping_file):
    monkeypatch.setenv("DQ_AUTH_MODE", "oidc")
    weak = {**AUTH, "cookie_secret": "tiny-secret"}
    with pytest.raises(ConfigError) as info:
        auth.setup(fresh_db, "duckdb:///x.duckdb", secrets={"auth": weak})
    assert "tiny-secret" not in str(info.value) and "s3cr3t" not in str(info.value)


def test_a_bad_mapping_file_stops_the_app_naming_setting_and_line(
    fresh_db, monkeypatch, mapping_file
):
    monkeypatch.setenv("DQ_AUTH_MODE", "oidc")
    mapping_file.write_text("rules:\n  - group: g\n    role: boss\n    accounts: all\n")
    with pytest.raises(ConfigError, match=r"DQ_AUTH_MAPPING_FILE: .*line 3: unknown role"):
        auth.setup(fresh_db, "duckdb:///x.duckdb", secrets={"auth": AUTH})


def test_proxy_mode_needs_the_header_and_the_proxy_addresses(fresh_db, monkeypatch, mapping_file):
    monkeypatch.setenv("DQ_AUTH_MODE", "proxy")
    with pytest.raises(ConfigError, match="DQ_AUTH_PROXY_HEADER .* and DQ_TRUSTED_PROXIES"):
        auth.setup(fresh_db, "duckdb:///x.duckdb")
    monkeypatch.setenv("DQ_AUTH_PROXY_HEADER", "X-Forwarded-Email")
    monkeypatch.setenv("DQ_TRUSTED_PROXIES", "10.0.0.0/8, nonsense")
    with pytest.raises(ConfigError, match="DQ_TRUSTED_PROXIES: 'nonsense' is not an IP"):
        auth.setup(fresh_db, "duckdb:///x.duckdb")
    monkeypatch.setenv("DQ_TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1")
    s = auth.setup(fresh_db, "duckdb:///x.duckdb")
    assert (s.mode, s.sessions, len(s.proxies)) == ("proxy", False, 2)
