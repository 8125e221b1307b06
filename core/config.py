"""Settings: declared once (name, default, type, help), read from env or secrets.toml per call."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.settings import SETTINGS, Setting  # declared there, one module per concern

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"

__all__ = ["SETTINGS", "Setting", "get"]

_BY_NAME = {s.name: s for s in SETTINGS}


def _secrets() -> dict[str, Any]:
    path = Path(os.environ.get("DQ_SECRETS_FILE", SECRETS_FILE))
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def get(name: str) -> Any:
    """Return the current value of setting ``name`` (env beats secrets.toml beats default).

    Raises
    ------
    ConfigError
        If the name is unknown or the value cannot be converted to the setting's type.
    """
    setting = _BY_NAME.get(name)
    if setting is None:
        raise ConfigError(f"Unknown setting {name!r}; expected one of {', '.join(_BY_NAME)}")
    raw = os.environ.get(name)
    if raw is None:
        raw = _secrets().get(name, setting.default)
    try:
        value = setting.type(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Setting {name}={raw!r} is not a valid {setting.type.__name__}") from exc
    if setting.type in (int, float) and (value < 0 or (value == 0 and not setting.allow_zero)):
        raise ConfigError(f"Setting {name}={raw!r} must be positive")
    return value
