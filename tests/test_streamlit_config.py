"""The Streamlit settings in .streamlit/config.toml: production values, each a real option of the
installed Streamlit with a comment saying why, and accepted by Streamlit as written.

tests/test_docker.py checks that the Docker image runs Streamlit with the same settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from streamlit import config as st_config

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".streamlit" / "config.toml"

# The settings production relies on (docs/topology.md), with their values.
PRODUCTION = {
    "server.address": "127.0.0.1",
    "server.headless": True,
    "server.fileWatcherType": "none",
    "server.runOnSave": False,
    "server.enableWebsocketCompression": True,
    "server.websocketPingInterval": 25,
    "server.maxUploadSize": 1,
    "server.maxMessageSize": 50,
    "runner.magicEnabled": False,
    "runner.fastReruns": False,
}


def settings(toml: dict, prefix: str = "") -> dict[str, object]:
    """``{"section.option": value}`` for every option set in a parsed config file."""
    out = {}
    for key, value in toml.items():
        if isinstance(value, dict):
            out.update(settings(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def file_settings() -> dict[str, object]:
    return settings(tomllib.loads(CONFIG.read_text()))


def streamlit_env(home: Path) -> dict[str, str]:
    """The environment without STREAMLIT_* overrides, and a HOME without ~/.streamlit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env["HOME"] = str(home)
    return env


@pytest.mark.parametrize("key", sorted(PRODUCTION))
def test_the_file_sets_each_production_setting(key):
    assert file_settings().get(key) == PRODUCTION[key]


@pytest.mark.parametrize("key", sorted(file_settings()))
def test_every_setting_is_an_option_of_the_installed_streamlit(key):
    options = st_config._config_options_template
    assert key in options, f"{key} is not an option of Streamlit (a typo?)"
    assert options[key].visibility == "visible", f"{key} is internal to Streamlit"
    value, expected = file_settings()[key], options[key].type
    assert type(value) is expected or (expected is float and type(value) is int), (
        f"{key} = {value!r}: Streamlit expects {expected.__name__}"
    )


def test_error_details_are_left_to_the_app():
    # Home.py hides tracebacks from browsers outside the demo, per run: a value here would be
    # what a page shows before Home.py runs.
    assert "client.showErrorDetails" not in file_settings()


def test_each_production_setting_says_why():
    """Every production option line sits under a comment (shared by the options right below)."""
    why, section = {}, ""
    for line in CONFIG.read_text().splitlines():
        text = line.strip()
        if text.startswith("["):
            section, last_comment = text.strip("[]"), None
        elif text.startswith("#"):
            last_comment = text
        elif not text:
            last_comment = None
        elif "=" in text:
            why[f"{section}.{text.split('=')[0].strip()}"] = last_comment
    missing = [k for k in PRODUCTION if not why.get(k)]
    assert not missing, f"no comment above {missing} in {CONFIG.name}"


def test_streamlit_reads_the_file_with_these_values(tmp_path):
    """A fresh interpreter in the repository root, as `streamlit run` would start there."""
    script = (
        "import json, sys\n"
        "from streamlit import config\n"
        "config.get_config_options(force_reparse=True)\n"
        f"print(json.dumps({{k: config.get_option(k) for k in {sorted(PRODUCTION)!r}}}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=streamlit_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "not a valid config option" not in proc.stderr + proc.stdout
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == PRODUCTION
