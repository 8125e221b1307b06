"""The DQ Hub exception tree: shallow, named, and every message names the thing."""

from __future__ import annotations


class DQHubError(Exception):
    """Base class for every error DQ Hub raises on purpose."""


class ConfigError(DQHubError):
    """A setting is missing or invalid; the message names the setting."""


class MigrationError(DQHubError):
    """A schema migration is malformed, duplicated or failed to apply."""


class WarehouseError(DQHubError):
    """The warehouse could not be reached, was locked too long, or refused a statement."""


class SourceError(DQHubError):
    """A data source (readings platform, raw packets, bill platform) could not be read.

    The message names the source and its setting, never a password.
    """


class ImportFileError(DQHubError):
    """A whole import file is unusable (unreadable, wrong format, missing column)."""

    def __init__(self, file: str, message: str) -> None:
        self.file = file
        super().__init__(f"{file}: {message}")
