"""Docs that tests keep honest: every setting and CLI command is documented and has help."""

from pathlib import Path

import pytest

from core import config
from jobs.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SECRETS_EXAMPLE = (ROOT / ".streamlit" / "secrets.toml.example").read_text()


def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub, sorted(sub.choices)


@pytest.mark.parametrize("setting", config.SETTINGS, ids=lambda s: s.name)
def test_setting_is_documented(setting):
    assert f"`{setting.name}`" in README
    assert f"{setting.name} =" in SECRETS_EXAMPLE
    assert setting.help


@pytest.mark.parametrize("command", _commands()[1])
def test_cli_command_is_documented_with_help(command):
    sub, _ = _commands()
    assert f"python -m jobs {command}" in README
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert helps[command]
    for action in sub.choices[command]._actions:
        assert action.help, f"{command} {action.dest} has no help"


def test_readme_opens_with_the_two_commands():
    head = README[:600]
    assert "make run" in head and "make test" in head


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
