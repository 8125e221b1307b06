"""One declared setting: name, default, type, help."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One documented setting.

    Parameters
    ----------
    name : str
        Environment variable (and secrets.toml key) that sets it.
    default : Any
        Value used when neither the environment nor secrets.toml sets it.
    type : type
        ``str``, ``int`` or ``float``; values are converted and validated.
    help : str
        One line shown in the README and ``python -m jobs settings``.
    allow_zero : bool
        Whether a numeric setting may be 0 (otherwise it must be positive).
    """

    name: str
    default: Any
    type: type
    help: str
    allow_zero: bool = False
