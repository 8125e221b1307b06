import pytest

from core import config
from core.errors import ConfigError


def test_default_then_secrets_then_env(monkeypatch, tmp_path):
    assert config.get("DQ_HISTORY_DAYS") == 28
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("DQ_HISTORY_DAYS = 14\n")
    monkeypatch.setenv("DQ_SECRETS_FILE", str(secrets))
    assert config.get("DQ_HISTORY_DAYS") == 14
    monkeypatch.setenv("DQ_HISTORY_DAYS", "7")
    assert config.get("DQ_HISTORY_DAYS") == 7


def test_bad_value_names_the_setting(monkeypatch):
    monkeypatch.setenv("DQ_CHUNK_METERS", "lots")
    with pytest.raises(ConfigError, match="DQ_CHUNK_METERS='lots' is not a valid int"):
        config.get("DQ_CHUNK_METERS")
    monkeypatch.setenv("DQ_CHUNK_METERS", "0")
    with pytest.raises(ConfigError, match="DQ_CHUNK_METERS='0' must be positive"):
        config.get("DQ_CHUNK_METERS")


def test_unknown_setting_lists_known_ones():
    with pytest.raises(
        ConfigError, match="Unknown setting 'DQ_NOPE'; expected one of DQ_WAREHOUSE"
    ):
        config.get("DQ_NOPE")


def test_broken_secrets_file_is_named(monkeypatch, tmp_path):
    bad = tmp_path / "secrets.toml"
    bad.write_text("DQ_HISTORY_DAYS = = 3")
    monkeypatch.setenv("DQ_SECRETS_FILE", str(bad))
    with pytest.raises(ConfigError, match="secrets.toml: not valid TOML"):
        config.get("DQ_HISTORY_DAYS")
