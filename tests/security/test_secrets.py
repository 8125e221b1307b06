"""Issue 11 item 4: no password or secret in ``jobs settings`` or in a connection error.

One function (``core.redaction.redact``) masks every form: ``user:password@`` (also with
``@``, ``:``, ``/`` or ``?`` inside the password), ``?password=``, key=value connection
strings, InfluxDB's ``&p=``, and any configured secret wherever a driver repeats it.
"""

import pytest

from core import redaction
from core.bills import source
from core.db import connect, open_warehouse
from core.db.postgres import PostgresDatabase
from core.errors import DQHubError
from core.overshoot.store import projects_db
from core.sources.influx import InfluxSource
from jobs.cli import main

PASSWORD = "p@ss:w/rd?x"  # every character that ends a naive password match
COOKIE_KEY = "cookie-key-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("postgresql://dq:hunter22@db.internal:5432/wh", "hunter22"),
        (f"postgresql://dq:{PASSWORD}@db.internal:5432/wh", PASSWORD),
        ("postgresql://dq:p%40ss%3Aword@db.internal/wh", "p%40ss%3Aword"),
        ("redshift://dq:Abc@@123@cluster.example:5439/dev?sslmode=verify-full", "Abc@@123"),
        ("postgresql://db.internal/wh?user=dq&password=hunter22&sslmode=require", "hunter22"),
        ("host=db.internal port=5432 user=dq password='hun ter22' dbname=wh", "hun ter22"),
        ("Cannot connect: http://db:8086/query?db=x&u=dq&p=hunter22 failed", "hunter22"),
        ("sslpassword=hunter22 token=tok-123456 api_key=key-123456", "hunter22"),
    ],
)
def test_redact_masks_every_form(text, secret):
    out = redaction.redact(text)
    assert "***" in out
    for part in {secret, *secret.split("@"), *secret.split(":"), *secret.split("/")}:
        if len(part) >= 3 and part not in ("dq", "wh"):
            assert part not in out, (part, out)
    assert "db.internal" in out or "cluster.example" in out or "db:8086" in out or "=" in out


def test_redact_keeps_what_is_not_secret():
    for text in (
        "duckdb:///data/dqhub.duckdb",
        "postgresql://dq@db/wh",
        "p = 0.05",
        "https://platform.example/bills/{bill_id}",
    ):
        assert redaction.redact(text) == text


def test_configured_secrets_are_masked_wherever_they_appear(monkeypatch):
    monkeypatch.setenv("DQ_COOKIE_KEY", COOKIE_KEY)
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", f"postgresql://bills:{PASSWORD}@pg/platform")
    text = f"driver said: auth failed for password {PASSWORD} (key {COOKIE_KEY})"
    out = redaction.redact(text)
    assert PASSWORD not in out and COOKIE_KEY not in out and "auth failed" in out


def test_jobs_settings_masks_secrets_and_passwords(monkeypatch, capsys):
    monkeypatch.setenv("DQ_COOKIE_KEY", COOKIE_KEY)
    monkeypatch.setenv("DQ_WAREHOUSE", f"postgresql://dq:{PASSWORD}@db.internal:5432/wh")
    monkeypatch.setenv(
        "DQ_PLATFORM_DB_URL", "postgresql://db.internal/platform?user=bills&password=hunter22"
    )
    monkeypatch.setenv("DQ_PROJECTS_DB_URL", "postgresql://pr:Abc@@123@db.internal/projects")
    monkeypatch.setenv("DQ_INFLUX_URL", "http://reader:s3cr3t-pw@influx:8086/platform")
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    for secret in (COOKIE_KEY, PASSWORD, "ss:w", "hunter22", "Abc@", "@123", "s3cr3t"):
        assert secret not in out
    assert "DQ_COOKIE_KEY=*** (set)" in out
    assert "DQ_WAREHOUSE=postgresql://dq:***@db.internal:5432/wh" in out
    assert "DQ_INFLUX_URL=http://reader:***@influx:8086/platform" in out
    assert "DQ_DORMANT_DAYS=14" in out  # other settings as they are


@pytest.mark.parametrize(
    "name", ["DQ_SESSION_TOKEN", "DQ_API_KEY", "DQ_SMTP_PASSWORD", "DQ_OIDC_CLIENT_SECRET"]
)
def test_settings_named_as_secrets_are_hidden(name):
    assert redaction.setting_value(name, "value-123") == "*** (set)"
    assert redaction.setting_value(name, "") == ""


def test_warehouse_connection_error_names_the_setting_not_the_password(monkeypatch):
    url = f"postgresql://dq:{PASSWORD}@127.0.0.1:1/warehouse"
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    monkeypatch.setenv("DQ_CONNECT_TIMEOUT_SECONDS", "2")
    with pytest.raises(DQHubError) as err:
        open_warehouse()
    message = str(err.value)
    assert "DQ_WAREHOUSE" in message and "Cannot connect" in message
    for part in (PASSWORD, "ss:w", "w/rd", "rd?x"):
        assert part not in message
    with pytest.raises(DQHubError) as err:  # a URL given directly: shown, password masked
        PostgresDatabase(f"postgresql://dq:{PASSWORD}@127.0.0.1:1/other").connect()
    assert "postgresql://dq:***@127.0.0.1:1/other" in str(err.value)
    assert "ss:w" not in str(err.value)


def test_unknown_scheme_names_the_setting(monkeypatch):
    monkeypatch.setenv("DQ_WAREHOUSE", f"mysql://dq:{PASSWORD}@db.internal/wh")
    with pytest.raises(DQHubError) as err:
        connect()
    assert "DQ_WAREHOUSE" in str(err.value) and "db.internal" not in str(err.value)
    assert "ss:w" not in str(err.value)


def test_platform_and_projects_errors_hide_the_password(monkeypatch, fresh_db):
    monkeypatch.setenv("DQ_CONNECT_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("DQ_PLATFORM_DB_URL", f"postgresql://bills:{PASSWORD}@127.0.0.1:1/p")
    with pytest.raises(DQHubError) as err:
        source.load_bills(fresh_db)
    assert "DQ_PLATFORM_DB_URL" in str(err.value) and "ss:w" not in str(err.value)
    monkeypatch.setenv("DQ_PROJECTS_DB_URL", f"postgresql://pr:{PASSWORD}@127.0.0.1:1/p")
    with pytest.raises(DQHubError) as err:
        projects_db(fresh_db)
    assert "DQ_PROJECTS_DB_URL" in str(err.value) and "ss:w" not in str(err.value)


def test_influx_label_hides_a_password_with_at(monkeypatch):
    src = InfluxSource(
        "http://reader:p@ss-w0rd@127.0.0.1:8086/platform", "readings", "meter_id", "value", 1.0, 0
    )
    assert src.label == "influxdb http://reader:***@127.0.0.1:8086/platform"
